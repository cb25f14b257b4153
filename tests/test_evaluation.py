"""Agreement figures, calibration, and the regression guard on the human-scored corpus."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngImageFile

from service import plots
from service.corpus import read_labeled
from service.evaluation import agreement, evaluate, fit_calibration, write_report
from service.registry import RubricRegistry
from service.scoring import ENGINE_VERSION, CompiledRubric, calibration_path, compile_rubric, grade, rubric_digest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "internal-customer" / "answers.jsonl"


def test_agreement_figures_on_known_vectors() -> None:
    same = agreement([0, 2, 5, 8, 10], [0, 2, 5, 8, 10], 10)
    assert same["qwk"] == pytest.approx(1.0) and same["exact"] == 1.0 and same["adjacent"] == 1.0
    assert same["smd"] == 0.0 and same["spearman"] == pytest.approx(1.0)
    shifted = agreement([0, 2, 5, 8, 9], [1, 3, 6, 9, 10], 10)
    assert shifted["exact"] == 0.0 and shifted["adjacent"] == 1.0 and shifted["smd"] > 0
    assert sum(map(sum, shifted["confusion"]["rows_human"])) == 5


def test_corpus_is_double_marked_and_covers_the_scale() -> None:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 240
    assert all({"marker_a", "marker_b", "score", "concepts", "kind"} <= set(r) for r in rows)
    assert all(abs(r["marker_a"]["score"] - r["marker_b"]["score"]) <= 2 or r["resolution"] for r in rows)
    bands = {min(int(r["score"]), 9) for r in rows}
    assert bands == set(range(10))


def test_regression_guard_cross_validated_agreement(ic: CompiledRubric) -> None:
    """Floors a little under the measured figures: a change that lowers agreement fails here."""
    rules_only = dataclasses.replace(ic, calibration=None)
    report = evaluate(rules_only, read_labeled(CORPUS), folds=5)
    m = report.metrics
    assert m["qwk"] >= 0.94, m
    assert m["spearman"] >= 0.94, m
    assert m["pearson"] >= 0.94, m
    assert m["adjacent"] >= 0.80, m
    assert abs(m["smd"]) <= 0.15, m
    assert report.gaming["excess_by_group"]["off_topic"] <= 2.0
    assert report.gaming["excess_by_group"]["keyword_list"] <= 2.0
    assert report.gaming["excess_by_group"]["copied_prompt"] <= 2.0
    assert report.gaming["excess_by_group"]["empty"] <= 0.0


def test_regression_guard_on_the_held_out_writers(ic: CompiledRubric) -> None:
    """Rules and calibration never saw the held-out writers (`split: holdout`, listed in scripts/corpus_merge.py): a
    rule tuned to the others' wording shows up here."""
    rows = read_labeled(CORPUS)
    dev = [r for r in rows if r.split == "dev"]
    held_out = [r for r in rows if r.split == "holdout"]
    assert len(held_out) >= 2795
    calibrated = dataclasses.replace(ic, calibration=fit_calibration(ic, dev))
    report = evaluate(calibrated, held_out)
    m = report.metrics
    assert m["qwk"] >= 0.94, m
    assert m["spearman"] >= 0.945, m
    assert m["adjacent"] >= 0.81, m
    assert abs(m["smd"]) <= 0.15, m
    assert report.gaming["worst_excess"] <= 2.0


def test_calibrated_points_still_add_up(ic: CompiledRubric) -> None:
    rows = read_labeled(CORPUS)
    # A few hundred answers fit a calibration of every kind of evidence; the whole corpus only costs time.
    calibrated = dataclasses.replace(ic, calibration=fit_calibration(ic, rows[::10]))
    for row in rows[:40]:
        result = grade(calibrated, row.answer)
        shift = result.adjustment.points if result.adjustment else 0.0
        assert sum(i.points for i in result.items) + shift == pytest.approx(result.score)
        for item in result.items:
            assert 0 <= item.points <= item.max_points


def test_a_stale_calibration_is_ignored(tmp_path: Path, ic: CompiledRubric) -> None:
    rows = read_labeled(CORPUS)
    path = tmp_path / "x.calibration.json"
    fit_calibration(ic, rows[:60]).save(
        path, rubric_id="internal-customer", rubric_version="old", engine_version="0", report={}
    )
    assert compile_rubric(ic.rubric, calibration_file=path).calibration is None


