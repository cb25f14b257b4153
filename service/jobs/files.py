"""Submissions in and results out as CSV (UTF-8 with BOM) or XLSX.

An input file has a header row with an ``id`` and an ``answer`` column (Chinese headers such
as 考号/作答 are accepted too), in one of its first rows (a title may stand above it); every
other column is kept and written back beside the results.
A JSON Lines file (``.jsonl``, the corpus's format) holds one object a line with the same fields.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from ..errors import InvalidJobInputError, TooManySubmissionsError
from ..settings import MAX_JOB_SUBMISSIONS

__all__ = [
    "InputRow",
    "ParsedInput",
    "check_unique_ids",
    "csv_bytes",
    "decode_text",
    "export_header",
    "export_row",
    "file_kind",
    "read_submissions",
    "write_xlsx",
]

ID_HEADERS = ("id", "submission_id", "编号", "考号", "准考证号", "学号")
ANSWER_HEADERS = ("answer", "作答", "答案", "回答", "作答内容")
# The column separators a CSV may use, in the order preferred on a tie, with their names for messages.
_DELIMITERS = {",": "逗号", "\t": "制表符(Tab)", ";": "分号"}
_ACCEPTED = "逗号、制表符(Tab)或分号"
# The header is looked for in this many first rows (blank ones included): a title may stand above it.
HEADER_ROWS = 10
# A CSV cell starting with one of these is run as a formula by spreadsheet programs: csv_bytes quotes it.
# An XLSX cell needs no quote, since write_xlsx stores text as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters XML (so XLSX) cannot hold; openpyxl refuses a cell with any of them.
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# The csv module refuses a cell over 131,072 characters, failing the whole file in English; the body
# limit bounds an upload, and an over-long answer gets its own error when graded. (The setting is
# process-wide; no reader in this package relies on the lower limit.)
csv.field_size_limit(2**31 - 1)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# The inside of a quoted CSV cell: anything but a quote, or a doubled quote.
_QUOTED_BODY = re.compile(r'[^"]*(?:""[^"]*)*')


@dataclass(frozen=True, slots=True)
class InputRow:
    id: str
    answer: str
    extra: dict[str, Any] = field(default_factory=dict)  # text from a CSV or XLSX, any JSON value from JSON


@dataclass(frozen=True, slots=True)
class ParsedInput:
    rows: list[InputRow]
    columns: list[str]  # the extra columns, in file order
    header_row: int | None = None  # the row of a CSV or XLSX holding the header, as a spreadsheet numbers it


class _Rounded(str):
    """An XLSX number cell holding a whole number of 16 digits or more as Excel stores one: as a float, or
    with only zeros after the 15th digit. Excel keeps 15 significant digits, so the digits after those
    were lost when it was typed (an 18-digit ID-card number ends in 000). Read as text, it is the number
    Excel shows; as an id, it is refused. (A number written out in full by a program is exact.)"""

    __slots__ = ()


# Excel keeps 15 significant digits of a number; a float from 10**15 up may have lost some.
_EXACT_BELOW = 10**15


# A whole number shown with a format of zeros only ("000000": 1234 shows as 001234) is read as shown,
# since candidate ids are often kept that way. Other formats are not interpreted and the number is read
# as stored: digit placeholders and separators ("#,##0"), decimals ("0.00"), literal text or characters
# ('"A"0000', "00-0000", "\\A0000"), several sections ("0000;-0000"), colours and conditions ("[Red]0000"),
# and a fraction under a zero format (Excel would show it rounded).
_ZERO_PADDED = re.compile(r"0+")


def _padded(value: int | float, number_format: str | None) -> str | None:
    """A whole number as a format of zeros only shows it (1234 under "000000": "001234"), else None."""
    if number_format is None or not _ZERO_PADDED.fullmatch(number_format):
        return None
    if (isinstance(value, float) and not value.is_integer()) or abs(value) >= _EXACT_BELOW:
        return None  # a fraction is read as stored; a long number may have lost digits (see _Rounded)
    digits = str(abs(int(value))).rjust(len(number_format), "0")
    return "-" + digits if value < 0 else digits


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        if abs(value) >= _EXACT_BELOW:
            return _Rounded(int(Decimal(f"{value:.15g}")))  # the digits Excel shows, not the float's binary tail
        return str(int(value))
    if isinstance(value, int) and abs(value) >= _EXACT_BELOW and len(str(abs(value)).rstrip("0")) <= 15:
        return _Rounded(value)  # all its digits after the 15th are 0: as Excel leaves a number it cut
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _broken_utf8_lines(data: bytes) -> list[int] | None:
    """Lines with bytes that are not UTF-8, when the file is otherwise UTF-8 (more non-ASCII characters
    decode than fail); None when it is not UTF-8 at all. Reading such a file as GB18030 would turn every
    Chinese character into mojibake without an error."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 127) - bad
    if good <= bad:
        return None
    return [n for n, line in enumerate(text.splitlines(), start=1) if "\ufffd" in line]


