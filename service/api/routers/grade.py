"""Grading: one answer, or a batch of submissions in one request.

One answer is graded on the event loop (``async def``), or in a worker thread when it is long (see
:mod:`..offload`); a batch, which takes seconds, in a worker thread (``def``) so that the process
keeps answering other requests meanwhile.
"""

from __future__ import annotations

from fastapi import APIRouter

from ...auth.deps import GradeLimitDep
from ...errors import YuejuanError
from ...jobs.files import check_unique_ids
from ...scoring import GradeResult
from .. import metrics
from ..deps import RegistryDep, SettingsDep
from ..errors import AUTH_RESPONSES, ERROR_RESPONSES
from ..offload import check_length, grade_answer
from ..schemas import BatchGradeRequest, BatchGradeResult, BatchItem, ErrorBody, ErrorResponse, GradeRequest

router = APIRouter(prefix="/v1/grade", tags=["grade"])


@router.post("", response_model=GradeResult, responses={**ERROR_RESPONSES, **AUTH_RESPONSES})
async def grade_one(
    body: GradeRequest, caller: GradeLimitDep, registry: RegistryDep, settings: SettingsDep
) -> GradeResult:
    """Grade one answer and explain the score. Needs a grader or admin key."""
    # A usual answer is graded on the event loop: a few milliseconds of CPU that threads would only
    # fight over (one GIL); a server process per core gives the parallelism. A long one goes to a
    # worker thread so that it does not stall the other requests.
    compiled = registry.get(body.rubric_id)
    check_length(body.answer, settings.max_answer_chars)
    result = await grade_answer(registry, compiled.rubric.id, body.answer)
    metrics.GRADES.labels(compiled.rubric.id, "grade").inc()
    return result


_BATCH_RESPONSES: dict[int | str, dict[str, object]] = {
    **ERROR_RESPONSES,
    422: {
        "model": ErrorResponse,
        "description": "Malformed request body (`invalid_request`), or repeated submission ids "
        "(`duplicate_submission_ids`).",
    },
    **AUTH_RESPONSES,
}


@router.post("/batch", response_model=BatchGradeResult, responses=_BATCH_RESPONSES)
def grade_batch(
    body: BatchGradeRequest, caller: GradeLimitDep, registry: RegistryDep, settings: SettingsDep
) -> BatchGradeResult:
    """Grade up to 1000 submissions; results come back in the same order, each with its id. Needs a grader key.

    A submission that cannot be graded (an answer over the length limit) gets an ``error``
    instead of a ``result``; the others are graded all the same.
    """
    registry.get(body.rubric_id)
    # The same rule, code and wording as a batch job (422 duplicate_submission_ids).
    check_unique_ids(s.id for s in body.submissions)
    items = []
    for submission in body.submissions:
        try:
            check_length(submission.answer, settings.max_answer_chars)
            items.append(BatchItem(id=submission.id, result=registry.grade(body.rubric_id, submission.answer)))
        except YuejuanError as error:
            items.append(BatchItem(id=submission.id, error=ErrorBody(code=error.code, message=str(error))))
    metrics.GRADES.labels(body.rubric_id, "batch").inc(sum(1 for item in items if item.result is not None))
    return BatchGradeResult(rubric_id=body.rubric_id, results=items)