def test_a_calibration_fitted_before_the_rubric_was_edited_is_ignored_though_the_version_is_the_same(
    tmp_path: Path, ic: CompiledRubric
) -> None:
    # Rubric authors add a synonym and forget the version: the calibration fitted before no longer fits.
    path = tmp_path / "x.calibration.json"
    fit_calibration(ic, read_labeled(CORPUS)[:60]).save(
        path,
        rubric_id="internal-customer",
        rubric_version=ic.rubric.version,
        engine_version=ENGINE_VERSION,
        report={},
        rubric_digest=rubric_digest(ic.rubric),
    )
    assert compile_rubric(ic.rubric, calibration_file=path).calibration is not None
    lexicon = {**ic.rubric.lexicon, "customer": [*ic.rubric.lexicon["customer"], "服务接收方"]}
    edited = ic.rubric.model_copy(update={"lexicon": lexicon})
    assert edited.version == ic.rubric.version
    assert compile_rubric(edited, calibration_file=path).calibration is None
    # A calibration stored before digests were kept is still used (its version and engine match).
    stored = json.loads(path.read_text(encoding="utf-8"))
    del stored["rubric_digest"]
    path.write_text(json.dumps(stored), encoding="utf-8")
    assert compile_rubric(edited, calibration_file=path).calibration is not None


def _yuejuan(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_evaluate_command_on_a_csv_with_report(tmp_path: Path) -> None:
    rows = read_labeled(CORPUS)[:30]
    labeled = tmp_path / "labeled.csv"
    with labeled.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "answer", "score"])
        for row in rows:
            writer.writerow([row.id, row.answer, row.score])
    out = tmp_path / "report"
    run = _yuejuan(
        "evaluate", "--rubric", "internal-customer", "--labeled", str(labeled), "--report", str(out), "--top", "3"
    )
    assert run.returncode == 0, run.stderr
    assert "QWK" in run.stdout and "Spearman" in run.stdout and "分歧最大的作答(前 3 份)" in run.stdout
    figures = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))
    assert figures["metrics"]["n"] == 30
    assert (out / "predicted_vs_human.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_report_plot_is_labelled_in_chinese(tmp_path: Path, ic: CompiledRubric) -> None:
    """The plot said "human score", "machine score": the one English an exam board saw in the report.
    Drawn without a font for Chinese, each character would be an empty box (and matplotlib warns,
    which fails the test)."""
    if plots.cjk_font() is None and not os.environ.get("CI"):
        pytest.skip("no font for Chinese here: `make test` installs fonts-wqy-microhei when run as root")
    report = evaluate(ic, read_labeled(CORPUS)[:20])
    png = write_report(report, tmp_path)[1]
    with Image.open(png) as image:
        assert isinstance(image, PngImageFile)
        text = dict(image.text)
    assert text["Title"].startswith("internal-customer:机器评分与人工评分\nQWK ")
    assert text["Description"] == "人工评分 / 机器评分"


def test_calibrate_command_writes_json_next_to_the_rubric(tmp_path: Path) -> None:
    rubrics = tmp_path / "rubrics"
    rubrics.mkdir()
    shutil.copy(ROOT / "tests/data/rubrics/waste-sorting.yaml", rubrics)
    answers = [
        ("生活垃圾分为可回收物、有害垃圾、厨余垃圾和其他垃圾四类。分类能减少污染。我家每天分开投放。", 6),
        ("垃圾分为可回收物和有害垃圾。", 2),
        ("分类可以保护环境,节约资源。", 2),
        ("我家每天把垃圾分开投放。", 2),
        ("今天天气很好。", 0),
        ("", 0),
    ] * 3
    labeled = tmp_path / "waste.jsonl"
    labeled.write_text(
        "".join(
            json.dumps({"id": str(i), "answer": a, "score": s}, ensure_ascii=False) + "\n"
            for i, (a, s) in enumerate(answers)
        ),
        encoding="utf-8",
    )
    run = _yuejuan(
        "--rubrics-dir",
        str(rubrics),
        "calibrate",
        "--rubric",
        "waste-sorting",
        "--labeled",
        str(labeled),
        "--folds",
        "3",
    )
    assert run.returncode == 0, run.stderr
    stored = json.loads(calibration_path(rubrics / "waste-sorting.yaml").read_text(encoding="utf-8"))
    assert stored["rubric_id"] == "waste-sorting" and stored["cross_validation"]["folds"] == 3
    compiled = RubricRegistry.from_dir(rubrics).get("waste-sorting")
    assert compiled.calibration is not None
    result = grade(compiled, answers[0][0])
    shift = result.adjustment.points if result.adjustment else 0.0
    assert sum(i.points for i in result.items) + shift == pytest.approx(result.score)