def decode_text(data: bytes, save_as: str = "UTF-8 编码的 CSV") -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), else GB18030 (GBK):
    what spreadsheets and editors in China save. A UTF-8 file with broken bytes is refused, not
    guessed at; ``save_as`` is what the message asks an unreadable file to be saved as."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InvalidJobInputError(["UTF-16 文件已损坏,无法读取。"], code="invalid_file") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    broken = _broken_utf8_lines(data)
    if broken:
        lines = "、".join(str(n) for n in broken[:10]) + ("……" if len(broken) > 10 else "")
        message = f"文件是 UTF-8 编码,但第 {lines} 行含有无法识别的字节(文件可能已损坏)。"
        raise InvalidJobInputError([message], code="invalid_file")
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise InvalidJobInputError([f"文件编码无法识别,请另存为{save_as}。"], code="invalid_file") from None


def _header_lines(text: str) -> list[str]:
    """The lines among the first HEADER_ROWS holding more than spaces, quotes and separators: those
    where the reader looks for the header."""
    lines = []
    for n, line in enumerate(io.StringIO(text, newline=None)):
        if n >= HEADER_ROWS:
            break
        if line.strip(' \t\r\n"' + "".join(_DELIMITERS)):
            lines.append(line)
    return lines


def _delimiter(text: str) -> str:
    """The column separator: the one that reads one of the first lines as a header with both an id and
    an answer column, else the one reading the first non-blank line into the most cells; comma on a
    tie. Excel saves comma-separated CSV, tab-separated "Unicode text", and semicolon-separated CSV
    where the comma is the decimal mark."""
    lines = _header_lines(text) or [""]

    def fit(delimiter: str) -> tuple[bool, int]:
        rows = list(csv.reader(lines, delimiter=delimiter))
        found = any(_is_header(cells) for cells in rows)
        return found, len(rows[0]) if rows else 0

    return max(_DELIMITERS, key=fit)  # max keeps the first of equals: comma, then tab


def _where(text: str, index: int) -> tuple[int, str]:
    """The 1-based line of ``text[index]`` (line breaks counted as the csv module counts them: CRLF,
    CR, LF) and how that line starts, for the administrator to find it."""
    line_start = max(text.rfind("\n", 0, index), text.rfind("\r", 0, index)) + 1
    shown = _LINE_BREAK.split(text[line_start : line_start + 41], maxsplit=1)[0]
    return len(_LINE_BREAK.findall(text, 0, index)) + 1, shown[:40] + ("……" if len(shown) > 40 else "")


def _check_quotes(text: str, delimiter: str) -> None:
    """Refuse a quoted cell that swallows the lines after it: a quote never closed, or one closed
    lines later with more text right behind it (by a stray quote further down). The csv module reads
    both without complaint, as one cell holding all those rows. A quoted cell over several lines that
    closes cleanly (a multi-line answer) is fine, and so is a stray quote within one line."""
    opening = re.compile(rf'(?:^|(?<=[{re.escape(delimiter)}\r\n]))"')
    at = 0
    while (found := opening.search(text, at)) is not None:
        start = found.start()
        body = _QUOTED_BODY.match(text, start + 1)
        assert body is not None  # the pattern matches the empty string
        end = body.end()  # the closing quote, or the end of the text
        unclosed = end == len(text)
        if unclosed or (
            text[end + 1 : end + 2] not in ("", delimiter, "\r", "\n") and _LINE_BREAK.search(text, start, end)
        ):
            line, shown = _where(text, start)
            if unclosed:
                what = f'第 {line} 行有未闭合的引号("):从这里到文件末尾都会被读成同一格,后面各行的作答都会丢失'
            else:
                what = (
                    f'第 {line} 行的引号(")没有在本格闭合:到第 {_where(text, end)[0]} 行才遇到下一个引号,'
                    "且其后紧跟其他文字,中间各行会被读成同一格"
                )
            message = f'{what}。请在该格末尾补上引号,或把格内的引号写成两个("")。该行:{shown}'
            raise InvalidJobInputError([message], code="invalid_file")
        at = end + 1


