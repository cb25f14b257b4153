"""Roles of API keys, and which role may do what."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Role", "allows"]


class Role(StrEnum):
    """What a key may do: ``admin`` everything, ``grader`` grading, ``student`` self-check only."""

    ADMIN = "admin"
    GRADER = "grader"
    STUDENT = "student"


# Each role may do everything the roles below it may.
_RANK = {Role.STUDENT: 0, Role.GRADER: 1, Role.ADMIN: 2}


def allows(held: Role, needed: Role) -> bool:
    """Whether a key with role ``held`` may use an endpoint that needs ``needed``."""
    return _RANK[held] >= _RANK[needed]
