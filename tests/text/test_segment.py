from __future__ import annotations

from service.text import Segmenter


def test_domain_terms_stay_whole() -> None:
    segmenter = Segmenter(["职级客户", "互为供方"])
    words = segmenter.cut("职级客户之间互为供方")
    assert "职级客户" in words and "互为供方" in words


def test_one_rubrics_terms_do_not_leak_into_another() -> None:
    with_terms = Segmenter(["职级客户", "互为供方"])
    without = Segmenter([])
    assert "互为供方" in with_terms.cut("双方互为供方")
    assert "互为供方" not in without.cut("双方互为供方")


def test_token_offsets_index_the_text() -> None:
    text = "上级是下级的客户"
    for token in Segmenter([]).tokens(text):
        assert text[token.start : token.end] == token.text


def test_tokens_are_what_jieba_tokenize_yields() -> None:
    segmenter = Segmenter(["职级客户"])
    for text in ["", "内部客户,比如 QA 部门和 IT 部门。\n 职级客户 ", "上级是下级的客户"]:
        expected = list(segmenter._tokenizer.tokenize(text))
        assert [tuple(token) for token in segmenter.tokens(text)] == expected
        assert segmenter.cut(text) == [word for word, _, _ in expected]
