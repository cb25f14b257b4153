"""Grading a chunk of submissions in a worker process: the one piece the runner and the CLI share.

Work crosses the process boundary as plain data (ids, answers, JSON-ready dicts), so a
remote worker can take the same chunks later.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import AnswerTooLongError, YuejuanError
from ..registry import RubricRegistry, settle_heap

__all__ = ["ChunkFailed", "Outcome", "exit_with_parent", "grade_chunk", "init_worker", "warm_up"]

_registry: RubricRegistry | None = None
_max_chars = 20_000


@dataclass(frozen=True, slots=True)
class Outcome:
    """One graded submission: its result as JSON-ready data, or an error for this submission only."""

    seq: int
    result: dict[str, Any] | None
    error_code: str | None = None
    error_message: str | None = None


class ChunkFailed(Exception):
    """The whole chunk cannot be graded (the rubric is gone, or it or the way it grades changed)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(code, message)

    def __reduce__(self) -> tuple[type[ChunkFailed], tuple[str, str]]:
        return (ChunkFailed, (self.code, self.message))


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def exit_with_parent() -> None:
    """Make this worker end when its parent dies (a SIGKILLed server cannot stop its pool)."""
    threading.Thread(target=_watch, args=(os.getppid(),), daemon=True).start()


def init_worker(rubrics_dir: str, max_answer_chars: int, registry: RubricRegistry | None = None) -> None:
    """Load and compile the rubrics once per worker process (or use ``registry``, already compiled)."""
    global _registry, _max_chars
    if registry is None:
        exit_with_parent()
    _registry = registry or RubricRegistry.from_dir(Path(rubrics_dir))
    _max_chars = max_answer_chars
    settle_heap()  # a long-lived process: keep full collections off the loaded rubrics


def warm_up() -> int:
    """A no-op task: submitting one per worker starts the pool (and loads rubrics) ahead of work."""
    return 0 if _registry is None else len(_registry.ids())


def grade_chunk(
    rubric_id: str, rubric_version: str | None, items: list[tuple[int, str]], fingerprint: str | None = None
) -> list[Outcome]:
    """Grade ``items`` (seq, answer) against the rubric the job was created with, graded the way it was
    then (``fingerprint``: engine, TF-IDF statistics and calibration too), so that no job mixes two."""
    if _registry is None:
        raise RuntimeError("init_worker() was not called in this process")
    try:
        compiled = _registry.get(rubric_id)
    except YuejuanError as error:
        raise ChunkFailed(error.code, str(error)) from None
    if rubric_version is not None and compiled.rubric.version != rubric_version:
        raise ChunkFailed(
            "rubric_version_changed",
            f"评分标准 {rubric_id} 的版本已由 {rubric_version} 变为 {compiled.rubric.version},"
            "为保证同一作业评分一致,作业已停止。",
        )
    if fingerprint is not None and compiled.fingerprint != fingerprint:
        raise ChunkFailed(
            "grading_changed",
            f"评分标准 {rubric_id} 的评分方式(评分引擎、相似度统计或按人工评分的校准)在作业进行中发生了变化,"
            "为保证同一作业评分一致,作业已停止;请重新提交该作业。",
        )
    outcomes = []
    for seq, answer in items:
        try:
            if len(answer) > _max_chars:
                raise AnswerTooLongError(len(answer), _max_chars)
            result = _registry.grade(rubric_id, answer)
        except YuejuanError as error:
            outcomes.append(Outcome(seq, None, error.code, str(error)))
            continue
        outcomes.append(Outcome(seq, json.loads(result.model_dump_json())))
    return outcomes
