"""Agreement with human markers: the figures an exam board asks of an automated marker.

:func:`evaluate` grades a labeled file with a compiled rubric — optionally with k-fold
cross-validated calibration, so that no answer is scored by a calibration fitted on it —
and reports quadratic weighted kappa, correlations, exact and adjacent agreement, the
standardized mean difference, the confusion matrix, per-concept precision and recall, the
largest disagreements and how the gaming kinds fared.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import cohen_kappa_score, confusion_matrix
from sklearn.model_selection import KFold

from .corpus import LabeledAnswer
from .scoring import Calibration, CompiledRubric, GradeResult, calibration_evidence, grade
from .scoring.calibration import Evidence as CalibrationEvidence

__all__ = ["GAMING_KINDS", "Report", "agreement", "evaluate", "fit_calibration", "write_report"]

# Kinds of answer written to game a grader; none may score more than 2 points above its human score.
GAMING_KINDS = {
    "off_topic": ("crm_software", "culture_layers"),
    "keyword_list": ("keyword_list",),
    "copied_prompt": ("copied_prompt", "prompt_rearranged"),
    "empty": ("empty",),
}
# Reported beside them: talk about serving external customers, not off topic in the guide's sense.
WATCHED_KINDS = {"generic_service": ("generic_service",)}


def _round(value: float) -> int:
    return math.floor(value + 0.5)


def agreement(human: Sequence[float], predicted: Sequence[float], max_score: float) -> dict[str, Any]:
    """QWK (on whole points), Pearson, Spearman, exact/adjacent agreement, SMD, confusion matrix."""
    h = np.array(human, dtype=np.float64)
    p = np.array(predicted, dtype=np.float64)
    labels = list(range(_round(max_score) + 1))
    h_int = [_round(v) for v in h]
    p_int = [_round(v) for v in p]
    pooled = math.sqrt((h.var(ddof=1) + p.var(ddof=1)) / 2) if len(h) > 1 else 0.0
    constant = len(h) < 2 or h.std() == 0 or p.std() == 0
    return {
        "n": len(h),
        "qwk": float(cohen_kappa_score(h_int, p_int, weights="quadratic", labels=labels)),
        "pearson": float("nan") if constant else float(pearsonr(h, p)[0]),
        "spearman": float("nan") if constant else float(spearmanr(h, p)[0]),
        "exact": float(np.mean(np.array(h_int) == np.array(p_int))),
        "adjacent": float(np.mean(np.abs(h - p) <= 1.0 + 1e-9)),
        "smd": float((p.mean() - h.mean()) / pooled) if pooled else 0.0,
        "mean_human": float(h.mean()),
        "mean_predicted": float(p.mean()),
        "confusion": {"labels": labels, "rows_human": confusion_matrix(h_int, p_int, labels=labels).tolist()},
    }


def _concepts(rows: Sequence[LabeledAnswer], results: Sequence[GradeResult]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    concept_ids = [i.concept_id for i in results[0].items] if results else []
    for cid in concept_ids:
        tp = fp = fn = 0
        for row, result in zip(rows, results, strict=True):
            if cid not in row.concepts:
                continue
            human = row.concepts[cid] > 0
            machine = next(i.points for i in result.items if i.concept_id == cid) > 0
            tp += human and machine
            fp += machine and not human
            fn += human and not machine
        out[cid] = {
            "precision": tp / (tp + fp) if tp + fp else float("nan"),
            "recall": tp / (tp + fn) if tp + fn else float("nan"),
            "support": tp + fn,
        }
    return out


def fit_calibration(compiled: CompiledRubric, rows: Sequence[LabeledAnswer]) -> Calibration:
    """Fit a calibration of ``compiled`` on labeled answers."""
    scored = [r for r in rows if r.score is not None]
    return _fit(compiled, scored, [calibration_evidence(compiled, r.answer) for r in scored])


def _fit(
    compiled: CompiledRubric, scored: Sequence[LabeledAnswer], evidence: Sequence[CalibrationEvidence]
) -> Calibration:
    """A calibration of ``compiled`` fitted on scored answers whose evidence is already known."""
    rubric = compiled.rubric
    calibration = Calibration({c.id: c.points for c in rubric.concepts}, partial_credit=rubric.settings.partial_credit)
    scores = [float(r.score) for r in scored]  # type: ignore[arg-type]
    return calibration.fit(evidence, scores, [r.concepts for r in scored])


@dataclasses.dataclass
class Report:
    """The figures of one evaluation, ready to print or save."""

    rubric_id: str
    folds: int | None
    metrics: dict[str, Any]
    concepts: dict[str, dict[str, float]]
    disagreements: list[dict[str, Any]]
    gaming: dict[str, Any]
    predictions: list[tuple[str, float, float]]  # id, human, predicted

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def text(self, top: int = 15) -> str:
        """The figures for the person at the terminal, in Chinese (the measures keep their usual names)."""
        m = self.metrics
        mode = f"{self.folds} 折交叉验证的校准" if self.folds else "按现有配置评分"
        lines = [
            f"评分标准 {self.rubric_id}:{m['n']} 份作答,{mode}",
            f"  QWK {m['qwk']:.3f}   Pearson {m['pearson']:.3f}   Spearman {m['spearman']:.3f}",
            f"  完全一致 {m['exact']:.1%}   相差不超过 1 分 {m['adjacent']:.1%}   SMD {m['smd']:+.3f}"
            f"   平均分:人工 {m['mean_human']:.2f} / 机器 {m['mean_predicted']:.2f}",
            "  混淆矩阵(行为人工评分,列为机器评分,取整分):",
        ]
        labels = m["confusion"]["labels"]
        lines.append("       " + "".join(f"{label:>4}" for label in labels))
        for label, row in zip(labels, m["confusion"]["rows_human"], strict=True):
            lines.append(f"    {label:>3}" + "".join(f"{v:>4}" for v in row))
        lines.append("  各要点(得分 > 0 即算答到):")
        for cid, c in self.concepts.items():
            lines.append(f"    {cid:<22} 精确率 {c['precision']:.2f}  召回率 {c['recall']:.2f}  (n={c['support']:.0f})")
        worst = self.gaming["worst_excess"]
        lines.append(f"  投机作答:比人工评分最多高出 {worst:+.2f} 分(上限 +2.00)")
        lines.append(f"  分歧最大的作答(前 {top} 份):")
        for d in self.disagreements[:top]:
            lines.append(
                f"    {d['id']:<8} 人工 {d['human']:>5.2f}  机器 {d['machine']:>5.2f}  {d['kind']:<20} {d['text']}"
            )
        return "\n".join(lines)


def evaluate(
    compiled: CompiledRubric, rows: Sequence[LabeledAnswer], *, folds: int | None = None, seed: int = 0
) -> Report:
    """Grade every labeled answer and compare with the human scores.

    With ``folds``, a calibration is fitted on k-1 folds and scores the remaining fold, so
    every answer is scored by a calibration that never saw it.
    """
    rows = [r for r in rows if r.score is not None]
    results: list[GradeResult | None] = [None] * len(rows)
    if folds:
        # An answer's evidence is the rules' alone, the same in every fold: found once, not once per
        # fold it trains in (k - 1 times).
        evidence = [calibration_evidence(compiled, r.answer) for r in rows]
        splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
        for train, test in splitter.split(rows):
            calibration = _fit(compiled, [rows[i] for i in train], [evidence[i] for i in train])
            fold_rubric = dataclasses.replace(compiled, calibration=calibration)
            for i in test:
                results[i] = grade(fold_rubric, rows[i].answer)
    else:
        results = [grade(compiled, r.answer) for r in rows]
    done = [r for r in results if r is not None]
    human = [float(r.score) for r in rows]  # type: ignore[arg-type]
    machine = [r.score for r in done]
    disagreements = sorted(
        (
            {
                "id": row.id,
                "human": h,
                "machine": p,
                "kind": row.kind,
                "text": row.answer.replace("\n", " ")[:50],
            }
            for row, h, p in zip(rows, human, machine, strict=True)
        ),
        key=lambda d: (-abs(float(d["machine"]) - float(d["human"])), str(d["id"])),  # type: ignore[arg-type]
    )
    excess = {
        group: max([p - h for row, h, p in zip(rows, human, machine, strict=True) if row.kind in kinds], default=0.0)
        for group, kinds in {**GAMING_KINDS, **WATCHED_KINDS}.items()
    }
    return Report(
        rubric_id=compiled.rubric.id,
        folds=folds,
        metrics=agreement(human, machine, compiled.rubric.max_score),
        concepts=_concepts(rows, done),
        disagreements=disagreements,
        gaming={"excess_by_group": excess, "worst_excess": max((excess[g] for g in GAMING_KINDS), default=0.0)},
        predictions=[(row.id, h, p) for row, h, p in zip(rows, human, machine, strict=True)],
    )


def write_report(report: Report, directory: Path) -> list[Path]:
    """Write the figures as JSON and a predicted-vs-human plot as PNG (labelled in Chinese where the
    system has a font for it, see :mod:`service.plots`; its title and axis labels are also kept in the
    PNG's Title and Description text)."""
    from . import plots

    plots.cjk_font()  # before the figure is made: it takes its fonts from the settings then
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    data = directory / "evaluation.json"
    data.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=1, default=float) + "\n", encoding="utf-8")
    human = [h for _, h, _ in report.predictions]
    machine = [p for _, _, p in report.predictions]
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    jitter = np.random.default_rng(0).uniform(-0.12, 0.12, size=(2, len(human)))
    ax.scatter(np.array(human) + jitter[0], np.array(machine) + jitter[1], s=12, alpha=0.6)
    top = max([*human, *machine, 1.0])
    ax.plot([0, top], [0, top], color="grey", linewidth=1)
    xlabel, ylabel = plots.label("人工评分", "human score"), plots.label("机器评分", "machine score")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    m = report.metrics
    agreement = f"QWK {m['qwk']:.3f}, Spearman {m['spearman']:.3f}"
    title = plots.label(f"{report.rubric_id}:机器评分与人工评分\n{agreement}", f"{report.rubric_id}: {agreement}")
    ax.set_title(title)
    fig.tight_layout()
    plot = directory / "predicted_vs_human.png"
    fig.savefig(plot, metadata={"Title": title, "Description": f"{xlabel} / {ylabel}"})
    plt.close(fig)
    return [data, plot]
