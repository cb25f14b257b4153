"""Throughput figures: grading vs jieba segmentation alone, on one core.

    python scripts/bench.py [--rubric internal-customer] [--repeat 3]

Prints answers per second for full grading and for segmenting the same texts with the
rubric's jieba tokenizer, and their ratio (target: grading >= 50% of segmentation).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

from service.registry import RubricRegistry
from service.scoring import grade

ROOT = Path(__file__).resolve().parent.parent


def _texts(rubric_id: str) -> list[str]:
    path = ROOT / "corpus" / rubric_id / "answers.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["answer"] for r in rows if r["answer"].strip()]


def _rate(fn: object, texts: list[str], repeat: int) -> float:
    best = 0.0
    for _ in range(repeat):
        start = time.process_time()
        for text in texts:
            fn(text)  # type: ignore[operator]
        best = max(best, len(texts) / (time.process_time() - start))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rubric", default="internal-customer")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    compiled = RubricRegistry.from_dir(ROOT / "rubrics").get(args.rubric)
    texts = _texts(args.rubric)
    chars = sum(len(t) for t in texts) / len(texts)
    for text in texts[:20]:  # warm caches
        grade(compiled, text)
    segment = _rate(compiled.segmenter.cut, texts, args.repeat)
    graded = _rate(lambda t: grade(compiled, t), texts, args.repeat)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"texts: {len(texts)} answers, mean {chars:.0f} characters, one core")
    print(f"segmentation only (jieba): {segment:8.1f} answers/s")
    print(f"full grading:              {graded:8.1f} answers/s")
    print(f"ratio grading/segmentation: {graded / segment:.2f}  (target >= 0.50)")
    print(f"peak memory: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
