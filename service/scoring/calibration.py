"""Calibration: learn from human-scored answers how much each piece of evidence is worth.

The rules say *what* an answer shows (each concept missing, named or explained; its
similarity to the references; its length). :class:`Calibration` learns, with
scikit-learn's non-negative ridge regression, how many points human markers give for
each of those, and stores the result as plain JSON next to the rubric.

Because the model is linear and one-hot in each concept's level, the calibrated score
splits into per-concept points (the weight of that concept's level, within the concept's
maximum) plus an explicit adjustment (intercept, similarity, length and rounding). The
itemized explanation therefore stays true to the score.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import Ridge

__all__ = ["Calibration", "Evidence", "calibration_path"]

LEVELS = ("named", "explained")


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the rules found in one answer: the input of calibration."""

    levels: dict[str, str | None]  # concept id -> "named" | "explained" | None
    similarity: float
    length_ratio: float  # answer length / expected length, capped


def calibration_path(rubric_file: Path) -> Path:
    """Where the calibration of a rubric file lives."""
    return rubric_file.with_suffix(".calibration.json")


class Calibration:
    """Non-negative linear map from evidence to score, fitted on human scores."""

    def __init__(self, concept_ids: Sequence[str], alpha: float = 1.0, max_length_ratio: float = 2.0) -> None:
        self.concept_ids = list(concept_ids)
        self.alpha = alpha
        self.max_length_ratio = max_length_ratio

    @property
    def feature_names(self) -> list[str]:
        return [f"{c}:{lvl}" for c in self.concept_ids for lvl in LEVELS] + ["similarity", "length"]

    def features(self, evidence: Evidence) -> list[float]:
        row: list[float] = []
        for concept in self.concept_ids:
            level = evidence.levels.get(concept)
            row.extend(1.0 if level == lvl else 0.0 for lvl in LEVELS)
        row.append(evidence.similarity)
        row.append(min(evidence.length_ratio, self.max_length_ratio))
        return row

    def fit(self, evidence: Sequence[Evidence], scores: Sequence[float]) -> Calibration:
        """Fit the weights on answers with human scores; returns ``self``."""
        x = np.array([self.features(e) for e in evidence], dtype=np.float64)
        y = np.array(scores, dtype=np.float64)
        model = Ridge(alpha=self.alpha, positive=True).fit(x, y)
        self.coef_ = [round(float(c), 6) for c in model.coef_]
        self.intercept_ = round(float(model.intercept_), 6)
        self.n_samples_ = len(y)
        return self

    def weight(self, concept_id: str, level: str) -> float:
        return self.coef_[self.feature_names.index(f"{concept_id}:{level}")]

    def predict_parts(self, evidence: Evidence) -> tuple[dict[str, float], float]:
        """Per-concept points and the rest (intercept, similarity, length), before clipping."""
        names = self.feature_names
        row = self.features(evidence)
        points = {c: 0.0 for c in self.concept_ids}
        rest = self.intercept_
        for name, value, coef in zip(names, row, self.coef_, strict=True):
            if ":" in name:
                points[name.split(":")[0]] += value * coef
            else:
                rest += value * coef
        return points, rest

    def predict(self, evidence: Sequence[Evidence]) -> np.ndarray:
        x = np.array([self.features(e) for e in evidence], dtype=np.float64)
        result: np.ndarray = x @ np.array(self.coef_) + self.intercept_
        return result

    def to_dict(self) -> dict[str, Any]:
        return {
            "params": {"concept_ids": self.concept_ids, "alpha": self.alpha, "max_length_ratio": self.max_length_ratio},
            "feature_names": self.feature_names,
            "coef": self.coef_,
            "intercept": self.intercept_,
            "n_samples": self.n_samples_,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        params = data["params"]
        model = cls(
            params["concept_ids"], alpha=float(params["alpha"]), max_length_ratio=float(params["max_length_ratio"])
        )
        if data["feature_names"] != model.feature_names:
            raise ValueError("calibration features do not match the rubric's concepts")
        model.coef_ = [float(c) for c in data["coef"]]
        model.intercept_ = float(data["intercept"])
        model.n_samples_ = int(data["n_samples"])
        return model

    def save(
        self, path: Path, *, rubric_id: str, rubric_version: str, engine_version: str, report: dict[str, Any]
    ) -> None:
        payload = {
            "rubric_id": rubric_id,
            "rubric_version": rubric_version,
            "engine_version": engine_version,
            "model": self.to_dict(),
            "cross_validation": report,
        }
        path.write_text(json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