class _Uncomputed(str):
    """An XLSX cell holding a formula saved without its result: a program wrote the file and nothing
    computed it, so its value is unknown (read as empty, an answer would be graded 0)."""

    __slots__ = ()


_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _has_formulas(data: bytes) -> bool:
    """Whether a worksheet of the workbook holds a formula (cheaper than reading it twice)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return any(
            _FORMULA.search(archive.read(name))
            for name in archive.namelist()
            if name.startswith("xl/worksheets/") and name.endswith(".xml")
        )


def _shown(cell: Any) -> str:
    """An XLSX cell's text: its value (see _cell), a whole number under a format of zeros as shown."""
    value = cell.value
    if isinstance(value, int | float) and not isinstance(value, bool):
        padded = _padded(value, cell.number_format)
        if padded is not None:
            return padded
    return _cell(value)


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        # The formulas themselves, read alongside, tell a formula without a stored result from an empty cell.
        written = load_workbook(io.BytesIO(data), read_only=True, data_only=False) if _has_formulas(data) else None
    except Exception as error:  # openpyxl raises many kinds for a broken file
        # openpyxl's own words are English; the administrator needs to know what to do instead.
        message = "无法读取 XLSX 文件:文件已损坏或不是 Excel 工作簿,请在 Excel 中另存为 .xlsx 或 CSV(UTF-8)后重新上传。"
        raise InvalidJobInputError([message], code="invalid_file") from error
    try:
        # Cells, not values only: a number's format says how it is shown (see _padded).
        rows = workbook.worksheets[0].iter_rows()
        if written is None:
            for cells in rows:
                yield [_shown(c) for c in cells]
            return
        for cells, formulas in zip(rows, written.worksheets[0].iter_rows(values_only=True), strict=False):
            formula = [isinstance(f, str) and f.startswith("=") for f in formulas]
            yield [
                _Uncomputed() if c.value is None and i < len(formula) and formula[i] else _shown(c)
                for i, c in enumerate(cells)
            ]
    finally:
        workbook.close()
        if written is not None:
            written.close()


def _csv_rows(text: str, delimiter: str) -> Iterator[list[str]]:
    try:
        yield from csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter)
    except csv.Error as error:
        raise InvalidJobInputError([f"CSV 格式错误:{error}"], code="invalid_file") from None


def _table_rows(data: bytes, filename: str) -> tuple[Iterator[list[str]], str | None]:
    """The file's rows, one per spreadsheet row (blank ones included), and the CSV column separator
    (None for XLSX)."""
    if file_kind(data, filename) == "xlsx":
        return _xlsx_rows(data), None
    text = decode_text(data)
    delimiter = _delimiter(text)
    _check_quotes(text, delimiter)
    return _csv_rows(text, delimiter), delimiter


def _find(header: list[str], names: Sequence[str]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def _is_header(cells: list[str]) -> bool:
    return _find(cells, ID_HEADERS) is not None and _find(cells, ANSWER_HEADERS) is not None


def _header(rows: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str], int] | None:
    """The header among the first HEADER_ROWS rows: the first with both an id and an answer column, else
    (for the error message) the first with either, else the first non-blank row; with the row it is in
    and how many non-blank rows were looked at. None for a file with no non-blank row there."""
    looked: list[tuple[int, list[str]]] = []
    for line, values in rows:
        if any(c.strip() for c in values):
            if _is_header(values):
                return line, values, len(looked) + 1
            looked.append((line, values))
        if line >= HEADER_ROWS:
            break
    if not looked:
        return None
    line, values = next(
        (r for r in looked if _find(r[1], ID_HEADERS) is not None or _find(r[1], ANSWER_HEADERS) is not None),
        looked[0],
    )
    return line, values, len(looked)


