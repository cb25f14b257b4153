"""Request and response bodies of the batch-job API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler, TypeAdapter, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema
from typing_extensions import TypeAliasType

from ..scoring import GradeResult
from ..settings import MAX_JOB_SUBMISSIONS
from .schemas import ErrorBody, Text, check_text

__all__ = [
    "ConceptCoverage",
    "DuplicatePairOut",
    "JobCreateRequest",
    "JobList",
    "JobPurged",
    "JobReport",
    "JobResultItem",
    "JobResults",
    "JobStatus",
    "JobSubmission",
    "NearDuplicates",
    "ReviewItem",
    "ScoreBin",
    "ScoreDistribution",
    "WebhookState",
]

JobState = Literal["queued", "running", "done", "failed", "cancelled"]


# What the spec says of a submission's own fields: any JSON, with no NUL in a name or a string at any
# depth (JobSubmission._check_own_fields refuses those, in Chinese). Used for the schema only.
OwnValue = TypeAliasType(
    "OwnValue",
    "Text | int | float | bool | list[OwnValue] | dict[Text, OwnValue] | None",
)


class JobSubmission(BaseModel):
    """One submission; fields other than ``id`` and ``answer`` are kept and returned with the result."""

    model_config = ConfigDict(extra="allow")

    id: Text = Field(min_length=1, max_length=200)
    answer: Text

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler.resolve_ref_schema(handler(core_schema))
        names = {"pattern": "^[^\\u0000]*$"}
        reference = handler(TypeAdapter(OwnValue).core_schema)  # built only when a schema is asked for
        for branch in handler.resolve_ref_schema(reference)["anyOf"]:
            if "patternProperties" in branch:  # pydantic's form lets other names through with any value
                (value,) = branch.pop("patternProperties").values()
                branch.update(propertyNames=names, additionalProperties=value)
        schema.update(propertyNames=names, additionalProperties=reference)
        return schema

    @model_validator(mode="after")
    def _check_own_fields(self) -> JobSubmission:
        """Own fields are stored and exported like the answer, so the same characters are refused in
        them (in names and values, however deeply nested)."""
        for name, value in (self.model_extra or {}).items():
            pending: list[object] = [name, value]
            while pending:
                item = pending.pop()
                if isinstance(item, dict):
                    pending += [*item, *item.values()]
                elif isinstance(item, list):
                    pending += item
                elif isinstance(item, str):
                    try:
                        check_text(item)
                    except ValueError as error:
                        # The name is shown escaped: it may hold the very character refused.
                        shown = name.encode("utf-8", "backslashreplace").decode().replace("\x00", "\\x00")
                        raise ValueError(f"字段 {shown} {error}") from None
        return self


class JobCreateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rubric_id: Text = Field(min_length=1, max_length=64, examples=["internal-customer"])
    submissions: list[JobSubmission] = Field(min_length=1, max_length=MAX_JOB_SUBMISSIONS)
    callback_url: Text | None = Field(
        default=None, max_length=2000, description="POSTed a signed summary when the job ends (allow-listed hosts)."
    )


class WebhookState(BaseModel):
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    error: str | None


class JobStatus(BaseModel):
    id: str
    rubric_id: str
    rubric_version: str
    status: JobState
    total: int
    done: int = Field(description="Submissions graded so far, including those that got an error.")
    errors: int = Field(description="Submissions that could not be graded (see their `error` in the results).")
    progress: float = Field(ge=0, le=1)
    source: Literal["json", "csv", "xlsx", "jsonl"]
    filename: str | None
    header_row: int | None = Field(
        description="The row of an uploaded CSV or XLSX file that held the header, as a spreadsheet numbers it "
        "(rows above it, such as a title, were skipped); null for JSON submissions and JSON Lines files."
    )
    columns: list[str] = Field(description="Input columns other than id and answer, returned with the results.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    elapsed_seconds: float | None = Field(description="From start to finish (or to now while running).")
    rate_per_second: float | None
    error: ErrorBody | None = Field(description="Why the job failed, when it did.")
    callback_url: str | None
    webhook: WebhookState | None


class JobPurged(BaseModel):
    """What ``POST /v1/jobs/{id}/purge`` removed. The job's endpoints answer 410 ``job_purged`` since."""

    id: str
    status: Literal["purged"] = "purged"
    ended_as: Literal["done", "failed", "cancelled"] = Field(description="The status the job had ended in.")
    finished_at: datetime | None
    purged_at: datetime
    submissions_deleted: int = Field(description="Submissions deleted with their answers and results.")


class JobList(BaseModel):
    jobs: list[JobStatus]
    total: int
    offset: int
    limit: int


class JobResultItem(BaseModel):
    id: str
    status: Literal["pending", "done", "error"]
    extra: dict[str, object]
    result: GradeResult | None = None
    error: ErrorBody | None = None


class JobResults(BaseModel):
    job_id: str
    status: JobState
    total: int
    offset: int
    limit: int
    next_offset: int | None = Field(description="Pass as `offset` for the next page; null on the last page.")
    items: list[JobResultItem]


class ScoreBin(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: float = Field(alias="from")
    to: float
    count: int


class ScoreDistribution(BaseModel):
    count: int
    mean: float | None
    median: float | None
    std: float | None
    min: float | None
    max: float | None
    histogram: list[ScoreBin]


class ConceptCoverage(BaseModel):
    concept_id: str
    title: str
    met: int
    partial: int
    missing: int
    met_rate: float | None
    coverage_rate: float | None = Field(description="Met or partly met, over the graded submissions.")


class ReviewItem(BaseModel):
    id: str
    score: float
    flags: list[str]


class DuplicatePairOut(BaseModel):
    a: str
    b: str
    similarity: float = Field(description="Jaccard similarity of the two answers' character 5-grams.")


class NearDuplicates(BaseModel):
    threshold: float
    min_chars: int = Field(description="Answers shorter than this (letters and characters) are not compared.")
    total: int
    truncated: bool
    pairs: list[DuplicatePairOut]


class JobReport(BaseModel):
    job_id: str
    rubric_id: str
    rubric_version: str
    status: JobState
    complete: bool = Field(description="False while the job is still running: the figures cover graded answers.")
    total: int
    graded: int
    errors: int
    pending: int
    scores: ScoreDistribution
    concepts: list[ConceptCoverage]
    flags: dict[str, int]
    needs_review: list[ReviewItem]
    near_duplicates: NearDuplicates
