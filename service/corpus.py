"""Labeled answer files (JSON Lines or CSV) and the statistics fitted on them."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import YuejuanError
from .rubric import load_rubric

__all__ = ["CorpusError", "LabeledAnswer", "fit_tfidf", "read_labeled"]


class CorpusError(YuejuanError):
    """A labeled file cannot be read."""

    code = "invalid_corpus"


@dataclass(frozen=True)
class LabeledAnswer:
    """An answer with a human score and, optionally, per-concept points."""

    id: str
    answer: str
    score: float | None
    concepts: dict[str, float] = field(default_factory=dict)
    kind: str = ""
    split: str = ""


def _row(raw: dict[str, object], where: str, max_score: float | None) -> LabeledAnswer:
    if "answer" not in raw:
        raise CorpusError(f"{where}:缺少 answer 字段(或列)。")
    score = raw.get("score")
    concepts = raw.get("concepts") or {}
    if isinstance(concepts, str):
        try:
            concepts = json.loads(concepts) if concepts.strip() else {}
        except json.JSONDecodeError:
            raise CorpusError(f"{where}:concepts 不是有效的 JSON。") from None
    if not isinstance(concepts, dict):
        raise CorpusError(f"{where}:concepts 须为 JSON 对象。")
    try:
        row = LabeledAnswer(
            id=str(raw.get("id", where)),
            answer=str(raw["answer"] or ""),
            score=None if score in (None, "") else float(score),  # type: ignore[arg-type]
            concepts={str(k): float(v) for k, v in concepts.items()},
            kind=str(raw.get("kind") or ""),
            split=str(raw.get("split") or ""),
        )
    except (TypeError, ValueError):
        raise CorpusError(f"{where}:score 与 concepts 中的分数须为数字。") from None
    # float() also reads "nan" and "inf": no marker gives those, and they break every statistic.
    if not all(math.isfinite(v) for v in [*([row.score] if row.score is not None else []), *row.concepts.values()]):
        raise CorpusError(f"{where}:score 与 concepts 中的分数须为数字。")
    if max_score is not None and row.score is not None and not 0 <= row.score <= max_score:
        raise CorpusError(f"{where}:score 为 {row.score:g},须在 0 到满分 {max_score:g} 之间。")
    return row


def read_labeled(path: Path, *, max_score: float | None = None) -> list[LabeledAnswer]:
    """Read a labeled file: JSON Lines, or CSV with columns id, answer, score[, concepts]. With
    ``max_score`` (the rubric's), a human score outside 0 to it is refused, naming its line."""
    rows: list[LabeledAnswer] = []
    try:
        if path.suffix.lower() == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as handle:
                for n, raw in enumerate(csv.DictReader(handle), start=2):
                    rows.append(_row(dict(raw), f"{path}:{n}", max_score))
        else:
            with path.open(encoding="utf-8-sig") as handle:
                for n, line in enumerate(handle, start=1):
                    if line.strip():
                        try:
                            raw = json.loads(line)
                        except json.JSONDecodeError:
                            raise CorpusError(f"{path}:{n}:不是有效的 JSON。") from None
                        rows.append(_row(raw, f"{path}:{n}", max_score))
    except UnicodeDecodeError:
        raise CorpusError(f"{path}:须为 UTF-8 编码。") from None
    return rows


def fit_tfidf(rubric_file: Path, corpus_files: Sequence[Path]) -> Path:
    """Fit TF-IDF statistics on the rubric's references plus the corpus answers; write them as JSON."""
    # Imported here: reading a labeled file needs no grading engine (scikit-learn and jieba take seconds to load).
    from .scoring import Doc, TfidfModel
    from .scoring.engine import reference_docs, tfidf_path
    from .text import Segmenter, normalize

    rubric = load_rubric(rubric_file)
    segmenter = Segmenter([*rubric.terms, *(p for c in rubric.concepts for p in c.key_phrases)])
    docs = reference_docs(rubric, segmenter)
    for path in corpus_files:
        for row in read_labeled(path):
            text = normalize(row.answer).text
            if text.strip():
                docs.append(Doc(tuple(segmenter.cut(text)), text))
    model = TfidfModel(min_df=2).fit(docs)
    out = tfidf_path(rubric_file)
    payload = {"rubric_id": rubric.id, "rubric_version": rubric.version, "model": model.to_dict()}
    out.write_text(json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")), encoding="utf-8")
    return out
