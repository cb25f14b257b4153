"""Request and response bodies of the HTTP API, named by role."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

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
    "Text",
    "check_text",
]


def check_text(value: str) -> str:
    """Text we take must be storable and printable as it came: no NUL (no database text column holds
    one, and in an answer it means a broken encoding) and no unpaired UTF-16 surrogate (not UTF-8)."""
    if "\x00" in value:
        raise ValueError("不能含有空字符(U+0000);文本的编码可能有误")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("含有无法以 UTF-8 表示的字符(不成对的代理项)") from None
    return value


# Every string a caller sends that is graded, stored or echoed back; the pattern tells the spec's
# readers about NUL (check_text words the refusal).
Text = Annotated[str, AfterValidator(check_text), Field(json_schema_extra={"pattern": "^[^\\u0000]*$"})]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GradeRequest(_Request):
    rubric_id: Text = Field(min_length=1, max_length=64, examples=["internal-customer"])
    answer: Text = Field(description="The answer as the candidate wrote it. An empty answer scores 0.")


class Submission(_Request):
    id: Text = Field(min_length=1, max_length=200, description="The caller's id for this submission.")
    answer: Text


class BatchGradeRequest(_Request):
    rubric_id: Text = Field(min_length=1, max_length=64, examples=["internal-customer"])
    submissions: list[Submission] = Field(
        min_length=1,
        max_length=MAX_BATCH_SUBMISSIONS,
        description=f"At most {MAX_BATCH_SUBMISSIONS} submissions with unique ids; use batch jobs for more.",
    )


class ErrorDetail(BaseModel):
    loc: list[str | int] = Field(
        default_factory=list, description="Where the problem is: body, query or path, then the field."
    )
    message: str = Field(description="What is wrong, in plain language.")
    type: str | None = Field(
        default=None, description="Stable machine-readable kind of problem (pydantic's error type, e.g. `missing`)."
    )


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
