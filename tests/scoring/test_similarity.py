from __future__ import annotations

import json

import numpy as np

from service.scoring import Doc, TfidfModel
from service.text import Segmenter

SEG = Segmenter([])
TEXTS = ["上级是下级的客户", "下级也是上级的客户，双方互为供方", "部门之间相互提供服务", "今天天气很好"]


def _docs(texts: list[str]) -> list[Doc]:
    return [Doc(tuple(SEG.cut(t)), t) for t in texts]


def test_transform_equals_scikit_learn() -> None:
    model = TfidfModel().fit(_docs(TEXTS))
    probe = _docs(["上级和下级互为客户", "服务", "完全无关的句子"])
    ours = model.transform(probe).toarray()
    word, char = model.sklearn_vectorizers()
    theirs = np.hstack([word.transform(probe).toarray(), char.transform(probe).toarray()]) / np.sqrt(2)
    assert np.allclose(ours, theirs)


def test_round_trip_through_json_keeps_the_model() -> None:
    model = TfidfModel().fit(_docs(TEXTS))
    again = TfidfModel.from_dict(json.loads(json.dumps(model.to_dict())))
    probe = _docs(["下级是上级的客户"])
    assert np.array_equal(model.transform(probe).toarray(), again.transform(probe).toarray())


def test_related_text_is_closer_than_unrelated_text() -> None:
    model = TfidfModel().fit(_docs(TEXTS))
    ref = model.transform(_docs(["下级也是上级的客户"]))
    near, far = model.transform(_docs(["上级也是下级的客户", "今天天气很好"]))
    assert (near @ ref.T).toarray()[0, 0] > (far @ ref.T).toarray()[0, 0]


def test_batched_similarity_equals_row_by_row_products() -> None:
    model = TfidfModel().fit(_docs(TEXTS))
    against = model.transform(_docs(TEXTS)).T.toarray()
    probe = _docs(["上级和下级互为客户", "", "完全无关的句子", "下级也是上级的客户"])
    expected = model.transform(probe).toarray() @ against
    assert np.allclose(model.similarity_matrix(probe, against), expected)


def test_merged_counts_equal_the_documents_joined() -> None:
    model = TfidfModel(char_ngram_range=(1, 1)).fit(_docs(TEXTS))
    against = model.transform(_docs(TEXTS)).T.toarray()
    parts = _docs(["上级是客户", "下级也是客户"])
    joined = Doc(parts[0].words + parts[1].words, parts[0].text + parts[1].text)
    merged = model.count(parts).merged([0, 1])
    assert np.allclose(model.similarity_matrix(merged, against), model.similarity_matrix([joined], against))
