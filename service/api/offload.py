"""Grading from a handler: the length check, and where the grading runs (short answers on the event
loop, long ones in a worker thread).

A few hundred characters grade in a millisecond or two, less than a hop to a worker thread
costs, so they stay on the loop. An answer of up to 20,000 characters takes a few tenths of a
second; graded on the loop it would stall every other request of the process (health checks
included) for that long. In a worker thread it shares the interpreter with the loop, which gets
its turn every few milliseconds.
"""

from __future__ import annotations

from fastapi.concurrency import run_in_threadpool

from ..errors import AnswerTooLongError
from ..registry import RubricRegistry
from ..scoring import GradeResult

__all__ = ["LOOP_CHARS", "check_length", "grade_answer"]

# Answers longer than this (about 20 ms of grading) are graded in a worker thread.
LOOP_CHARS = 2_000


def check_length(answer: str, limit: int) -> None:
    """Refuse an answer longer than ``limit`` characters (413 ``answer_too_long``)."""
    if len(answer) > limit:
        raise AnswerTooLongError(len(answer), limit)


async def grade_answer(registry: RubricRegistry, rubric_id: str, answer: str) -> GradeResult:
    """Grade one answer without stalling the event loop for long."""
    if len(answer) <= LOOP_CHARS:
        return registry.grade(rubric_id, answer)
    return await run_in_threadpool(registry.grade, rubric_id, answer)
