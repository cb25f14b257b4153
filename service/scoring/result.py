"""The result of grading one answer: the public contract of the service."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Adjustment", "ConceptItem", "Evidence", "Flag", "FlagCode", "GradeResult", "Status"]

Status = Literal["met", "partial", "missing"]
FlagCode = Literal[
    "empty",
    "too_short",
    "keyword_list",
    "copied_prompt",
    "repetitive",
    "off_topic",
    "contradiction",
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(_Model):
    """A sentence of the submitted answer; ``start``/``end`` index the answer as submitted."""

    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    role: Literal["support", "against"] = "support"


class ConceptItem(_Model):
    """What the answer shows of one concept of the rubric."""

    concept_id: str
    title: str
    status: Status
    points: float
    max_points: float
    evidence: list[Evidence]
    hint: str | None = Field(description="Shown when the concept is not fully met; points at what is missing.")
    contradicted: bool = False


class Flag(_Model):
    """An advisory flag for a human to review, with a message in Simplified Chinese."""

    code: FlagCode
    message: str


class Adjustment(_Model):
    """Points added to or taken from the sum of the items, with the reason."""

    points: float
    reason: str


class GradeResult(_Model):
    """Score, itemized feedback and flags for one answer."""

    rubric_id: str
    rubric_version: str
    engine_version: str
    score: float
    max_score: float
    items: list[ConceptItem]
    similarity: float = Field(ge=0, le=1, description="TF-IDF cosine to the closest reference answer.")
    flags: list[Flag]
    needs_review: bool
    comment: str
    adjustment: Adjustment | None = Field(
        default=None, description="Present when the score differs from the sum of the item points."
    )
    length: int = Field(ge=0, description="Characters of text in the answer (punctuation and spaces not counted).")
    expected_length: int = Field(ge=0)
