"""Calibration: learn from human-scored answers how much each piece of evidence is worth.

The rules say *what* an answer shows: each concept missing, named or explained; its
similarity to the reference answers; how much of it is on topic. Calibration learns, in
two stages with scikit-learn, how many points careful markers give for that:

1. **Per concept.** For each concept and each level the rules found, the points markers
   gave that concept (a linear regression on the level's indicator, fitted on the
   answers' per-concept human labels; concepts without labels keep the rule weights).
   The levels are named, explained (in one sentence) and developed (explained in two or
   more sentences: markers give a point explained once about four fifths of its points, one
   developed nearly all). Each is never worth less than the one before, and nothing is worth
   more than the concept's maximum. A concept shown only the way a view the guide calls wrong
   sees it (a duty owed upward in an answer that holds the one-way view) is a step of its own,
   ``one_way``: its worth is what markers gave those answers on average, never more than named.
2. **Overall.** A non-negative ridge regression of the human score on the sum of the
   concept points, the similarity, the on-topic length and the discussion: the sentences that
   relate two or more of the rubric's word groups in everyday words yet support no concept
   (markers credit points made in plain words that the rules cannot place). A regression
   pulls its predictions toward the mean (strong answers scored low, weak ones high), so the
   fit is then stretched about the mean until its predictions spread as widely as the human
   scores they were fitted on (never narrowed).

The score therefore splits into per-concept points (stage 1, scaled by stage 2's slope)
plus an explicit adjustment (intercept, similarity, length, discussion, rounding): the itemized
explanation stays true. Everything learned is plain numbers in JSON, next to the rubric.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LinearRegression, Ridge

__all__ = ["Calibration", "Evidence", "calibration_path"]

LEVELS = ("named", "explained")
# Calibration's own finer levels: explained in two or more sentences; shown only as a wrong view sees it.
DEVELOPED = "developed"
ONE_WAY = "one_way"
_STEPS = (*LEVELS, DEVELOPED)
# Fewer answers than this at a step: the step is weighed by the rule weights (or, for one_way, as named).
_MIN_ROWS = 10
OVERALL = ("concepts", "similarity", "length", "discussion")


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the rules found in one answer: the input of calibration."""

    levels: Mapping[str, str | None]  # concept id -> "named" | "explained" | None
    similarity: float
    length_ratio: float  # length of the on-topic sentences / expected length (padding adds nothing)
    discussion: int = 0  # sentences on the subject in everyday words that support no concept
    depth: Mapping[str, int] = field(default_factory=dict)  # concept id -> sentences at its level
    # Concepts shown only the way a view the guide calls wrong sees it (see ConceptEvidence.capped).
    one_way: frozenset[str] = frozenset()

    def step(self, concept: str) -> str | None:
        """The concept's level as calibration weighs it: ``developed`` for explained in 2+ sentences,
        ``one_way`` for a concept shown only as a wrong view sees it."""
        level = self.levels.get(concept)
        if level is not None and concept in self.one_way:
            return ONE_WAY
        if level == "explained" and self.depth.get(concept, 1) >= 2:
            return DEVELOPED
        return level


def calibration_path(rubric_file: Path) -> Path:
    """Where the calibration of a rubric file lives."""
    return rubric_file.with_suffix(".calibration.json")


