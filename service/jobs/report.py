"""The report of a job: score distribution, concept coverage, flags, answers to review, and
near-duplicate answers (possible copying) found with MinHash over character 5-grams."""

from __future__ import annotations

import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["DuplicatePair", "ReportInput", "build_report", "histogram_png", "near_duplicates"]

SHINGLE = 5
MIN_CHARS = 30  # short answers are alike by chance ("不知道"), not by copying
THRESHOLD = 0.8
MAX_PAIRS = 1000
_BANDS, _ROWS = 16, 4  # 64 hashes; candidates from about 0.5 Jaccard up
_PRIME = np.uint64((1 << 61) - 1)
_rng = np.random.default_rng(20261127)  # fixed: the same pairs on every run
_A = _rng.integers(1, 1 << 31, size=_BANDS * _ROWS, dtype=np.uint64)
_B = _rng.integers(0, 1 << 31, size=_BANDS * _ROWS, dtype=np.uint64)
_NOT_TEXT = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    a: str
    b: str
    similarity: float


@dataclass(frozen=True, slots=True)
class ReportInput:
    """What the report reads of one submission."""

    id: str
    answer: str
    status: str  # pending | done | error
    score: float | None
    flags: Sequence[str]
    points: dict[str, str]  # concept id -> met | partial | missing
    needs_review: bool


