"""Request and response bodies of the HTTP API, named by role."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ..scoring import GradeResult
from ..settings import MAX_BATCH_SUBMISSIONS

__all__ = [
    "BatchGradeRequest",
    "BatchGradeResult",
    "BatchItem",
    "ConceptPublic",
    "ErrorBody",
    "ErrorDetail",
    "ErrorResponse",
    "GradeRequest",
    "Health",
    "RubricList",
    "RubricPublic",
    "RubricSummary",
    "Submission",
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GradeRequest(_Request):
    rubric_id: str = Field(min_length=1, max_length=64, examples=["internal-customer"])
    answer: str = Field(description="The answer as the candidate wrote it. An empty answer scores 0.")


class Submission(_Request):
    id: str = Field(min_length=1, max_length=200, description="The caller's id for this submission.")
    answer: str


class BatchGradeRequest(_Request):
    rubric_id: str = Field(min_length=1, max_length=64, examples=["internal-customer"])
    submissions: list[Submission] = Field(
        min_length=1,
        max_length=MAX_BATCH_SUBMISSIONS,
        description=f"At most {MAX_BATCH_SUBMISSIONS} submissions with unique ids; use batch jobs for more.",
    )


class ErrorDetail(BaseModel):
    loc: list[str | int] = Field(default_factory=list)
    message: str


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable code.")
    message: str = Field(description="What went wrong, in plain language.")
    details: list[ErrorDetail] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class BatchItem(BaseModel):
    """One submission's outcome: a result, or an error that concerns this submission only."""

    id: str
    result: GradeResult | None = None
    error: ErrorBody | None = None


class BatchGradeResult(BaseModel):
    rubric_id: str
    results: list[BatchItem]


class Health(BaseModel):
    status: str


class RubricSummary(BaseModel):
    id: str
    version: str
    title: str
    max_score: float


class RubricList(BaseModel):
    rubrics: list[RubricSummary]


class ConceptPublic(BaseModel):
    id: str
    title: str
    points: float
    hint: str


class RubricPublic(BaseModel):
    """What anyone may see of a rubric: no rules, synonyms or reference answers."""

    id: str
    version: str
    title: str
    prompt: str
    max_score: float
    expected_length: int
    concepts: list[ConceptPublic]