class Calibration:
    """Maps the rules' evidence to the points human markers give; see the module docstring."""

    def __init__(
        self,
        max_points: Mapping[str, float],
        partial_credit: float = 0.5,
        alpha: float = 1.0,
        max_length_ratio: float = 1.5,
        max_discussion: int = 4,
    ) -> None:
        self.max_points = dict(max_points)
        self.partial_credit = partial_credit
        self.alpha = alpha
        self.max_length_ratio = max_length_ratio
        self.max_discussion = max_discussion

    def fit(
        self,
        evidence: Sequence[Evidence],
        scores: Sequence[float],
        concept_labels: Sequence[Mapping[str, float]] | None = None,
    ) -> Calibration:
        """Fit on answers with human scores (and, when known, per-concept human points)."""
        self.credit_: dict[str, dict[str, float]] = {}
        for concept, top in self.max_points.items():
            rule = {"named": top * self.partial_credit, "explained": top, DEVELOPED: top}
            labeled = [
                (e.step(concept), labels[concept])
                for e, labels in zip(evidence, concept_labels or [{}] * len(evidence), strict=True)
                if concept in labels
            ]
            rows = [(lvl, points) for lvl, points in labeled if lvl != ONE_WAY]
            one_way = [points for lvl, points in labeled if lvl == ONE_WAY]
            if len(rows) < _MIN_ROWS:
                self.credit_[concept] = rule
                continue
            x = np.array([[lvl in _STEPS, lvl in _STEPS[1:], lvl == DEVELOPED] for lvl, _ in rows], dtype=np.float64)
            y = np.array([points for _, points in rows], dtype=np.float64)
            model = LinearRegression(positive=True).fit(x, y)
            named = min(max(float(model.intercept_ + model.coef_[0]), 0.0), top)
            explained = min(max(named + float(model.coef_[1]), named), top)
            developed = min(max(explained + float(model.coef_[2]), explained), top)
            self.credit_[concept] = {
                "named": round(named, 6),
                "explained": round(explained, 6),
                DEVELOPED: round(developed, 6),
            }
            if len(one_way) >= _MIN_ROWS:
                self.credit_[concept][ONE_WAY] = round(min(float(np.mean(one_way)), named), 6)
        x = np.array([self._overall(e) for e in evidence], dtype=np.float64)
        y = np.array(scores, dtype=np.float64)
        overall = Ridge(alpha=self.alpha, positive=True).fit(x, y)
        fitted = overall.predict(x)
        spread = float(np.std(fitted))
        stretch = max(1.0, float(np.std(y)) / spread) if spread > 0 else 1.0
        self.coef_ = [round(float(c) * stretch, 6) for c in overall.coef_]
        self.intercept_ = round(float(y.mean() + stretch * (overall.intercept_ - fitted.mean())), 6)
        self.n_samples_ = len(scores)
        return self

    def _concept_points(self, evidence: Evidence) -> dict[str, float]:
        return {c: self._credit(c, evidence.step(c)) for c in self.max_points}

    def _credit(self, concept: str, step: str | None) -> float:
        credit = self.credit_[concept]
        if step == ONE_WAY:
            # Too few such answers to learn from (or a calibration stored before the step existed): named.
            return credit.get(ONE_WAY, credit["named"])
        if step not in _STEPS:
            return 0.0
        # A calibration stored before the developed level existed weighs it as explained.
        return credit.get(step, credit["explained"])

    def _others(self, evidence: Evidence) -> list[float]:
        """The overall features after the concept sum: similarity, length, discussion."""
        return [
            evidence.similarity,
            min(evidence.length_ratio, self.max_length_ratio),
            min(evidence.discussion, self.max_discussion),
        ]

    def _overall(self, evidence: Evidence) -> list[float]:
        return [sum(self._concept_points(evidence).values()), *self._others(evidence)]

    def predict_parts(self, evidence: Evidence) -> tuple[dict[str, float], float]:
        """Per-concept points and the rest (intercept, similarity, length), before clipping."""
        slope = self.coef_[0]
        points = {c: p * slope for c, p in self._concept_points(evidence).items()}
        rest = self.intercept_ + sum(c * v for c, v in zip(self.coef_[1:], self._others(evidence), strict=True))
        return points, rest

    def predict(self, evidence: Sequence[Evidence]) -> np.ndarray:
        return np.array([sum(p.values()) + rest for p, rest in map(self.predict_parts, evidence)])

    def to_dict(self) -> dict[str, Any]:
        return {
            "params": {
                "max_points": self.max_points,
                "partial_credit": self.partial_credit,
                "alpha": self.alpha,
                "max_length_ratio": self.max_length_ratio,
                "max_discussion": self.max_discussion,
            },
            "concept_credit": self.credit_,
            "overall": {"features": list(OVERALL), "coef": self.coef_, "intercept": self.intercept_},
            "n_samples": self.n_samples_,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        params = data["params"]
        model = cls(
            {str(k): float(v) for k, v in params["max_points"].items()},
            partial_credit=float(params["partial_credit"]),
            alpha=float(params["alpha"]),
            max_length_ratio=float(params["max_length_ratio"]),
            max_discussion=int(params.get("max_discussion", 4)),
        )
        model.credit_ = {c: {lvl: float(v) for lvl, v in d.items()} for c, d in data["concept_credit"].items()}
        # A calibration stored before a feature existed gives it no weight.
        fitted = dict(zip(data["overall"]["features"], data["overall"]["coef"], strict=True))
        model.coef_ = [float(fitted.get(feature, 0.0)) for feature in OVERALL]
        model.intercept_ = float(data["overall"]["intercept"])
        model.n_samples_ = int(data["n_samples"])
        return model

    def matches(self, max_points: Mapping[str, float]) -> bool:
        """Whether this calibration was fitted for a rubric with these concepts and points."""
        return self.max_points == dict(max_points)

    def save(
        self,
        path: Path,
        *,
        rubric_id: str,
        rubric_version: str,
        engine_version: str,
        report: dict[str, Any],
        rubric_digest: str | None = None,
    ) -> None:
        payload = {
            "rubric_id": rubric_id,
            "rubric_version": rubric_version,
            "rubric_digest": rubric_digest,
            "engine_version": engine_version,
            "model": self.to_dict(),
            "cross_validation": report,
        }
        path.write_text(json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
