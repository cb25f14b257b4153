"""Rubrics: the schema of rubric files and their loading and validation."""

from __future__ import annotations

from .advice import rubric_advice
from .loader import load_rubric, load_rubric_dir, parse_rubric
from .schema import Concept, ExpectedLength, Rubric, RubricSettings, Rule

__all__ = [
    "Concept",
    "ExpectedLength",
    "Rubric",
    "RubricSettings",
    "Rule",
    "load_rubric",
    "load_rubric_dir",
    "parse_rubric",
    "rubric_advice",
]
