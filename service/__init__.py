"""Yuejuan (阅卷): rule-based grading of Chinese exam answers with itemized feedback."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
