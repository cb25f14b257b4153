"""`yuejuan grade-file`, run as an administrator runs it, on a real CSV and XLSX."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from conftest import padded_ids_xlsx, together
from service.jobs import export_header
from service.registry import RubricRegistry

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus" / "internal-customer" / "answers.jsonl"


def _yuejuan(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("yuejuan", path=str(Path(sys.executable).parent))
    command = [exe] if exe else [sys.executable, "-m", "service.cli"]
    return subprocess.run([*command, *args], capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_grade_file_writes_the_export_columns_in_input_order(tmp_path: Path, registry: RubricRegistry) -> None:
    answers = [json.loads(line)["answer"] for line in CORPUS.read_text(encoding="utf-8").splitlines()][:30]
    source = tmp_path / "一班.csv"
    with source.open("w", encoding="utf-8-sig", newline="") as sink:
        writer = csv.writer(sink)
        writer.writerow(["考号", "姓名", "作答"])
        writer.writerows([f"S{i:02d}", f"考生{i}", a] for i, a in enumerate(answers))
        writer.writerow(["S99", "考生99", "字" * 20_001])
    out = tmp_path / "out" / "graded.csv"
    xlsx = tmp_path / "graded.xlsx"
    run, again = together(
        lambda: _yuejuan("grade-file", str(source), "--rubric", "internal-customer", "-o", str(out), "--workers", "2"),
        lambda: _yuejuan("grade-file", str(source), "--rubric", "internal-customer", "-o", str(xlsx), "--quiet"),
    )
    assert run.returncode == 0, run.stderr
    assert "已评 31 份,其中 1 份无法评分" in run.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    concepts = [c.id for c in registry.get("internal-customer").rubric.concepts]
    assert rows[0] == export_header(["姓名"], concepts)
    assert [r[0] for r in rows[1:]] == [f"S{i:02d}" for i in range(30)] + ["S99"]
    for row, answer in zip(rows[1:6], answers, strict=False):
        result = registry.grade("internal-customer", answer)
        assert (float(row[2]), row[-2], row[-1]) == (result.score, result.comment, "")
    assert rows[-1][-1].startswith("answer_too_long")

    assert again.returncode == 0, again.stderr
    workbook = load_workbook(xlsx, read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()  # read-only workbooks keep the file open until closed
    assert len(rows) == 32


def test_grade_file_reads_json_lines_like_the_corpus(tmp_path: Path, registry: RubricRegistry) -> None:
    source = tmp_path / "一班.jsonl"
    source.write_text("".join(CORPUS.read_text(encoding="utf-8").splitlines(keepends=True)[:3]), encoding="utf-8")
    out = tmp_path / "graded.csv"
    run = _yuejuan("grade-file", str(source), "--rubric", "internal-customer", "-o", str(out), "--quiet")
    assert run.returncode == 0, run.stderr
    header, *rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    lines = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
    assert [r[0] for r in rows] == [line["id"] for line in lines]
    # The corpus's own fields come back beside the results; its human "score" as input:score.
    assert header[1:3] == ["split", "kind"] and "input:score" in header
    cell = dict(zip(header, rows[0], strict=True))
    assert float(cell["score"]) == registry.grade("internal-customer", lines[0]["answer"]).score
    assert cell["split"] == lines[0]["split"] and float(cell["input:score"]) == lines[0]["score"]


def test_grade_file_reports_a_bad_file_without_a_traceback(tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("name,text\nx,y\n", encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text("id,answer\n1,上级是下级的客户。\n", encoding="utf-8")
    run, missing, unknown = together(
        lambda: _yuejuan("grade-file", str(source), "--rubric", "internal-customer", "-o", str(tmp_path / "o.csv")),
        lambda: _yuejuan("grade-file", str(tmp_path / "nope.csv"), "--rubric", "internal-customer"),
        lambda: _yuejuan("grade-file", str(good), "--rubric", "nope"),
    )
    assert run.returncode == 2 and "invalid_file" in run.stderr and "Traceback" not in run.stderr
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert unknown.returncode == 2 and "unknown_rubric" in unknown.stderr


def _answers(n: int) -> list[str]:
    """Corpus answers a CSV line can hold as they are: no ASCII quote, comma or line break."""
    answers = [json.loads(line)["answer"] for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    return [a for a in answers if a.strip() and not set(a) & {'"', ",", "\n", "\r"}][:n]


def test_grade_file_refuses_an_unclosed_quote_naming_its_line(tmp_path: Path) -> None:
    answers = _answers(7)
    lines = ["id,answer", *(f"s{i + 1},{a}" for i, a in enumerate(answers))]
    lines[2] = f's2,"{answers[1]}'
    source = tmp_path / "一班.csv"
    source.write_text("\r\n".join(lines), encoding="utf-8")
    out = tmp_path / "graded.csv"
    run = _yuejuan("grade-file", str(source), "--rubric", "internal-customer", "-o", str(out), "--quiet")
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    assert "invalid_file" in run.stderr and "第 3 行" in run.stderr and "引号" in run.stderr
    assert "已评" not in run.stderr and not out.exists()


def _read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def test_grade_file_gives_an_overlong_answer_its_own_error(tmp_path: Path, registry: RubricRegistry) -> None:
    answers = _answers(2)
    source = tmp_path / "长.csv"
    source.write_text(f"id,answer\na,{answers[0]}\nlong,{'字' * 140_000}\nb,{answers[1]}\n", encoding="utf-8")
    out = tmp_path / "graded.csv"
    run = _yuejuan("grade-file", str(source), "--rubric", "internal-customer", "-o", str(out), "--quiet")
    assert run.returncode == 0, run.stderr
    assert "已评 3 份,其中 1 份无法评分" in run.stderr
    rows = _read_csv(out)
    assert [r[0] for r in rows[1:]] == ["a", "long", "b"]
    assert rows[2][-1].startswith("answer_too_long") and "140000" in rows[2][-1]
    assert float(rows[3][1]) == registry.grade("internal-customer", answers[1]).score


def test_grade_file_neutralises_formulas_in_header_cells(tmp_path: Path) -> None:
    formulas = ["=1+2", '=HYPERLINK("http://example.com","点我")', "@SUM(1)", "-1", "+1"]
    source = tmp_path / "一班.csv"
    with source.open("w", encoding="utf-8", newline="") as sink:
        csv.writer(sink).writerows([["id", "answer", *formulas], ["a", _answers(1)[0], "1", "2", "3", "4", "5"]])
    out = tmp_path / "graded.csv"
    xlsx = tmp_path / "graded.xlsx"
    to_csv, to_xlsx = together(
        lambda: _yuejuan("grade-file", str(source), "--rubric", "internal-customer", "-o", str(out), "--quiet"),
        lambda: _yuejuan("grade-file", str(source), "--rubric", "internal-customer", "-o", str(xlsx), "--quiet"),
    )
    assert to_csv.returncode == 0, to_csv.stderr
    assert _read_csv(out)[0][1:6] == ["'" + f for f in formulas]
    assert to_xlsx.returncode == 0, to_xlsx.stderr
    workbook = load_workbook(xlsx)
    header = next(workbook.worksheets[0].iter_rows(max_row=1))
    workbook.close()
    # In a workbook a text cell is never run: the names as they were, stored as text ("s"), not formulas.
    assert [(c.value, c.data_type) for c in header[1:6]] == [(f, "s") for f in formulas]


def test_concept_points_and_adjustment_add_up_to_the_score(tmp_path: Path, registry: RubricRegistry) -> None:
    records = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    answers = list(dict.fromkeys(r["answer"] for r in records))[:80]
    source = tmp_path / "一班.csv"
    with source.open("w", encoding="utf-8", newline="") as sink:
        csv.writer(sink).writerows([["id", "answer"], *([f"S{i:02d}", a] for i, a in enumerate(answers))])
    concepts = [c.id for c in registry.get("internal-customer").rubric.concepts]

    def grade_into(out: Path) -> subprocess.CompletedProcess[str]:
        return _yuejuan("grade-file", str(source), "--rubric", "internal-customer", "-o", str(out), "--quiet")

    outs = (tmp_path / "graded.csv", tmp_path / "graded.xlsx")
    runs = together(lambda: grade_into(outs[0]), lambda: grade_into(outs[1]))
    for out, run in zip(outs, runs, strict=True):
        assert run.returncode == 0, run.stderr
        if out.suffix == ".csv":
            table: list[list[object]] = [list(r) for r in _read_csv(out)]
        else:
            workbook = load_workbook(out, read_only=True)
            table = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
            workbook.close()
        header = [str(h) for h in table[0]]
        adjusted = 0
        for row, answer in zip(table[1:], answers, strict=True):
            cell = dict(zip(header, row, strict=True))
            result = registry.grade("internal-customer", answer)
            points = sum(float(cell[c] or 0) for c in concepts)  # type: ignore[arg-type]
            adjustment = float(cell["adjustment"] or 0)  # type: ignore[arg-type]
            assert abs(points + adjustment - float(cell["score"])) < 1e-6, (out.name, cell["id"])  # type: ignore[arg-type]
            assert float(cell["score"]) == result.score  # type: ignore[arg-type]
            reason = result.adjustment.reason if result.adjustment else ""
            assert (cell["adjustment_reason"] or "") == reason
            adjusted += adjustment != 0
        assert adjusted >= 10, "the corpus answers should exercise the adjustment"


def test_grade_file_skips_a_title_row_and_says_where_the_header_is(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["2026年秋季考试 第3题"])
    sheet.append(["考号", "姓名", "作答"])
    sheet.append(["S01", "张三", _answers(1)[0]])
    source = tmp_path / "第3题.xlsx"
    workbook.save(source)
    out = tmp_path / "graded.csv"
    run = _yuejuan("grade-file", str(source), "--rubric", "internal-customer", "-o", str(out), "--quiet")
    assert run.returncode == 0, run.stderr
    assert "表头在第 2 行" in run.stderr and "已评 1 份" in run.stderr
    assert [r[:2] for r in _read_csv(out)] == [["id", "姓名"], ["S01", "张三"]]


def test_grade_file_reads_ids_as_a_format_of_zeros_shows_them(tmp_path: Path) -> None:
    """Ids kept as numbers shown through a format such as 000000 (1234 shown as 001234) were graded and
    written back as 1234: not the id the administrator sees, nor the one the results are matched by."""
    source = tmp_path / "第3题.xlsx"
    source.write_bytes(padded_ids_xlsx())
    out = tmp_path / "graded.csv"
    run = _yuejuan("grade-file", str(source), "--rubric", "internal-customer", "-o", str(out), "--quiet")
    assert run.returncode == 0, run.stderr
    assert [r[:2] for r in _read_csv(out)] == [
        ["id", "班级"],
        ["001234", "03"],
        ["0056", "12"],
        ["00260001", "3"],
        ["000789", "03"],
        ["4321", "1"],
    ]
