"""Hostile and odd input through a real server: each gets a clear 4xx or a correct grade, and
nothing stored is lost or altered."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from openpyxl import load_workbook
from sqlalchemy import select
from support import ServerProcess, api, wait_for_job

from service.storage import Database, SubmissionRow

EXAMPLES: dict[str, str] = yaml.safe_load((Path(__file__).parents[1] / "data/examples.yaml").read_text("utf-8"))
IC = "internal-customer"
COMPLETE = EXAMPLES["complete"]


@pytest.fixture(scope="module")
def jobs(job_server: ServerProcess) -> tuple[str, str]:
    """A server with the default body limits and a job runner (the shared one of conftest.py): its URL
    and database URL."""
    return job_server.url, job_server.env["YUEJUAN_DATABASE_URL"]


def _error(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text[:500]
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]
    error: dict[str, object] = body["error"]
    return error


def _stored(database_url: str, job_id: str) -> list[tuple[str, str, dict[str, object]]]:
    """What the database holds for a job: (id, answer, extra) in submission order."""
    db = Database(database_url)
    with db.session() as s:
        rows = s.execute(
            select(SubmissionRow.submission_id, SubmissionRow.answer, SubmissionRow.extra)
            .where(SubmissionRow.job_id == job_id)
            .order_by(SubmissionRow.seq)
        ).all()
    db.dispose()
    return [(r.submission_id, r.answer, r.extra) for r in rows]


def _grade(grader: httpx.Client, answer: str) -> dict[str, object]:
    response = grader.post("/v1/grade", json={"rubric_id": IC, "answer": answer})
    assert response.status_code == 200, response.text[:500]
    result: dict[str, object] = response.json()
    return result


def _met(result: dict[str, object]) -> list[tuple[str, str]]:
    return [(i["concept_id"], i["status"]) for i in result["items"]]  # type: ignore[attr-defined]


def _offsets_hold(result: dict[str, object], answer: str) -> bool:
    """Evidence offsets count code points of the answer as sent: slicing it gives the evidence text."""
    return all(
        answer[e["start"] : e["end"]] == e["text"]
        for item in result["items"]  # type: ignore[attr-defined]
        for e in item["evidence"]
    )


def test_invalid_utf8_is_a_structured_422_everywhere(server: str, grader: httpx.Client) -> None:
    broken = b'{"rubric_id": "internal-customer", "answer": "\xff\xfe\xc3(\xa0\xa1"}'
    headers = {"content-type": "application/json"}
    for path in ("/v1/grade", "/v1/check", "/v1/grade/batch", "/v1/jobs"):
        _error(grader.post(path, content=broken, headers=headers), 422, "invalid_request")


def test_nul_and_unpaired_surrogates_are_refused_not_stored(server: str, grader: httpx.Client) -> None:
    # JSON can carry both as escapes; neither can be stored in a database text column or sent back as UTF-8.
    headers = {"content-type": "application/json"}
    for escape in ("\\u0000", "\\ud800"):
        grade = f'{{"rubric_id": "internal-customer", "answer": "上级是下级的客户{escape}。"}}'.encode()
        error = _error(grader.post("/v1/grade", content=grade, headers=headers), 422, "invalid_request")
        detail = error["details"][0]  # type: ignore[index]
        assert error["details"] == [{"loc": ["body", "answer"], "message": detail["message"], "type": "value_error"}]
        _error(grader.post("/v1/check", content=grade, headers=headers), 422, "invalid_request")
        batch = f'{{"rubric_id": "internal-customer", "submissions": [{{"id": "a{escape}", "answer": "x"}}]}}'
        _error(grader.post("/v1/grade/batch", content=batch.encode(), headers=headers), 422, "invalid_request")
    job = {"rubric_id": IC, "submissions": [{"id": "a\x00", "answer": "x", "班级": "一班"}]}
    _error(grader.post("/v1/jobs", json=job), 422, "invalid_request")
    # A job's own fields are stored and exported like the answer: the same characters are refused.
    for extra in ({"备注": "空\x00字"}, {"备\x00注": "x"}, {"备注": {"a": ["\x00"]}}):
        raw = json.dumps({"rubric_id": IC, "submissions": [{"id": "a", "answer": "x", **extra}]}).encode()
        error = _error(grader.post("/v1/jobs", content=raw, headers=headers), 422, "invalid_request")
        assert error["details"][0]["loc"] == ["body", "submissions", 0], error  # type: ignore[index]
        assert str(error["details"][0]["message"]).startswith("字段 备"), error  # type: ignore[index]
    nul_header = "id,answer,备\x00注\nA1,上级是下级的客户。,一班\n".encode()
    upload = grader.post("/v1/jobs", data={"rubric_id": IC}, files={"file": ("一班.csv", nul_header)})
    assert "表头" in str(_error(upload, 422, "invalid_file")["message"])
    nul_csv = "id,answer\nA1,上级是下级的客户。\nA2,下道工序\x00是客户。\n".encode()
    upload = grader.post("/v1/jobs", data={"rubric_id": IC}, files={"file": ("一班.csv", nul_csv)})
    assert "第 3 行" in str(_error(upload, 422, "invalid_file")["message"])


ODD_TEXT = {
    "control characters": lambda a: "\x07\x1b" + a.replace("。", "。\x0b\x0c", 2),
    "zero-width characters": lambda a: (
        a.replace("客户", "客\u200b户").replace("上级", "上\u200d级").replace("工序", "\u2060工序")
    ),
    "byte order mark inside": lambda a: "\ufeff" + a.replace("部门", "部\ufeff门"),
    "bidi overrides": lambda a: "\u202e" + a + "\u202c\u2066\u2069\u200f",
    "emoji": lambda a: "👨‍👩‍👧 " + a.replace("。", "😀。", 3) + "🇨🇳👍🏽",
    "emoji around the answer": lambda a: "👨‍👩‍👧 " + a + "\n🇨🇳👍🏽",
}


@pytest.mark.parametrize("kind", list(ODD_TEXT))
def test_odd_characters_grade_like_the_plain_answer(kind: str, server: str, grader: httpx.Client) -> None:
    plain = _grade(grader, COMPLETE)
    odd = ODD_TEXT[kind](COMPLETE)
    assert odd != COMPLETE
    result = _grade(grader, odd)
    assert (result["score"], _met(result)) == (plain["score"], _met(plain))
    assert _offsets_hold(result, odd)
    check = grader.post("/v1/check", json={"rubric_id": IC, "answer": odd})
    assert check.status_code == 200 and check.json()["met"] == sum(s == "met" for _, s in _met(plain))


def test_ten_megabyte_bodies(jobs: tuple[str, str]) -> None:
    url, database_url = jobs
    ten_mb = "字" * (10 * 1024 * 1024 // 3)
    for path in ("/v1/grade", "/v1/check"):
        response = api.post(f"{url}{path}", json={"rubric_id": IC, "answer": ten_mb}, timeout=60)
        _error(response, 413, "payload_too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused once the bytes pass the limit
        yield b'{"rubric_id": "internal-customer", "answer": "'
        for _ in range(160):
            yield b"a" * 65536
        yield b'"}'

    chunked = api.post(f"{url}/v1/grade", content=chunks(), headers={"content-type": "application/json"}, timeout=60)
    _error(chunked, 413, "payload_too_large")
    # A sitting of 10 MB is what /v1/jobs is for: every answer is stored as sent. Each is over the
    # 20,000-character limit, so each gets its own error and the rest of the job goes on.
    long_answer = "客户" * 10_001
    submissions = [{"id": f"L{i:03d}", "answer": f"{i}{long_answer}"} for i in range(170)]
    body = json.dumps({"rubric_id": IC, "submissions": submissions}, ensure_ascii=False).encode()
    assert len(body) > 10_000_000
    created = api.post(f"{url}/v1/jobs", content=body, headers={"content-type": "application/json"}, timeout=120)
    assert created.status_code == 202, created.text[:300]
    final = wait_for_job(url, created.json()["id"])
    assert (final["status"], final["total"], final["errors"]) == ("done", 170, 170)
    assert _stored(database_url, created.json()["id"]) == [(s["id"], s["answer"], {}) for s in submissions]


def test_deeply_nested_json_is_422_and_the_server_carries_on(jobs: tuple[str, str]) -> None:
    url, _ = jobs
    deep = "[" * 100_000 + "]" * 100_000
    headers = {"content-type": "application/json"}
    bodies = {
        "/v1/grade": f'{{"rubric_id": "{IC}", "answer": {deep}}}',
        "/v1/check": f'{{"rubric_id": "{IC}", "answer": {deep}}}',
        "/v1/grade/batch": f'{{"rubric_id": "{IC}", "submissions": {deep}}}',
        "/v1/jobs": f'{{"rubric_id": "{IC}", "submissions": [{{"id": "a", "answer": "x", "extra": {deep}}}]}}',
    }
    for path, body in bodies.items():
        _error(api.post(f"{url}{path}", content=body.encode(), headers=headers, timeout=60), 422, "invalid_request")
    assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}


WRONG_TYPES = [
    {"rubric_id": IC, "answer": 5},
    {"rubric_id": IC, "answer": ["上级", "客户"]},
    {"rubric_id": IC, "answer": None},
    {"rubric_id": IC, "answer": {"text": "上级"}},
    {"rubric_id": IC, "answer": True},
    {"rubric_id": 7, "answer": "上级"},
    {"rubric_id": IC, "answer": "上级", "score": 10},
    [IC, "上级"],
    "上级是下级的客户",
    None,
]


@pytest.mark.parametrize("body", WRONG_TYPES, ids=[f"grade{i}" for i in range(len(WRONG_TYPES))])
def test_wrong_types_are_422(body: object, server: str, grader: httpx.Client) -> None:
    for path in ("/v1/grade", "/v1/check"):
        _error(grader.post(path, json=body), 422, "invalid_request")


@pytest.mark.parametrize(
    "submissions",
    [{"id": "a", "answer": "x"}, "a", [["a", "x"]], [{"id": 1, "answer": "x"}], [{"id": "a", "answer": 1.5}], [None]],
)
def test_wrong_types_in_submission_lists_are_422(submissions: object, server: str, grader: httpx.Client) -> None:
    for path in ("/v1/grade/batch", "/v1/jobs"):
        _error(grader.post(path, json={"rubric_id": IC, "submissions": submissions}), 422, "invalid_request")


def test_huge_submission_lists_are_refused_whole(jobs: tuple[str, str]) -> None:
    url, _ = jobs
    before = api.get(f"{url}/v1/jobs").json()["total"]
    batch = {"rubric_id": IC, "submissions": [{"id": str(i), "answer": ""} for i in range(1001)]}
    _error(api.post(f"{url}/v1/grade/batch", json=batch), 422, "invalid_request")
    # One job's limit gets the same code and words whether the submissions come as JSON or as a file.
    job = {"rubric_id": IC, "submissions": [{"id": str(i), "answer": ""} for i in range(100_001)]}
    sent = _error(api.post(f"{url}/v1/jobs", json=job, timeout=120), 413, "too_many_submissions")
    assert "100001" in str(sent["message"]) and "拆分" in str(sent["message"])
    rows = "id,answer\n" + "".join(f"{i},答\n" for i in range(100_001))
    upload = api.post(f"{url}/v1/jobs", data={"rubric_id": IC}, files={"file": ("all.csv", rows.encode())}, timeout=120)
    _error(upload, 413, "too_many_submissions")
    assert api.get(f"{url}/v1/jobs").json()["total"] == before  # nothing half-created


def test_csv_in_the_encodings_of_chinese_spreadsheets_is_read_as_written(jobs: tuple[str, str]) -> None:
    url, database_url = jobs
    rows = [
        ("2026001", "张三", "上级给下级安排任务,上级就是下级的客户。"),
        ("2026002", "𠮷野", "下道工序是上道工序的客户。"),
    ]

    def table(rows: list[tuple[str, str, str]], dialect: type[csv.Dialect] = csv.excel) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, dialect).writerows([("考号", "姓名", "作答"), *rows])
        return buffer.getvalue()

    gbk_rows = rows[:1]  # 𠮷 is beyond GBK: that file has only the first row
    files = {
        "gbk.csv": (table(gbk_rows).encode("gbk"), gbk_rows),
        "gb18030.csv": (table(rows).encode("gb18030"), rows),
        "utf16.txt": (table(rows, csv.excel_tab).encode("utf-16"), rows),  # Excel's "Unicode text"
        "utf8-bom.csv": (table(rows).encode("utf-8-sig"), rows),
    }
    for name, (data, expected) in files.items():
        response = api.post(f"{url}/v1/jobs", data={"rubric_id": IC}, files={"file": (name, data)})
        assert response.status_code == 202, (name, response.text)
        stored = _stored(database_url, response.json()["id"])
        assert stored == [(i, a, {"姓名": n}) for i, n, a in expected], name
    # UTF-8 with one broken byte is refused with the line, not read as GB18030 mojibake.
    broken = table(rows).encode("utf-8").replace("下道".encode(), b"\xe4\xb8" + "道".encode())
    response = api.post(f"{url}/v1/jobs", data={"rubric_id": IC}, files={"file": ("broken.csv", broken)})
    assert "第 3 行" in str(_error(response, 422, "invalid_file")["message"])


FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", '=HYPERLINK("http://x")']


def test_formulas_are_stored_as_sent_and_neutralised_on_export(jobs: tuple[str, str]) -> None:
    url, database_url = jobs
    submissions = [
        {"id": f, "answer": "上级给下级安排任务,上级就是下级的客户。", "备注": f, "班级": "一班"} for f in FORMULAS
    ]
    created = api.post(f"{url}/v1/jobs", json={"rubric_id": IC, "submissions": submissions})
    assert created.status_code == 202, created.text
    job_id = created.json()["id"]
    assert wait_for_job(url, job_id)["status"] == "done"
    assert [r[0] for r in _stored(database_url, job_id)] == FORMULAS
    items = api.get(f"{url}/v1/jobs/{job_id}/results").json()["items"]
    assert [(i["id"], i["extra"]["备注"]) for i in items] == [(f, f) for f in FORMULAS]

    text = api.get(f"{url}/v1/jobs/{job_id}/results?format=csv").content.decode("utf-8-sig")
    exported = list(csv.reader(io.StringIO(text, newline="")))
    header = exported[0]
    for row, formula in zip(exported[1:], FORMULAS, strict=True):
        assert row[header.index("id")] == "'" + formula
        assert row[header.index("备注")] == "'" + formula
        assert row[header.index("班级")] == "一班"
    workbook = load_workbook(io.BytesIO(api.get(f"{url}/v1/jobs/{job_id}/results?format=xlsx").content))
    sheet = workbook.worksheets[0]
    cells = [[c for c in row] for row in sheet.iter_rows(min_row=2, max_col=2)]
    workbook.close()
    # Text cells, never formulas, holding what was sent (XML reads a bare CR back as LF: that is the
    # file format, not the export).
    expected = [(f.replace("\r", "\n"), "s") for f in FORMULAS]
    assert [(c[0].value, c[0].data_type) for c in cells] == expected
    assert [(c[1].value, c[1].data_type) for c in cells] == expected


PATH_LIKE_IDS = ["../../etc/passwd", "..\\..\\windows\\system32", "/dev/null", "a/b?c=d#e", "%2e%2e%2f", "CON", "~root"]


def test_path_like_and_long_ids(jobs: tuple[str, str], server: str, grader: httpx.Client) -> None:
    url, database_url = jobs
    longest = "长" * 200
    submissions = [{"id": i, "answer": "上级是下级的客户。"} for i in [*PATH_LIKE_IDS, longest]]
    created = api.post(f"{url}/v1/jobs", json={"rubric_id": IC, "submissions": submissions})
    assert created.status_code == 202, created.text
    job_id = created.json()["id"]
    assert wait_for_job(url, job_id)["status"] == "done"
    assert [r[0] for r in _stored(database_url, job_id)] == [*PATH_LIKE_IDS, longest]
    batch = grader.post("/v1/grade/batch", json={"rubric_id": IC, "submissions": submissions})
    assert [r["id"] for r in batch.json()["results"]] == [*PATH_LIKE_IDS, longest]

    too_long = [{"id": "长" * 201, "answer": "x"}]
    _error(api.post(f"{url}/v1/jobs", json={"rubric_id": IC, "submissions": too_long}), 422, "invalid_request")
    _error(grader.post("/v1/grade/batch", json={"rubric_id": IC, "submissions": too_long}), 422, "invalid_request")
    _error(grader.post("/v1/grade", json={"rubric_id": "../rubrics/" + IC, "answer": "x"}), 404, "unknown_rubric")
    _error(grader.post("/v1/grade", json={"rubric_id": "r" * 65, "answer": "x"}), 422, "invalid_request")
    for path in [
        "/v1/jobs/..%2F..%2Fetc%2Fpasswd",
        "/v1/jobs/%2e%2e/%2e%2e/etc/passwd",
        f"/v1/jobs/{job_id}%00",
        "/v1/jobs/" + "a" * 10_000,
        "/v1/rubrics/..%2Finternal-customer",
        "/static/..%2F..%2Fsettings.py",
    ]:
        response = api.get(f"{url}{path}")
        assert response.status_code == 404 and set(response.json()) == {"error"}, path
    assert api.delete(f"{url}/v1/jobs/..%2F{job_id}").status_code == 404
    assert wait_for_job(url, job_id)["status"] == "done"  # the real job is untouched


def test_control_characters_in_ids_and_columns_survive_both_exports(jobs: tuple[str, str]) -> None:
    url, database_url = jobs
    odd = ["铃\x07声", "换\x0b页\x0c", "转义\x1b[31m", "退\x08格"]
    ids = ["C\x07", "C\x0b", "C\x1b", "C\t"]  # NUL is refused everywhere (see above)
    submissions = [{"id": i, "answer": "上级是下级的客户。", "备注": o} for i, o in zip(ids, odd, strict=True)]
    created = api.post(f"{url}/v1/jobs", json={"rubric_id": IC, "submissions": submissions})
    assert created.status_code == 202, created.text
    job_id = created.json()["id"]
    assert wait_for_job(url, job_id)["status"] == "done"
    assert _stored(database_url, job_id) == [(s["id"], s["answer"], {"备注": s["备注"]}) for s in submissions]
    text = api.get(f"{url}/v1/jobs/{job_id}/results?format=csv").content.decode("utf-8-sig")
    assert [row[:2] for row in csv.reader(io.StringIO(text, newline=""))][1:] == [
        list(p) for p in zip(ids, odd, strict=True)
    ]
    xlsx = api.get(f"{url}/v1/jobs/{job_id}/results?format=xlsx")
    assert xlsx.status_code == 200
    workbook = load_workbook(io.BytesIO(xlsx.content))
    cells = list(workbook.worksheets[0].iter_rows(min_row=2, max_col=2, values_only=True))
    workbook.close()
    # XML cannot hold control characters: XLSX shows their Unicode pictures.
    assert cells == [("C␇", "铃␇声"), ("C␋", "换␋页␌"), ("C␛", "转义␛[31m"), ("C\t", "退␈格")]