def _shingles(text: str) -> np.ndarray[Any, np.dtype[np.uint64]] | None:
    clean = _NOT_TEXT.sub("", text.lower())
    if len(clean) < MIN_CHARS:
        return None
    codes = np.frombuffer(clean.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(codes) - SHINGLE + 1
    h = np.zeros(n, dtype=np.uint64)
    for j in range(SHINGLE):  # a polynomial hash of each 5-gram; wrap-around is intended
        h = h * np.uint64(1_000_003) + codes[j : j + n]
    return np.unique(h >> np.uint64(32))  # 32-bit values keep (a*x + b) below 2**63


def near_duplicates(
    texts: Sequence[tuple[str, str]], *, threshold: float = THRESHOLD
) -> tuple[list[DuplicatePair], int]:
    """Pairs of (id, text) whose 5-gram Jaccard similarity is at least ``threshold``: (pairs, total).

    Identical texts are grouped first, so a thousand copies of one text cost one comparison;
    at most MAX_PAIRS pairs are listed (the most similar first), ``total`` counts them all.
    """
    groups: dict[bytes, list[str]] = defaultdict(list)
    sets: list[np.ndarray[Any, np.dtype[np.uint64]]] = []
    for submission_id, text in texts:
        shingles = _shingles(text)
        if shingles is None:
            continue
        key = shingles.tobytes()
        if key not in groups:
            sets.append(shingles)
        groups[key].append(submission_id)
    members = [sorted(ids) for ids in groups.values()]  # members[k] share the text of sets[k]
    pairs: list[DuplicatePair] = []
    total = 0
    for ids in members:
        total += len(ids) * (len(ids) - 1) // 2
        for x, a in enumerate(ids):
            if len(pairs) >= MAX_PAIRS:
                break
            pairs.extend(DuplicatePair(a, b, 1.0) for b in ids[x + 1 : x + 1 + MAX_PAIRS - len(pairs)])
    if len(sets) >= 2:
        signatures = np.vstack([((np.outer(s, _A) + _B) % _PRIME).min(axis=0) for s in sets])
        candidates: set[tuple[int, int]] = set()
        for band in range(_BANDS):
            buckets: dict[bytes, list[int]] = defaultdict(list)
            for i, key in enumerate(signatures[:, band * _ROWS : (band + 1) * _ROWS]):
                buckets[key.tobytes()].append(i)
            for bucket in buckets.values():
                for x, i in enumerate(bucket):
                    candidates.update((i, j) for j in bucket[x + 1 :])
        for i, j in candidates:
            common = len(np.intersect1d(sets[i], sets[j], assume_unique=True))
            similarity = round(common / (len(sets[i]) + len(sets[j]) - common), 3)
            if similarity < threshold:
                continue
            total += len(members[i]) * len(members[j])
            if len(pairs) < 4 * MAX_PAIRS:
                pairs.extend(DuplicatePair(min(a, b), max(a, b), similarity) for a in members[i] for b in members[j])
    pairs.sort(key=lambda p: (-p.similarity, p.a, p.b))
    return pairs[:MAX_PAIRS], total


def _histogram(scores: Sequence[float], max_score: float) -> list[dict[str, float]]:
    bins = int(max_score) if 0 < max_score <= 20 and float(max_score).is_integer() else 10
    edges = np.linspace(0.0, max_score or 1.0, bins + 1)
    counts, _ = np.histogram(np.asarray(scores, dtype=float), bins=edges)
    return [
        {"from": round(float(edges[k]), 3), "to": round(float(edges[k + 1]), 3), "count": int(counts[k])}
        for k in range(bins)
    ]


def build_report(
    *, rows: Iterable[ReportInput], max_score: float, concepts: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    """The report as JSON-ready data; ``concepts`` are (id, title) in rubric order."""
    scores: list[float] = []
    flags: Counter[str] = Counter()
    coverage: dict[str, Counter[str]] = {cid: Counter() for cid, _ in concepts}
    review: list[dict[str, Any]] = []
    texts: list[tuple[str, str]] = []
    graded = errors = pending = 0
    for row in rows:
        texts.append((row.id, row.answer))
        if row.status == "pending":
            pending += 1
            continue
        if row.status == "error" or row.score is None:
            errors += 1
            continue
        graded += 1
        scores.append(row.score)
        flags.update(row.flags)
        for cid, status in row.points.items():
            coverage.setdefault(cid, Counter())[status] += 1
        if row.needs_review:
            review.append({"id": row.id, "score": row.score, "flags": list(row.flags)})
    values = np.asarray(scores, dtype=float)
    distribution = {
        "count": graded,
        "mean": round(float(values.mean()), 3) if graded else None,
        "median": round(float(np.median(values)), 3) if graded else None,
        "std": round(float(values.std()), 3) if graded else None,
        "min": float(values.min()) if graded else None,
        "max": float(values.max()) if graded else None,
        "histogram": _histogram(scores, max_score),
    }
    titles = dict(concepts)
    concept_rows = []
    for cid, counts in coverage.items():
        met, partial = counts["met"], counts["partial"]
        concept_rows.append(
            {
                "concept_id": cid,
                "title": titles.get(cid, cid),
                "met": met,
                "partial": partial,
                "missing": counts["missing"],
                "met_rate": round(met / graded, 3) if graded else None,
                "coverage_rate": round((met + partial) / graded, 3) if graded else None,
            }
        )
    pairs, total_pairs = near_duplicates(texts)
    return {
        "graded": graded,
        "errors": errors,
        "pending": pending,
        "scores": distribution,
        "concepts": concept_rows,
        "flags": dict(sorted(flags.items(), key=lambda kv: (-kv[1], kv[0]))),
        "needs_review": review,
        "near_duplicates": {
            "threshold": THRESHOLD,
            "min_chars": MIN_CHARS,
            "total": total_pairs,
            "truncated": total_pairs > len(pairs),
            "pairs": [{"a": p.a, "b": p.b, "similarity": p.similarity} for p in pairs],
        },
    }


def histogram_png(histogram: Sequence[dict[str, float]], *, title: str) -> bytes:
    """The score histogram as a PNG, labelled in Chinese where the system has a font for it (see
    :mod:`service.plots`); its title and axis labels are also kept in the PNG's Title and Description."""
    from matplotlib.figure import Figure

    from .. import plots

    plots.cjk_font()  # before the figure is made: it takes its fonts from the settings then

    figure = Figure(figsize=(8, 4.5), dpi=100)
    axes = figure.subplots()
    lefts = [b["from"] for b in histogram]
    widths = [b["to"] - b["from"] for b in histogram]
    axes.bar(lefts, [b["count"] for b in histogram], width=widths, align="edge", edgecolor="black", color="#4c72b0")
    xlabel, ylabel = plots.label("得分", "score"), plots.label("作答份数", "submissions")
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Title": title, "Description": f"{xlabel} / {ylabel}"})
    return buffer.getvalue()
