"""The job report: statistics an exam board reads, and copying found across a sitting."""

from __future__ import annotations

import json
from pathlib import Path

from service.jobs import build_report, histogram_png, near_duplicates
from service.jobs.report import ReportInput

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "internal-customer" / "answers.jsonl"


def _answers() -> list[str]:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    seen: dict[str, None] = {}
    for row in rows:  # the corpus repeats a few answers on purpose; keep one of each here
        if len(row["answer"]) > 150:
            seen.setdefault(row["answer"])
    return list(seen)[:60]


def test_a_lightly_edited_copy_is_found_and_distinct_answers_are_not() -> None:
    answers = _answers()
    original = answers[7]
    copy = original.replace("。", ",", 2).replace("我们", "咱们") + "以上是我的理解。"
    texts = [(f"s{i:02d}", a) for i, a in enumerate(answers)]
    texts += [("copy", copy), ("short1", "不知道。"), ("short2", "不知道。")]
    pairs, total = near_duplicates(texts)
    assert total == 1
    assert (pairs[0].a, pairs[0].b) == ("copy", "s07") and 0.8 <= pairs[0].similarity < 1
    texts += [("twin1", answers[10]), ("twin2", answers[10] + " ")]  # identical texts are grouped
    pairs, total = near_duplicates(texts)
    assert total == 4
    assert [(p.a, p.b, p.similarity) for p in pairs[:3]] == [
        ("s10", "twin1", 1.0),
        ("s10", "twin2", 1.0),
        ("twin1", "twin2", 1.0),
    ]


def test_report_statistics() -> None:
    def row(sid: str, score: float | None, status: str = "done", review: bool = False) -> ReportInput:
        points = {"rank": "met" if (score or 0) >= 5 else "missing", "process": "partial"}
        flags = ["too_short"] if review else []
        return ReportInput(sid, "", status, score, flags, points if status == "done" else {}, review)

    rows = [row("a", 2.0, review=True), row("b", 5.0), row("c", 8.0)]
    rows += [row("d", None, "error"), row("e", None, "pending")]
    report = build_report(rows=rows, max_score=10, concepts=[("rank", "职级客户"), ("process", "工序客户")])
    assert (report["graded"], report["errors"], report["pending"]) == (3, 1, 1)
    scores = report["scores"]
    assert (scores["mean"], scores["median"], scores["min"], scores["max"]) == (5.0, 5.0, 2.0, 8.0)
    assert len(scores["histogram"]) == 10 and sum(b["count"] for b in scores["histogram"]) == 3
    assert report["concepts"][0] == {
        "concept_id": "rank", "title": "职级客户", "met": 2, "partial": 0, "missing": 1,
        "met_rate": 0.667, "coverage_rate": 0.667,
    }  # fmt: skip
    assert report["flags"] == {"too_short": 1}
    assert report["needs_review"] == [{"id": "a", "score": 2.0, "flags": ["too_short"]}]
    png = histogram_png(scores["histogram"], title="internal-customer")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