def file_kind(data: bytes, filename: str) -> Literal["csv", "xlsx", "jsonl"]:
    """What an input file is: by its name, and for a workbook by its first bytes too (a zip archive)."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        return "xlsx"
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    return "csv"


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _read_jsonl(data: bytes, limit: int) -> ParsedInput:
    """One JSON object a line, with an id and an answer (the names a header may have); its other
    fields are kept as a JSON job keeps them. Blank lines are skipped; every problem is listed."""
    text = decode_text(data, save_as="UTF-8 编码的 JSONL")
    problems: list[str] = []
    parsed: list[InputRow] = []
    numbers: list[int] = []  # the line of each parsed row
    columns: dict[str, None] = {}
    # JSON text holds no raw line break, but it may hold U+2028 and the like, which splitlines() splits on.
    lines = [(n, line.rstrip("\r")) for n, line in enumerate(text.split("\n"), start=1) if line.strip()]
    for index, (n, line) in enumerate(lines):
        if len(parsed) >= limit:
            raise TooManySubmissionsError(len(lines) - index + len(parsed), limit)
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(f"第 {n} 行不是有效的 JSON(第 {error.colno} 个字符处)")
            continue
        if not isinstance(value, dict):
            problems.append(f'第 {n} 行须为一个 JSON 对象,如 {{"id": "S01", "answer": "……"}}')
            continue
        if _has_nul(value):
            problems.append(f"第 {n} 行含有空字符(U+0000),无法保存")
            continue
        keys = [str(k) for k in value]
        id_at, answer_at = _find(keys, ID_HEADERS), _find(keys, ANSWER_HEADERS)
        if id_at is None or answer_at is None:
            missing = "、".join(name for name, at in (("id", id_at), ("answer", answer_at)) if at is None)
            problems.append(f"第 {n} 行缺少 {missing}")
            continue
        submission_id, answer = value[keys[id_at]], value[keys[answer_at]]
        if isinstance(submission_id, bool) or not isinstance(submission_id, str | int):
            problems.append(f"第 {n} 行的 id 须为文本或整数")
            continue
        if not isinstance(answer, str):
            problems.append(f"第 {n} 行的 answer 须为文本")
            continue
        submission_id = str(submission_id).strip()
        if not submission_id:
            problems.append(f"第 {n} 行缺少 id")
        elif len(submission_id) > 200:
            problems.append(f"第 {n} 行的 id 超过 200 字符")
        extra: dict[str, Any] = {k: v for k, v in value.items() if k not in (keys[id_at], keys[answer_at])}
        columns.update(dict.fromkeys(extra))
        parsed.append(InputRow(submission_id, answer, extra))
        numbers.append(n)
    if not parsed and not problems:
        problems.append("文件中没有作答。")
    if problems:
        raise InvalidJobInputError(problems, code="invalid_file")
    check_unique_ids([r.id for r in parsed], lines=numbers)
    return ParsedInput(parsed, list(columns))


def read_submissions(data: bytes, filename: str, *, limit: int = MAX_JOB_SUBMISSIONS) -> ParsedInput:
    """Parse an uploaded CSV, XLSX or JSON Lines file; raise InvalidJobInputError listing every problem found."""
    if file_kind(data, filename) == "jsonl":
        return _read_jsonl(data, limit)
    table, delimiter = _table_rows(data, filename)
    rows = enumerate(table, start=1)  # numbered as a spreadsheet shows them, blank rows included
    found = _header(rows)
    if found is None:
        raise InvalidJobInputError(
            [f"文件为空(前 {HEADER_ROWS} 行都是空行):需要表头行,包含 id 与 answer 两列。"], code="invalid_file"
        )
    header_row, header, looked = found
    while header and not header[-1].strip():
        header = header[:-1]
    id_col, answer_col = _find(header, ID_HEADERS), _find(header, ANSWER_HEADERS)
    problems = []
    if (id_col is None or answer_col is None) and looked > 1:
        problems.append(
            f"在文件前 {HEADER_ROWS} 行中没有找到表头:表头行须同时含 id 列(id 或 考号)与 answer 列(answer 或 作答);"
            f"以下按第 {header_row} 行说明"
        )
    if id_col is None:
        problems.append("缺少 id 列(表头须含 id 或 考号)")
    if answer_col is None:
        problems.append("缺少 answer 列(表头须含 answer 或 作答)")
    if (id_col is None or answer_col is None) and delimiter is not None:
        cells = "".join(f"「{h[:30]}」" for h in header[:8]) + ("……" if len(header) > 8 else "")
        problems.append(f"按{_DELIMITERS[delimiter]}分列,表头读作 {len(header)} 列:{cells};列之间须用{_ACCEPTED}分隔")
    if any("\x00" in h for h in header):
        problems.append("表头含有空字符(U+0000),无法保存;文件编码可能有误")
    names = [h.strip() or f"column_{i + 1}" for i, h in enumerate(header)]
    repeated = sorted(n for n, c in Counter(names).items() if c > 1)
    if repeated:
        problems.append(f"表头重复:{', '.join(repeated)}")
    if problems:
        raise InvalidJobInputError(problems, code="invalid_file")
    assert id_col is not None and answer_col is not None
    extra_cols = [i for i in range(len(names)) if i not in (id_col, answer_col)]
    parsed: list[InputRow] = []
    numbers: list[int] = []  # the row of each parsed one
    for line, values in rows:
        if not any(v.strip() for v in values):
            continue  # blank lines are layout, not submissions
        if len(parsed) >= limit:
            more = sum(1 for _, v in rows if any(c.strip() for c in v))
            raise TooManySubmissionsError(len(parsed) + 1 + more, limit)
        if len(values) > len(names) and any(v.strip() for v in values[len(names) :]):
            problems.append(f"第 {line} 行的列数多于表头")
        values = values + [""] * (len(names) - len(values))
        uncomputed = [names[i] for i, v in enumerate(values[: len(names)]) if isinstance(v, _Uncomputed)]
        if uncomputed:
            problems.append(
                f"第 {line} 行的{'、'.join(f'「{n}」' for n in uncomputed)}列是公式,文件里没有保存它的计算结果"
                "(由程序生成的文件常见):请用 Excel 或 WPS 打开并保存一次,或另存为 CSV(UTF-8)后重新上传"
            )
            continue
        if any("\x00" in v for v in values):
            problems.append(f"第 {line} 行含有空字符(U+0000),无法保存;文件编码可能有误")
            continue
        submission_id = values[id_col].strip()
        if isinstance(values[id_col], _Rounded):
            problems.append(
                f"第 {line} 行的{header[id_col].strip()}是超过 15 位的数字({submission_id}):Excel 的数字只保留 15 位"
                "有效数字,其后各位已变成 0,读出的不是原来的编号。请把该列设为文本格式后重新输入编号"
                "(或在编号前加英文单引号 '),再上传"
            )
            continue
        if not submission_id:
            problems.append(f"第 {line} 行缺少 id")
        elif len(submission_id) > 200:
            problems.append(f"第 {line} 行的 id 超过 200 字符")
        parsed.append(InputRow(submission_id, values[answer_col], {names[i]: values[i] for i in extra_cols}))
        numbers.append(line)
    if not parsed:
        problems.append("文件中没有作答。")
    if problems:
        raise InvalidJobInputError(problems, code="invalid_file")
    check_unique_ids([r.id for r in parsed], lines=numbers)
    return ParsedInput(parsed, [names[i] for i in extra_cols], header_row)


def check_unique_ids(ids: Iterable[str], *, lines: Sequence[int] | None = None) -> None:
    """Submission ids must be unique within a job. With ``lines`` (the row or line of a file each id is
    on), each repeated id is listed with the first few rows it is on, for the administrator to find it."""
    ids = list(ids)
    repeated = sorted(i for i, n in Counter(ids).items() if n > 1)
    if not repeated:
        return
    if lines is None:
        listed = ", ".join(repeated[:20])
    else:
        where: dict[str, list[int]] = {i: [] for i in repeated}
        for submission_id, line in zip(ids, lines, strict=True):
            if submission_id in where:
                where[submission_id].append(line)
        listed = ";".join(
            f"{i}(第 {'、'.join(str(n) for n in where[i][:5])} 行"
            + (f"等 {len(where[i])} 处)" if len(where[i]) > 5 else ")")
            for i in repeated[:20]
        )
    raise InvalidJobInputError(
        [f"作答编号必须唯一,以下编号重复:{listed}" + ("……" if len(repeated) > 20 else "")],
        code="duplicate_submission_ids",
    )


def _input_names(columns: Sequence[str], ours: Sequence[str]) -> list[str]:
    """The input's columns as exported: one named like a column of ours (ignoring case, as spreadsheet
    lookups do) gets ``input:`` in front, again if that name is taken too, so reading by name never
    picks the wrong column."""
    reserved = {n.casefold() for n in ours}
    taken = reserved | {c.casefold() for c in columns}
    names = []
    for column in columns:
        name = column
        if column.casefold() in reserved:
            while name.casefold() in taken:
                name = "input:" + name
            taken.add(name.casefold())
        names.append(name)
    return names


def export_header(columns: Sequence[str], concept_ids: Sequence[str]) -> list[str]:
    """Columns of the CSV/XLSX export: id, the input's other columns, score, concepts, adjustment, flags, …"""
    results = [
        "score",
        "max_score",
        *concept_ids,
        "adjustment",
        "adjustment_reason",
        "flags",
        "needs_review",
        "comment",
        "error",
    ]
    return ["id", *_input_names(columns, ["id", *results]), *results]


