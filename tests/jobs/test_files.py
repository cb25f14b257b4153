"""Reading submissions from CSV/XLSX as administrators export them, and writing the results."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

import pytest
from openpyxl import Workbook, load_workbook

from conftest import padded_ids_xlsx
from service.errors import InvalidJobInputError, TooManySubmissionsError
from service.jobs import csv_bytes, export_header, export_row, read_submissions, write_xlsx


def test_csv_with_bom_keeps_other_columns_and_skips_blank_lines() -> None:
    data = '\ufeffid,班级,answer\r\nA01,一班,上级是下级的客户。\r\n,,\r\nA02,二班,"部门之间,互为客户。"\r\n'.encode()
    parsed = read_submissions(data, "sitting.csv")
    assert parsed.columns == ["班级"]
    assert [(r.id, r.answer, r.extra) for r in parsed.rows] == [
        ("A01", "上级是下级的客户。", {"班级": "一班"}),
        ("A02", "部门之间,互为客户。", {"班级": "二班"}),
    ]


def test_gb18030_csv_with_chinese_headers_from_excel() -> None:
    data = "考号,姓名,作答\n2026001,张三,下一道工序就是客户。\n".encode("gb18030")
    parsed = read_submissions(data, "成绩.csv")
    assert parsed.rows[0].id == "2026001" and parsed.rows[0].answer == "下一道工序就是客户。"
    assert parsed.rows[0].extra == {"姓名": "张三"}


def test_xlsx_numeric_ids_read_as_written() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["id", "answer", "score_by_hand"])
    sheet.append([1001, "上级给下级安排任务。", 7.5])
    sheet.append([1002, None, 0])
    buffer = io.BytesIO()
    workbook.save(buffer)
    parsed = read_submissions(buffer.getvalue(), "sitting.xlsx")
    assert [(r.id, r.answer, r.extra) for r in parsed.rows] == [
        ("1001", "上级给下级安排任务。", {"score_by_hand": "7.5"}),
        ("1002", "", {"score_by_hand": "0"}),
    ]


def test_xlsx_ids_shown_through_a_format_of_zeros_are_read_as_shown() -> None:
    """The cell holds 1234 and Excel shows 001234 (format 000000): it was read as 1234, an id the
    administrator never saw. Formats other than plain zeros are not interpreted (A7: #,##0)."""
    parsed = read_submissions(padded_ids_xlsx(), "第3题.xlsx")
    assert parsed.header_row == 2
    assert [(r.id, r.extra) for r in parsed.rows] == [
        ("001234", {"班级": "03"}),
        ("0056", {"班级": "12"}),
        ("00260001", {"班级": "3"}),
        ("000789", {"班级": "03"}),
        ("4321", {"班级": "1"}),
    ]


def _edit_sheets(data: bytes, edit: Callable[[str], str]) -> bytes:
    """The workbook with ``edit`` applied to the XML of each worksheet."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                content = edit(content.decode()).encode()
            target.writestr(item, content)
    return out.getvalue()


def _with_values(data: bytes, values: dict[str, str]) -> bytes:
    """The workbook with the number cells ``values`` (cell -> the text of its <v>) stored as given."""

    def edit(xml: str) -> str:
        for ref, text in values.items():
            xml = re.sub(rf'(<c r="{ref}"[^>]*><v>)[^<]*(</v>)', rf"\g<1>{text}\g<2>", xml)
        return xml

    return _edit_sheets(data, edit)


def test_xlsx_long_numeric_ids_are_read_exactly_or_refused_never_altered() -> None:
    """An 18-digit number (an ID-card number typed into a number cell) keeps only 15 significant digits
    in Excel, stored as 1.10101199001012E+17: it was read as 110101199001011232, an id nobody typed or
    saw, and graded under it."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["考号", "作答", "身份证号"])
    sheet.append([1, "上级给下级安排任务。", 1])
    sheet.append([1, "下一道工序是客户。", 1])
    sheet.append([1, "上级是下级的客户。", 1])
    sheet.append([202600000001.0, "部门之间互为客户。", 7.5])
    buffer = io.BytesIO()
    workbook.save(buffer)
    stored = {
        # In full, as programs write whole numbers: more than 15 digits, so not cut by Excel.
        "A2": "110101199001011234",
        "C2": "110101199001011234",
        # As Excel stores numbers it cut to 15 significant digits.
        "A3": "1.10101199001012E+17",
        "C3": "1.10101199001012E+17",
        "A4": "2026000000000000",
    }
    with pytest.raises(InvalidJobInputError) as caught:
        read_submissions(_with_values(buffer.getvalue(), stored), "sitting.xlsx")
    assert caught.value.code == "invalid_file"
    assert [p[: p.index(")") + 1] for p in caught.value.problems] == [
        "第 3 行的考号是超过 15 位的数字(110101199001012000)",
        "第 4 行的考号是超过 15 位的数字(2026000000000000)",
    ]
    assert "设为文本格式" in caught.value.problems[0]
    sheet["A3"], sheet["A4"] = "110101199001011250", "2026000000000001"  # typed into text cells, as asked
    buffer = io.BytesIO()
    workbook.save(buffer)
    del stored["A3"], stored["A4"]
    parsed = read_submissions(_with_values(buffer.getvalue(), stored), "sitting.xlsx")
    assert [(r.id, r.extra) for r in parsed.rows] == [
        ("110101199001011234", {"身份证号": "110101199001011234"}),
        ("110101199001011250", {"身份证号": "110101199001012000"}),  # the digits Excel shows
        ("2026000000000001", {"身份证号": "1"}),
        ("202600000001", {"身份证号": "7.5"}),
    ]


def test_a_title_row_above_the_header_is_skipped_and_the_header_row_reported() -> None:
    """Exam sheets often carry a title in row 1 ("2026年秋季考试 第3题") and the header in row 2: such a
    file was refused for lacking an id and an answer column."""
    data = "2026年秋季考试 第3题,,\r\n考号,姓名,作答\r\nS01,张三,上级是下级的客户。\r\nS02,李四,下一道工序是客户。\r\n"
    parsed = read_submissions(data.encode("gb18030"), "第3题.csv")
    assert parsed.header_row == 2 and parsed.columns == ["姓名"]
    assert [(r.id, r.answer) for r in parsed.rows] == [("S01", "上级是下级的客户。"), ("S02", "下一道工序是客户。")]
    # Tab-separated, with the title and a blank row above the header.
    data = "2026年秋季考试\n第3题 满分10分\n\nid\tanswer\nA1\t部门之间,互为客户。\n"
    parsed = read_submissions(data.encode(), "x.txt")
    assert parsed.header_row == 4 and [(r.id, r.answer) for r in parsed.rows] == [("A1", "部门之间,互为客户。")]
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["2026年秋季考试 第3题"])
    sheet.merge_cells("A1:C1")
    sheet.append(["学号", "作答", "班级"])
    sheet.append(["S01", "上级给下级安排任务。", "一班"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    parsed = read_submissions(buffer.getvalue(), "第3题.xlsx")
    assert parsed.header_row == 2 and [(r.id, r.extra) for r in parsed.rows] == [("S01", {"班级": "一班"})]
    assert read_submissions(b"id,answer\nA,x\n", "x.csv").header_row == 1
    # No header in the first rows: refused, saying where it was looked for.
    titles = "".join(f"第{n}行标题\n" for n in range(1, 12))
    with pytest.raises(InvalidJobInputError) as caught:
        read_submissions(f"{titles}id,answer\nA,x\n".encode(), "x.csv")
    assert caught.value.code == "invalid_file"
    assert any("前 10 行" in p and "表头" in p for p in caught.value.problems), caught.value.problems


def test_duplicate_ids_of_a_file_are_listed_with_their_rows() -> None:
    """The administrator has to find each repeated id in a sheet of thousands of rows: name the rows."""
    lines = ["2026年秋季考试", "考号,作答", "A,一", "B,二", "A,三", "", "C,四", *(["B,五"] * 7)]
    with pytest.raises(InvalidJobInputError) as caught:
        read_submissions("\n".join(lines).encode(), "x.csv")
    assert caught.value.code == "duplicate_submission_ids"
    assert caught.value.problems == ["作答编号必须唯一,以下编号重复:A(第 3、5 行);B(第 4、8、9、10、11 行等 8 处)"]
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in (["id", "answer"], [1001, "一"], [1002, "二"], ["1001", "三"]):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(InvalidJobInputError, match=r"重复:1001\(第 2、4 行\)$"):
        read_submissions(buffer.getvalue(), "x.xlsx")
    with pytest.raises(InvalidJobInputError, match=r"重复:7\(第 1、3 行\)$"):
        read_submissions(b'{"id": 7, "answer": "a"}\n\n{"id": "7", "answer": "b"}\n', "x.jsonl")


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    with pytest.raises(InvalidJobInputError) as caught:
        read_submissions(b"name,text\nx,y\n", "bad.csv")
    assert caught.value.code == "invalid_file" and len(caught.value.problems) == 4
    assert caught.value.problems[0].startswith("在文件前 10 行中没有找到表头")  # neither row is one
    assert "按逗号分列" in caught.value.problems[3]  # the separator used, and those accepted
    with pytest.raises(InvalidJobInputError) as caught:
        read_submissions("id,answer\n,答\nA,答\n,答\n".encode(), "x.csv")
    assert caught.value.problems == ["第 2 行缺少 id", "第 4 行缺少 id"]
    with pytest.raises(InvalidJobInputError) as caught:
        read_submissions("id,answer\nA,一\nB,二\nA,三\n".encode(), "x.csv")
    assert caught.value.code == "duplicate_submission_ids" and "A" in str(caught.value)
    with pytest.raises(InvalidJobInputError) as caught:
        read_submissions(b"PK\x03\x04 not really a workbook", "x.xlsx")
    assert caught.value.problems[0].startswith("无法读取 XLSX 文件")
    assert not any(word in caught.value.problems[0] for word in ("File", "zip", "Error"))  # no English
    with pytest.raises(TooManySubmissionsError, match="4 份"):
        read_submissions(b"id,answer\n1,a\n2,b\n3,c\n4,d\n", "x.csv", limit=3)


def test_export_rows_are_excel_safe_and_carry_errors() -> None:
    result = {
        "score": 6.5,
        "max_score": 10.0,
        "items": [{"concept_id": "rank", "points": 1.0}, {"concept_id": "process", "points": 0.0}],
        "flags": [{"code": "too_short"}, {"code": "repetitive"}],
        "needs_review": True,
        "comment": "得分 6.5/10。",
    }
    header = export_header(["班级"], ["rank", "process"])
    good = export_row("=1+1", {"班级": "一班"}, ["班级"], ["rank", "process"], result, None)
    bad = export_row("B", {}, ["班级"], ["rank", "process"], None, "answer_too_long: 过长")
    body = b"".join(csv_bytes([header, good, bad]))
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert (
        lines[0] == "id,班级,score,max_score,rank,process,adjustment,adjustment_reason,flags,needs_review,comment,error"
    )
    assert lines[1] == "'=1+1,一班,6.5,10,1,0,0,,too_short;repetitive,TRUE,得分 6.5/10。,"
    assert lines[2] == "B,,,,,,,,,,,answer_too_long: 过长"
    buffer = io.BytesIO()
    write_xlsx([header, good], buffer)
    workbook = load_workbook(buffer, read_only=True)
    row = next(workbook.worksheets[0].iter_rows(min_row=2, values_only=True))
    workbook.close()
    assert list(row)[:4] == ["=1+1", "一班", 6.5, 10]


def test_xlsx_export_keeps_ids_as_text_while_csv_neutralises_formulas() -> None:
    """An id like -0001 or +86 138… came back as '-0001 in the XLSX export: the quote that keeps a CSV
    cell from being run as a formula is not needed in a cell the workbook stores as text."""
    ids = ["-0001", "+86 13800000000", "@王同学", '=HYPERLINK("http://x")', "S01"]
    columns = ["=备注"]
    header = export_header(columns, ["rank"])
    rows = [export_row(i, {"=备注": "-3"}, columns, ["rank"], None, "answer_too_long: 过长") for i in ids]
    lines = b"".join(csv_bytes([header, *rows])).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("id,'=备注,score")
    assert [line.split(",")[0] for line in lines[1:]] == [
        "'-0001",
        "'+86 13800000000",
        "'@王同学",
        '"\'=HYPERLINK(""http://x"")"',
        "S01",
    ]
    assert all(",'-3," in line for line in lines[1:])
    buffer = io.BytesIO()
    write_xlsx([header, *rows], buffer)
    workbook = load_workbook(buffer)  # not read-only: a cell's type is known
    sheet = workbook.worksheets[0]
    assert sheet["B1"].value == "=备注" and sheet["B1"].data_type == "s"
    assert [sheet.cell(row=n, column=1).value for n in range(2, 7)] == ids
    assert all(
        sheet.cell(row=n, column=c).data_type == "s" for n in range(2, 7) for c in (1, 2)
    )  # text, never formulas
    assert sheet["B2"].value == "-3"


def _with_cached_results(data: bytes, results: dict[str, str]) -> bytes:
    """The workbook as Excel saves it: each formula cell also holds its result (``results``: cell -> text)."""

    def edit(xml: str) -> str:
        for ref, text in results.items():
            xml = re.sub(
                rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?',
                rf'<c r="{ref}"\1 t="str"><f>\2</f><v>{text}</v>',
                xml,
            )
        return xml

    return _edit_sheets(data, edit)


def test_a_formula_saved_without_its_result_is_refused_not_graded_as_empty() -> None:
    # A program (openpyxl here) writes formulas without computing them; read as empty, the answer would
    # be graded 0 with nothing to warn anyone. Excel and WPS store each result beside its formula.
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["id", "answer", "note"])
    sheet.append(["A1", '=CONCATENATE("上级给下级","安排任务。")', "ok"])
    sheet.append(["A2", "下一道工序是客户。", "=LEN(B3)"])
    sheet.append(["A3", "部门之间互为客户。", "plain"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(InvalidJobInputError) as caught:
        read_submissions(buffer.getvalue(), "generated.xlsx")
    assert caught.value.code == "invalid_file"
    first, second = caught.value.problems
    assert first.startswith("第 2 行的「answer」列是公式,文件里没有保存它的计算结果")
    assert second.startswith("第 3 行的「note」列是公式") and "另存为 CSV" in second
    saved = _with_cached_results(buffer.getvalue(), {"B2": "上级给下级安排任务。", "C3": "9"})
    parsed = read_submissions(saved, "saved-by-excel.xlsx")
    assert [(r.id, r.answer, r.extra) for r in parsed.rows] == [
        ("A1", "上级给下级安排任务。", {"note": "ok"}),
        ("A2", "下一道工序是客户。", {"note": "9"}),
        ("A3", "部门之间互为客户。", {"note": "plain"}),
    ]


def test_json_lines_as_the_corpus_is_saved() -> None:
    """A .jsonl file (one object a line, as corpus/ and LMS exports keep answers) was read as a CSV and
    refused with its first line shown as 65 columns of broken JSON."""
    lines = [
        '{"id": "S01", "班级": "一班", "answer": "上级是下级的客户。\u2028换一行。", "score": 6.5}',
        "",
        '{"考号": 2026002, "作答": "部门之间互为客户。", "meta": {"k": [1, 2]}}\r',
    ]
    parsed = read_submissions("\n".join(lines).encode(), "一班.jsonl")
    assert [(r.id, r.answer, r.extra) for r in parsed.rows] == [
        ("S01", "上级是下级的客户。\u2028换一行。", {"班级": "一班", "score": 6.5}),
        ("2026002", "部门之间互为客户。", {"meta": {"k": [1, 2]}}),
    ]
    assert parsed.columns == ["班级", "score", "meta"]
    bad = "\n".join(
        [
            '{"id": 1, "answer": "x"}',
            "[1]",
            "not json",
            '{"id": true, "answer": "y"}',
            '{"answer": "z"}',
            '{"id": "a", "answer": 5}',
        ]
    )
    with pytest.raises(InvalidJobInputError) as caught:
        read_submissions(bad.encode(), "bad.jsonl")
    assert caught.value.code == "invalid_file"
    assert caught.value.problems == [
        '第 2 行须为一个 JSON 对象,如 {"id": "S01", "answer": "……"}',
        "第 3 行不是有效的 JSON(第 1 个字符处)",
        "第 4 行的 id 须为文本或整数",
        "第 5 行缺少 id",
        "第 6 行的 answer 须为文本",
    ]
    with pytest.raises(InvalidJobInputError, match="重复:7"):
        read_submissions(b'{"id": 7, "answer": "a"}\n{"id": "7", "answer": "b"}\n', "x.jsonl")
    with pytest.raises(TooManySubmissionsError, match="4 份"):
        read_submissions(b"".join(b'{"id": %d, "answer": "a"}\n' % i for i in range(4)), "x.jsonl", limit=3)
