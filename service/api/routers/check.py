"""Self-check: a student's draft in, the student view of its grade out (no oracle for gaming); and the
anonymous visitor tokens that let the page's visitors be rate-limited one by one, not per address."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from ...auth import issue_visitor_token
from ...auth.deps import CheckAccessDep, CheckLimitDep, VisitorTokenLimitDep
from .. import metrics
from ..deps import RegistryDep, SettingsDep
from ..errors import CHECK_RESPONSES, ERROR_RESPONSES
from ..offload import check_length, grade_answer
from ..schemas import Text
from ..student import CheckQuestion, CheckResult, question_view, student_view

router = APIRouter(prefix="/v1/check", tags=["check"])
# A key is optional here (unless the deployment requires one): `{}` in the spec's security says so.
_OPTIONAL_KEY: dict[str, object] = {"security": [{}]}


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rubric_id: Text = Field(min_length=1, max_length=64, examples=["internal-customer"])
    answer: Text = Field(description="The draft as the student wrote it.")


class CheckQuestionList(BaseModel):
    questions: list[CheckQuestion]


class VisitorToken(BaseModel):
    token: str = Field(description="Send it as the `X-Visitor-Token` header of each `POST /v1/check`.")
    expires_in: int = Field(description="Seconds the token is good for; then ask for a new one.")


@router.post(
    "", response_model=CheckResult, responses={**ERROR_RESPONSES, **CHECK_RESPONSES}, openapi_extra=_OPTIONAL_KEY
)
async def check_draft(
    body: CheckRequest, caller: CheckLimitDep, registry: RegistryDep, settings: SettingsDep
) -> CheckResult:
    """Check a draft: which points it meets, where, and hints for the rest; the score only if the rubric allows."""
    compiled = registry.get(body.rubric_id)
    check_length(body.answer, settings.max_answer_chars)
    result = await grade_answer(registry, compiled.rubric.id, body.answer)
    metrics.GRADES.labels(compiled.rubric.id, "check").inc()
    return student_view(result, compiled.rubric)


@router.get("/questions", response_model=CheckQuestionList, responses=CHECK_RESPONSES, openapi_extra=_OPTIONAL_KEY)
async def list_questions(caller: CheckAccessDep, registry: RegistryDep) -> CheckQuestionList:
    """The questions a draft can be checked against, with their prompts."""
    return CheckQuestionList(questions=[question_view(r) for r in registry.rubrics()])


@router.post("/visitor-token", response_model=VisitorToken, responses=CHECK_RESPONSES, openapi_extra=_OPTIONAL_KEY)
async def create_visitor_token(request: Request, caller: VisitorTokenLimitDep, settings: SettingsDep) -> VisitorToken:
    """A new anonymous visitor token: checks sent with it are counted per visitor, not per client address."""
    token = issue_visitor_token(request.app.state.visitor_secret)
    return VisitorToken(token=token, expires_in=settings.visitor_token_hours * 3600)
