"""Scoring: concept matching, similarity, flags and the one ``grade()`` function. Pure."""

from __future__ import annotations

from .calibration import Calibration, calibration_path
from .engine import ENGINE_VERSION, CompiledRubric, compile_rubric, rubric_digest, tfidf_path
from .grade import calibration_evidence, grade
from .result import Adjustment, ConceptItem, Evidence, Flag, GradeResult
from .similarity import Doc, TfidfModel

__all__ = [
    "ENGINE_VERSION",
    "Adjustment",
    "Calibration",
    "CompiledRubric",
    "ConceptItem",
    "Doc",
    "Evidence",
    "Flag",
    "GradeResult",
    "TfidfModel",
    "calibration_evidence",
    "calibration_path",
    "compile_rubric",
    "grade",
    "rubric_digest",
    "tfidf_path",
]
