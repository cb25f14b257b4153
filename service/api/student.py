"""The student's view of a graded draft: what ``POST /v1/check`` returns and the page shows.

It is built from the same :class:`~service.scoring.GradeResult` as ``/v1/grade`` but must not
become an oracle for gaming the rubric. So it carries no rule elements, synonym groups,
weights (points per concept), reference answers, similarity or reviewer comment; the title of
a concept only once the draft has met it (titles of unmet concepts can name the target
phrase); hints, which the rubric loader keeps free of the concept's key phrases; flags in the
student's own words; and the score only when the rubric's ``show_score_to_students`` is set.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..rubric import Rubric
from ..scoring import GradeResult

__all__ = ["CheckEvidence", "CheckFlag", "CheckItem", "CheckQuestion", "CheckResult", "question_view", "student_view"]

STUDENT_FLAG_MESSAGES = {
    "empty": "还没有写内容。",
    "too_short": "篇幅偏短:目前约 {length} 字,建议写到 {expected} 字左右,把想法展开说清楚。",
    "keyword_list": "草稿主要是在罗列词语。请用完整的句子说明你的理解,罗列的词语不计分。",
    "copied_prompt": "草稿中有较多照抄题目的内容,照抄部分不计分,请用自己的话来写。",
    "repetitive": "草稿中有重复的句子或段落,重复的内容只计一次。",
    "off_topic": "草稿的内容与本题关系不大,请再读一读题目要求。",
    "contradiction": "草稿中有与要点相反的说法,相关要点不计分。请再检查一下你的观点。",
}


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class CheckEvidence(_Out):
    """A sentence of the draft; ``start``/``end`` index the draft as sent, in Unicode code points."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    role: Literal["support", "against"] = Field(description="`against`: the sentence says the opposite.")


class CheckItem(_Out):
    """One point of the rubric, as far as the draft shows it."""

    number: int = Field(ge=1, description="Position of the point in the rubric, from 1.")
    status: Literal["met", "partial", "missing"]
    label: str = Field(description="The point's title once met; otherwise 要点 N.")
    hint: str | None = Field(description="What to think about when the point is not fully met.")
    evidence: list[CheckEvidence]


class CheckFlag(_Out):
    code: str
    message: str


class CheckResult(_Out):
    """Feedback on a draft, for the student who wrote it."""

    rubric_id: str
    rubric_version: str
    score: float | None = Field(description="Shown only when the rubric allows it.")
    max_score: float | None
    met: int = Field(ge=0, description="How many points the draft meets fully.")
    total: int = Field(ge=1, description="How many points the rubric has.")
    items: list[CheckItem]
    flags: list[CheckFlag]
    length: int = Field(ge=0, description="Characters of text (punctuation and spaces not counted).")
    min_length: int = Field(ge=0)
    expected_length: int = Field(ge=0)


class CheckQuestion(_Out):
    """A question students can check a draft against."""

    id: str
    title: str
    prompt: str
    min_length: int
    expected_length: int
    shows_score: bool


def _flag_message(code: str, result: GradeResult) -> str:
    template = STUDENT_FLAG_MESSAGES.get(code, "请再检查一下草稿。")
    return template.format(length=result.length, expected=result.expected_length)


def student_view(result: GradeResult, rubric: Rubric) -> CheckResult:
    """Turn a grade into what the student may see of it."""
    show_score = rubric.settings.show_score_to_students
    items = []
    for number, item in enumerate(result.items, start=1):
        met = item.status == "met" and not item.contradicted
        items.append(
            CheckItem(
                number=number,
                status=item.status,
                label=item.title if met else f"要点 {number}",
                hint=None if met else (item.hint or rubric.concept(item.concept_id).hint),
                evidence=[CheckEvidence(start=e.start, end=e.end, role=e.role) for e in item.evidence],
            )
        )
    return CheckResult(
        rubric_id=result.rubric_id,
        rubric_version=result.rubric_version,
        score=result.score if show_score else None,
        max_score=result.max_score if show_score else None,
        met=sum(1 for i in items if i.status == "met"),
        total=len(items),
        items=items,
        flags=[CheckFlag(code=f.code, message=_flag_message(f.code, result)) for f in result.flags],
        length=result.length,
        min_length=rubric.expected_length.min,
        expected_length=result.expected_length,
    )


def question_view(rubric: Rubric) -> CheckQuestion:
    """What the page shows of a question before any draft is checked."""
    return CheckQuestion(
        id=rubric.id,
        title=rubric.title,
        prompt=rubric.prompt.strip(),
        min_length=rubric.expected_length.min,
        expected_length=rubric.expected_length.target,
        shows_score=rubric.settings.show_score_to_students,
    )