def _safe(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _extra_text(value: object) -> str:
    """A submission's own field as a cell: text as it is, empty for null or missing, anything else
    (numbers, true/false, objects and lists of a JSON job) as JSON, never as Python's repr."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def export_row(
    submission_id: str,
    extra: dict[str, Any],
    columns: Sequence[str],
    concept_ids: Sequence[str],
    result: dict[str, Any] | None,
    error: str | None,
) -> list[object]:
    """One submission as an export row; ``result`` is a GradeResult as JSON, or None with ``error``.

    The concepts' points plus ``adjustment`` (0 when there is none) make the score."""
    own = [submission_id, *(_extra_text(extra.get(c)) for c in columns)]
    if result is None:
        return [*own, None, None, *([None] * len(concept_ids)), None, None, None, None, None, error or ""]
    points = {item["concept_id"]: item["points"] for item in result["items"]}
    adjustment = result.get("adjustment") or {"points": 0.0, "reason": ""}
    return [
        *own,
        result["score"],
        result["max_score"],
        *(points.get(c) for c in concept_ids),
        adjustment["points"],
        adjustment["reason"],
        ";".join(f["code"] for f in result["flags"]),
        "TRUE" if result["needs_review"] else "FALSE",
        result["comment"],
        "",
    ]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return _safe(value)  # text from the input file (ids, its columns, their names) may look like a formula
    return str(value)


def csv_bytes(rows: Iterable[Sequence[object]], *, bom: bool = True) -> Iterator[bytes]:
    """Encode rows as CSV, UTF-8 with a BOM first so Excel reads the Chinese right; yields pieces.
    A text cell that a spreadsheet would run as a formula (``=…``, ``+…``, ``-…``, ``@…``) gets a ``'`` in front."""
    if bom:
        yield "\ufeff".encode()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for n, row in enumerate(rows, start=1):
        writer.writerow([_text(v) for v in row])
        if n % 500 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(rows: Iterable[Sequence[object]], target: Path | io.BytesIO, *, title: str = "results") -> None:
    """Write rows to an XLSX workbook (write-only mode: memory stays flat for large jobs). Text is
    stored as text, as it is: an id such as ``-0001`` or ``=A1`` is never taken for a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)

    def cell(value: object) -> object:
        if not isinstance(value, str):
            return value
        # XML cannot hold control characters: they are shown as their Unicode pictures (\x07 as ␇)
        # rather than failing the whole export.
        value = _NOT_IN_XML.sub(lambda m: chr(0x2400 + ord(m.group())), value)
        if not value.startswith("="):
            return value
        text = WriteOnlyCell(sheet, value)
        text.data_type = "s"  # openpyxl takes any text starting with "=" for a formula
        return text

    for row in rows:
        sheet.append([cell(v) for v in row])
    workbook.save(target)
