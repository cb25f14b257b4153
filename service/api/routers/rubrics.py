"""Rubrics: the list, and the public view of one."""

from __future__ import annotations

from fastapi import APIRouter

from ...auth.deps import GraderDep
from ..deps import RegistryDep
from ..errors import ERROR_RESPONSES, KEY_RESPONSES
from ..schemas import ConceptPublic, RubricList, RubricPublic, RubricSummary

router = APIRouter(prefix="/v1/rubrics", tags=["rubrics"])


@router.get("", response_model=RubricList)
async def list_rubrics(registry: RegistryDep) -> RubricList:
    """Every rubric the service grades against."""
    return RubricList(
        rubrics=[
            RubricSummary(id=r.id, version=r.version, title=r.title, max_score=r.max_score) for r in registry.rubrics()
        ]
    )


@router.get("/{rubric_id}", response_model=RubricPublic, responses={404: ERROR_RESPONSES[404], **KEY_RESPONSES})
async def get_rubric(rubric_id: str, caller: GraderDep, registry: RegistryDep) -> RubricPublic:
    """The view of a rubric for graders: prompt, concepts with titles, points and hints.

    It needs a grader key because concept titles may name the very phrases a student should
    come up with; students see the self-check view instead.
    """
    rubric = registry.get(rubric_id).rubric
    return RubricPublic(
        id=rubric.id,
        version=rubric.version,
        title=rubric.title,
        prompt=rubric.prompt,
        max_score=rubric.max_score,
        expected_length=rubric.expected_length.target,
        concepts=[ConceptPublic(id=c.id, title=c.title, points=c.points, hint=c.hint) for c in rubric.concepts],
    )
