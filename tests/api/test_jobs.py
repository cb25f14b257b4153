"""Batch jobs through a real server process with a real SQLite job store and worker pool."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from openpyxl import Workbook, load_workbook
from PIL import Image
from PIL.PngImagePlugin import PngImageFile
from support import KEYS, Receiver, ServerProcess, api, wait_for_job

from conftest import create_key, padded_ids_xlsx
from service import plots
from service.registry import RubricRegistry

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus" / "internal-customer" / "answers.jsonl"
IC = "internal-customer"


def _answers(n: int) -> list[str]:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    distinct = list(dict.fromkeys(r["answer"] for r in rows if len(r["answer"]) > 60))
    return distinct[:n]


def _error(response: httpx.Response) -> dict[str, str]:
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"]
    error: dict[str, str] = body["error"]
    return error


@pytest.fixture(scope="module")
def hook() -> Iterator[Receiver]:
    receiver = Receiver(failures=1)
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def jobs_folder(job_server: ServerProcess) -> Path:
    """The folder of the jobs server: its log and its database (jobs.db, keys included)."""
    return job_server.log.parent


@pytest.fixture(scope="module")
def jobs_server(job_server: ServerProcess) -> str:
    """The shared job server (conftest.py): chunks of 7, webhooks signed with exam-board-secret."""
    return job_server.url


@pytest.fixture(scope="module")
def paused_server(paused: ServerProcess) -> str:
    """A server that queues jobs but runs none: jobs stay queued until cancelled."""
    return paused.url


def test_a_json_job_is_graded_exported_reported_and_announced(
    jobs_server: str, hook: Receiver, registry: RubricRegistry
) -> None:
    answers = _answers(30)
    submissions = [{"id": f"2026{i:03d}", "answer": a, "班级": f"{i % 3 + 1}班"} for i, a in enumerate(answers)]
    copied = answers[4].replace("。", ",", 1) + "这就是我的理解。"
    submissions += [
        {"id": "copy", "answer": copied, "班级": "1班"},
        {"id": "blank", "answer": "", "班级": "2班"},
        {"id": "huge", "answer": "字" * 20_001, "班级": "3班"},
    ]
    body = {"rubric_id": IC, "submissions": submissions, "callback_url": hook.url}
    response = api.post(f"{jobs_server}/v1/jobs", json=body, timeout=30)
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] in ("queued", "running") and job["total"] == 33 and job["columns"] == ["班级"]
    assert response.headers["location"] == f"/v1/jobs/{job['id']}"

    final = wait_for_job(jobs_server, job["id"])
    assert (final["status"], final["done"], final["errors"], final["progress"]) == ("done", 33, 1, 1.0)
    assert final["started_at"] and final["finished_at"] and final["elapsed_seconds"] is not None

    # JSON pages, in submission order, each result the one grade() gives.
    items: list[dict[str, object]] = []
    offset: int | None = 0
    while offset is not None:
        page = api.get(f"{jobs_server}/v1/jobs/{job['id']}/results", params={"offset": offset, "limit": 10}).json()
        items += page["items"]
        offset = page["next_offset"]
    assert [i["id"] for i in items] == [s["id"] for s in submissions]
    for item, submission in zip(items[:-1], submissions[:-1], strict=True):
        expected = registry.grade(IC, str(submission["answer"])).model_dump(mode="json")
        assert item["result"] == expected and item["status"] == "done"
    assert items[0]["extra"] == {"班级": "1班"}
    assert items[-1]["result"] is None and items[-1]["error"]["code"] == "answer_too_long"  # type: ignore[index]

    # CSV: UTF-8 with BOM, one row per submission, one column per concept.
    export = api.get(f"{jobs_server}/v1/jobs/{job['id']}/results", params={"format": "csv"})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert export.content.startswith(b"\xef\xbb\xbf")
    lines = export.content.decode("utf-8-sig").splitlines()
    concepts = [c.id for c in registry.get(IC).rubric.concepts]
    header = ["id", "班级", "score", "max_score", *concepts, "adjustment", "adjustment_reason"]
    assert lines[0].split(",") == [*header, "flags", "needs_review", "comment", "error"]
    for row, item in zip(csv.reader(lines[1:-1]), items[:-1], strict=True):
        result: dict[str, object] = item["result"]  # type: ignore[assignment]
        points = sum(float(p or 0) for p in row[4 : 4 + len(concepts)])
        assert abs(points + float(row[4 + len(concepts)]) - float(row[2])) < 1e-6, row  # they add up
        assert row[5 + len(concepts)] == (result["adjustment"] or {"reason": ""})["reason"]  # type: ignore[index]
    assert len(lines) == 34 and lines[-1].startswith("huge,3班,,") and "answer_too_long" in lines[-1]

    workbook = load_workbook(io.BytesIO(api.get(f"{jobs_server}/v1/jobs/{job['id']}/results?format=xlsx").content))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 34 and rows[1][0] == "2026000" and rows[1][2] == items[0]["result"]["score"]  # type: ignore[index]

    report = api.get(f"{jobs_server}/v1/jobs/{job['id']}/report").json()
    assert report["complete"] and (report["graded"], report["errors"]) == (32, 1)
    assert sum(b["count"] for b in report["scores"]["histogram"]) == 32
    assert [c["concept_id"] for c in report["concepts"]] == concepts
    assert {"a": "2026004", "b": "copy"}.items() <= report["near_duplicates"]["pairs"][0].items()
    flagged = [i["id"] for i in items if i["result"] and i["result"]["needs_review"]]  # type: ignore[index]
    assert [r["id"] for r in report["needs_review"]] == flagged and report["flags"]["empty"] == 1
    png = api.get(f"{jobs_server}/v1/jobs/{job['id']}/report?format=png")
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(png.content)) as image:
        assert isinstance(image, PngImageFile)
        title = image.text["Title"]
    # In Chinese where a font can draw it (`make test` installs one, as root); else in ASCII, never boxes.
    chinese = plots.cjk_font() is not None or os.environ.get("CI")
    assert title.startswith(f"{IC} ") and ("已评 32 份" if chinese else "32 graded") in title

    # The webhook: refused once by the receiver, retried, signed over the body.
    deadline = time.monotonic() + 30
    while not any(status == 204 for _, _, status in hook.received) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [status for _, _, status in hook.received] == [500, 204]
    headers, raw, _ = hook.received[-1]
    assert headers["x-yuejuan-signature"] == "sha256=" + hmac.new(b"exam-board-secret", raw, hashlib.sha256).hexdigest()
    assert json.loads(raw)["job_id"] == job["id"] and json.loads(raw)["status"] == "done"
    webhook = api.get(f"{jobs_server}/v1/jobs/{job['id']}").json()["webhook"]
    assert webhook == {"status": "delivered", "attempts": 2, "error": None}


def test_csv_and_xlsx_uploads(jobs_server: str) -> None:
    answers = _answers(4)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["考号", "姓名", "作答"])
    writer.writerows([f"S{i}", f"考生{i}", a] for i, a in enumerate(answers))
    files = {"file": ("一班.csv", text.getvalue().encode("gb18030"), "text/csv")}
    response = api.post(f"{jobs_server}/v1/jobs", data={"rubric_id": IC}, files=files)
    assert response.status_code == 202, response.text
    assert (response.json()["source"], response.json()["columns"]) == ("csv", ["姓名"])

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["id", "answer"])
    for i, answer in enumerate(answers):
        sheet.append([1000 + i, answer])
    buffer = io.BytesIO()
    workbook.save(buffer)
    files = {"file": ("二班.xlsx", buffer.getvalue(), "application/octet-stream")}
    xlsx = api.post(f"{jobs_server}/v1/jobs", data={"rubric_id": IC}, files=files)
    assert xlsx.status_code == 202 and xlsx.json()["source"] == "xlsx"

    for created in (response.json(), xlsx.json()):
        assert wait_for_job(jobs_server, created["id"])["status"] == "done"
    first = api.get(f"{jobs_server}/v1/jobs/{response.json()['id']}/results").json()["items"][0]
    assert (first["id"], first["extra"]) == ("S0", {"姓名": "考生0"}) and first["result"]["score"] >= 0
    ids = [i["id"] for i in api.get(f"{jobs_server}/v1/jobs/{xlsx.json()['id']}/results").json()["items"]]
    assert ids == ["1000", "1001", "1002", "1003"]


def test_an_uploaded_xlsx_keeps_ids_as_a_format_of_zeros_shows_them(jobs_server: str) -> None:
    """Ids kept as numbers shown through a format such as 000000 (1234 shown as 001234) were stored as
    1234, so the results did not carry the ids of the administrator's sheet."""
    files = {"file": ("第3题.xlsx", padded_ids_xlsx(), "application/octet-stream")}
    response = api.post(f"{jobs_server}/v1/jobs", data={"rubric_id": IC}, files=files)
    assert response.status_code == 202, response.text
    assert wait_for_job(jobs_server, response.json()["id"])["status"] == "done"
    items = api.get(f"{jobs_server}/v1/jobs/{response.json()['id']}/results").json()["items"]
    assert [(i["id"], i["extra"]) for i in items] == [
        ("001234", {"班级": "03"}),
        ("0056", {"班级": "12"}),
        ("00260001", {"班级": "3"}),
        ("000789", {"班级": "03"}),
        ("4321", {"班级": "1"}),
    ]


def test_a_job_from_a_file_says_which_row_held_the_header(jobs_server: str) -> None:
    """A title above the header is skipped; `yuejuan grade-file` said which row it read as the header,
    a job made from the same file did not. The job's status says it, read back from the database (the
    server keeps no job in memory), so a restart keeps it; null for JSON."""
    text = io.StringIO()
    title, header = ["2026年秋季考试 第3题", "", ""], ["考号", "姓名", "作答"]
    csv.writer(text).writerows([title, [], header, ["S01", "张三", _answers(1)[0]]])  # the header in row 3
    uploads = {
        "第3题.csv": (text.getvalue().encode("gb18030"), 3),
        "第3题.xlsx": (padded_ids_xlsx(), 2),
        "plain.csv": ("id,answer\r\nA1,上级是下级的客户。\r\n".encode(), 1),
    }
    created = {}
    for name, (data, row) in uploads.items():
        response = api.post(f"{jobs_server}/v1/jobs", data={"rubric_id": IC}, files={"file": (name, data)})
        assert response.status_code == 202, response.text
        assert response.json()["header_row"] == row, name
        created[response.json()["id"]] = row
    body = {"rubric_id": IC, "submissions": [{"id": "a", "answer": "上级是下级的客户。"}]}
    response = api.post(f"{jobs_server}/v1/jobs", json=body)
    assert response.status_code == 202 and response.json()["header_row"] is None
    created[response.json()["id"]] = None
    for job_id, row in created.items():
        assert wait_for_job(jobs_server, job_id)["header_row"] == row
    listed = {j["id"]: j["header_row"] for j in api.get(f"{jobs_server}/v1/jobs", params={"limit": 200}).json()["jobs"]}
    assert {job_id: listed[job_id] for job_id in created} == created


def test_idempotency_key_returns_the_first_job(jobs_server: str) -> None:
    body = {"rubric_id": IC, "submissions": [{"id": "a", "answer": "上级是下级的客户。"}]}
    headers = {"Idempotency-Key": "board-upload-42"}
    first = api.post(f"{jobs_server}/v1/jobs", json=body, headers=headers)
    again = api.post(f"{jobs_server}/v1/jobs", json=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"] and again.headers["idempotent-replayed"] == "true"
    other = {"rubric_id": IC, "submissions": [{"id": "a", "answer": "另一份作答。"}]}
    conflict = api.post(f"{jobs_server}/v1/jobs", json=other, headers=headers)
    assert conflict.status_code == 409 and _error(conflict)["code"] == "idempotency_conflict"
    listed = api.get(f"{jobs_server}/v1/jobs").json()
    assert [j["id"] for j in listed["jobs"]].count(first.json()["id"]) == 1


def test_idempotency_keys_are_the_callers_own_and_tell_an_upload_from_json(jobs_server: str, jobs_folder: Path) -> None:
    body = {"rubric_id": IC, "submissions": [{"id": "a", "answer": "上级是下级的客户。"}]}
    headers = {"Idempotency-Key": "upload-1"}
    first = api.post(f"{jobs_server}/v1/jobs", json=body, headers=headers)
    assert first.status_code == 202
    # Another school office picks the same key for the same rows: its own job, not the first caller's.
    other_key = create_key(f"sqlite:///{jobs_folder / 'jobs.db'}", "admin", "教务处")
    other = httpx.post(
        f"{jobs_server}/v1/jobs", json=body, headers={**headers, "Authorization": f"Bearer {other_key}"}, timeout=30
    )
    assert other.status_code == 202 and other.json()["id"] != first.json()["id"]
    assert "idempotent-replayed" not in other.headers
    # The first caller uploads the same rows as a CSV under the same key: another request, not a retry.
    csv_upload = {"file": ("一班.csv", "id,answer\na,上级是下级的客户。\n".encode())}
    upload = api.post(f"{jobs_server}/v1/jobs", data={"rubric_id": IC}, files=csv_upload, headers=headers)
    assert upload.status_code == 409 and _error(upload)["code"] == "idempotency_conflict"
    again = api.post(f"{jobs_server}/v1/jobs", json=body, headers=headers)
    assert again.json()["id"] == first.json()["id"] and again.headers["idempotent-replayed"] == "true"


def test_bad_requests_get_structured_errors(jobs_server: str) -> None:
    url = f"{jobs_server}/v1/jobs"
    dup = {"rubric_id": IC, "submissions": [{"id": "a", "answer": "x"}, {"id": "a", "answer": "y"}]}
    unknown = {"rubric_id": "nope", "submissions": [{"id": "a", "answer": "x"}]}
    cases = [
        (api.post(url, json=dup), 422, "duplicate_submission_ids"),
        (api.post(url, json={"rubric_id": IC, "submissions": []}), 422, "invalid_request"),
        (api.post(url, json=unknown), 404, "unknown_rubric"),
        (api.post(url, content=b"{oops", headers={"content-type": "application/json"}), 422, "invalid_request"),
        (api.post(url, content=b"id,answer", headers={"content-type": "text/csv"}), 415, "unsupported_media_type"),
        (api.post(url, data={"rubric_id": IC}, files={"file": ("x.csv", b"name,text\n1,2\n")}), 422, "invalid_file"),
        (api.post(url, data={"rubric_id": IC}, files={"file": ("x.xlsx", b"PK\x03\x04broken")}), 422, "invalid_file"),
        (api.post(url, files={"file": ("x.csv", b"id,answer\n1,2\n")}), 422, "invalid_request"),
        (api.get(f"{url}/0123456789abcdef"), 404, "unknown_job"),
        (api.get(f"{url}/0123456789abcdef/report"), 404, "unknown_job"),
        (api.get(f"{url}?limit=0"), 422, "invalid_request"),
    ]
    for response, status, code in cases:
        assert (response.status_code, _error(response)["code"]) == (status, code), response.text
    to_internal = {"rubric_id": IC, "submissions": [{"id": "a", "answer": "x"}], "callback_url": "http://10.1.2.3/x"}
    refused = api.post(url, json=to_internal)
    assert refused.status_code == 422 and _error(refused)["code"] == "callback_not_allowed"
    assert "10.1.2.3" in _error(refused)["message"]


def test_cancel_and_export_rules_on_a_queued_job(paused_server: str) -> None:
    body = {"rubric_id": IC, "submissions": [{"id": f"q{i}", "answer": "上级是下级的客户。"} for i in range(5)]}
    job = api.post(f"{paused_server}/v1/jobs", json=body).json()
    early = api.get(f"{paused_server}/v1/jobs/{job['id']}/results?format=csv")
    assert early.status_code == 409 and _error(early)["code"] == "job_not_finished"
    assert api.get(f"{paused_server}/v1/jobs", params={"status": "queued"}).json()["total"] >= 1
    cancelled = api.delete(f"{paused_server}/v1/jobs/{job['id']}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = api.delete(f"{paused_server}/v1/jobs/{job['id']}")
    assert again.status_code == 409 and _error(again)["code"] == "job_finished"
    lines = api.get(f"{paused_server}/v1/jobs/{job['id']}/results?format=csv").text.splitlines()
    assert len(lines) == 6 and all(line.endswith("未评分:作业已取消") for line in lines[1:])
    report = api.get(f"{paused_server}/v1/jobs/{job['id']}/report").json()
    assert (report["complete"], report["pending"], report["scores"]["mean"]) == (False, 5, None)


def test_jobs_need_a_grader_key(jobs_server: str) -> None:
    response = httpx.get(f"{jobs_server}/v1/jobs")
    assert response.status_code == 401 and _error(response)["code"] == "missing_key"


def _upload(server: str, name: str, data: bytes) -> httpx.Response:
    return api.post(f"{server}/v1/jobs", data={"rubric_id": IC}, files={"file": (name, data)})


def _plain_answers(n: int) -> list[str]:
    """Corpus answers a CSV line can hold as they are: no ASCII quote, comma or line break."""
    return [a for a in _answers(200) if not set(a) & {'"', ",", "\n", "\r"}][:n]


def _results(server: str, job_id: str) -> list[dict[str, object]]:
    page = api.get(f"{server}/v1/jobs/{job_id}/results", params={"limit": 1000}).json()
    items: list[dict[str, object]] = page["items"]
    return items


def test_an_unclosed_quote_refuses_the_file_naming_its_line(jobs_server: str, registry: RubricRegistry) -> None:
    answers = _plain_answers(7)
    lines = ["id,answer", *(f"s{i + 1},{a}" for i, a in enumerate(answers))]
    lines[2] = f's2,"{answers[1]}'  # the quote is never closed: s3 to s7 would become part of s2's answer
    unclosed = _upload(jobs_server, "一班.csv", "\r\n".join(lines).encode("utf-8-sig"))
    assert unclosed.status_code == 422, unclosed.text
    error = _error(unclosed)
    assert error["code"] == "invalid_file" and "第 3 行" in error["message"] and "引号" in error["message"]
    # A quote further down closes it: s3 and s4 would be swallowed, the rest read as if nothing happened.
    lines[5] = f's5,他说"好"的。{answers[4]}'
    swallowed = _upload(jobs_server, "一班.csv", "\n".join(lines).encode())
    assert swallowed.status_code == 422 and "第 3 行" in _error(swallowed)["message"], swallowed.text

    # A quoted answer over several lines, with commas and doubled quotes, is one answer.
    multi = f'{answers[0]}\r\n{answers[1]},他说"好"。\n'
    text = io.StringIO()
    csv.writer(text).writerows([["id", "answer"], ["m1", multi], ["m2", answers[2]], ["m3", f'"{answers[3]}"']])
    created = _upload(jobs_server, "多行.csv", text.getvalue().encode())
    assert created.status_code == 202 and created.json()["total"] == 3, created.text
    assert wait_for_job(jobs_server, created.json()["id"])["status"] == "done"
    items = _results(jobs_server, created.json()["id"])
    expected = [multi, answers[2], f'"{answers[3]}"']
    assert [i["result"] for i in items] == [registry.grade(IC, a).model_dump(mode="json") for a in expected]


def test_an_answer_over_the_csv_field_limit_gets_its_own_error(jobs_server: str, registry: RubricRegistry) -> None:
    answers = _plain_answers(2)
    data = f"id,answer\na,{answers[0]}\nlong,{'字' * 140_000}\nb,{answers[1]}\n".encode()
    created = _upload(jobs_server, "长.csv", data)
    assert created.status_code == 202, created.text
    final = wait_for_job(jobs_server, created.json()["id"])
    assert (final["status"], final["total"], final["errors"]) == ("done", 3, 1)
    items = _results(jobs_server, created.json()["id"])
    assert [i["id"] for i in items] == ["a", "long", "b"]
    error = items[1]["error"]
    assert isinstance(error, dict) and error["code"] == "answer_too_long" and "140000" in error["message"]
    assert items[2]["result"] == registry.grade(IC, answers[1]).model_dump(mode="json")


def _csv_export(server: str, job_id: str) -> list[list[str]]:
    export = api.get(f"{server}/v1/jobs/{job_id}/results", params={"format": "csv"})
    assert export.status_code == 200, export.text
    return list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"), newline="")))


FORMULA_HEADERS = ["=1+2", '=HYPERLINK("http://example.com","点我")', "@SUM(1)", "-1", "+1"]


def test_a_json_lines_file_is_uploaded_like_a_csv(jobs_server: str) -> None:
    answers = _plain_answers(2)
    data = "".join(
        json.dumps({"id": f"J{i}", "answer": a, "班级": "一班"}, ensure_ascii=False) + "\n"
        for i, a in enumerate(answers)
    )
    created = _upload(jobs_server, "一班.jsonl", data.encode())
    assert created.status_code == 202, created.text
    assert (created.json()["source"], created.json()["columns"]) == ("jsonl", ["班级"])
    assert wait_for_job(jobs_server, created.json()["id"])["status"] == "done"
    header, *rows = _csv_export(jobs_server, created.json()["id"])
    assert header[:2] == ["id", "班级"] and [r[:2] for r in rows] == [["J0", "一班"], ["J1", "一班"]]
    refused = _upload(jobs_server, "一班.jsonl", b'{"id": "J0"}\n')
    assert refused.status_code == 422 and _error(refused) == {"code": "invalid_file", "message": "第 1 行缺少 answer"}


def test_formulas_in_header_cells_are_neutralised_in_both_exports(jobs_server: str) -> None:
    text = io.StringIO()
    csv.writer(text).writerows([["id", "answer", *FORMULA_HEADERS], ["a", _plain_answers(1)[0], *"12345"]])
    created = _upload(jobs_server, "一班.csv", text.getvalue().encode())
    assert created.status_code == 202 and created.json()["columns"] == FORMULA_HEADERS, created.text
    job_id = created.json()["id"]
    assert wait_for_job(jobs_server, job_id)["status"] == "done"
    assert _csv_export(jobs_server, job_id)[0][1:6] == ["'" + f for f in FORMULA_HEADERS]
    xlsx = api.get(f"{jobs_server}/v1/jobs/{job_id}/results", params={"format": "xlsx"})
    workbook = load_workbook(io.BytesIO(xlsx.content))
    header = next(workbook.worksheets[0].iter_rows(max_row=1))
    workbook.close()
    # In a workbook: the names as they were, stored as text ("s"), which is never run as a formula.
    assert [(c.value, c.data_type) for c in header[1:6]] == [(f, "s") for f in FORMULA_HEADERS]


def test_input_columns_never_take_the_name_of_a_result_column(jobs_server: str, registry: RubricRegistry) -> None:
    answer = _plain_answers(1)[0]
    result = registry.grade(IC, answer)
    text = f"id,answer,score,flags,rank,input:score\na,{answer},99,抄袭?,满分,x\n"
    created = _upload(jobs_server, "一班.csv", text.encode())
    assert created.status_code == 202, created.text
    job_id = created.json()["id"]
    assert created.json()["columns"] == ["score", "flags", "rank", "input:score"]  # the job keeps the file's names
    assert wait_for_job(jobs_server, job_id)["status"] == "done"
    header, row = _csv_export(jobs_server, job_id)
    assert len(set(header)) == len(header), header
    # A column named like a result column gets "input:" in front (again, if that name is taken too).
    assert header[:5] == ["id", "input:input:score", "input:flags", "input:rank", "input:score"]
    cell = dict(zip(header, row, strict=True))
    assert [cell[c] for c in header[1:5]] == ["99", "抄袭?", "满分", "x"]
    rank = next(i.points for i in result.items if i.concept_id == "rank")
    assert float(cell["score"]) == result.score and float(cell["rank"]) == rank
    assert cell["flags"] == ";".join(f.code for f in result.flags)


def test_json_fields_are_exported_as_json_text(jobs_server: str) -> None:
    extra = {"meta": {"a": "中", "b": [1, 2.5]}, "ok": True, "none": None, "n": 3, "note": "文字", "score": "90"}
    body = {"rubric_id": IC, "submissions": [{"id": "a", "answer": _plain_answers(1)[0], **extra}]}
    created = api.post(f"{jobs_server}/v1/jobs", json=body)
    assert created.status_code == 202, created.text
    job_id = created.json()["id"]
    assert wait_for_job(jobs_server, job_id)["status"] == "done"
    assert _results(jobs_server, job_id)[0]["extra"] == extra
    header, row = _csv_export(jobs_server, job_id)
    cell = dict(zip(header, row, strict=True))
    assert [cell[c] for c in ("meta", "ok", "none", "n", "note", "input:score")] == [
        '{"a": "中", "b": [1, 2.5]}',
        "true",
        "",
        "3",
        "文字",
        "90",
    ]


def test_tab_and_semicolon_files_are_read_by_their_header_line(jobs_server: str, registry: RubricRegistry) -> None:
    answers = _plain_answers(2)
    files = {
        "leading-blank.txt": f"\r\n考号\t姓名\t作答\r\nS1\t张三\t{answers[0]}\r\nS2\t李四\t{answers[1]}\r\n",
        "comma-in-header.txt": f"考号\t姓名,备注\t作答\nS1\t张三,一班\t{answers[0]}\nS2\t李四\t{answers[1]}\n",
        "semicolon.csv": f"考号;姓名;作答\nS1;张三;{answers[0]}\nS2;李四;{answers[1]}\n",
    }
    for name, text in files.items():
        created = _upload(jobs_server, name, text.encode("utf-8"))
        assert created.status_code == 202, (name, created.text)
        assert created.json()["total"] == 2 and len(created.json()["columns"]) == 1, (name, created.json())
        assert wait_for_job(jobs_server, created.json()["id"])["status"] == "done"
        items = _results(jobs_server, created.json()["id"])
        assert [i["result"] for i in items] == [registry.grade(IC, a).model_dump(mode="json") for a in answers], name
    wrong = _upload(jobs_server, "wrong.csv", "编号|作答\nS1|上级是下级的客户。\n".encode())
    message = _error(wrong)["message"]
    assert wrong.status_code == 422 and "逗号" in message and "制表符" in message and "分号" in message, message
    assert "编号|作答" in message
    # Row numbers are those a spreadsheet shows: the leading blank line counts.
    missing = _upload(jobs_server, "missing.txt", f"\n考号\t作答\nS1\t{answers[0]}\n\t{answers[1]}\n".encode())
    assert _error(missing)["message"] == "第 4 行缺少 id"


def _recalibrate(rubrics: Path) -> None:
    calibration = rubrics / f"{IC}.calibration.json"
    stored = json.loads(calibration.read_text(encoding="utf-8"))
    stored["model"]["overall"]["intercept"] += 0.5  # what a refit on more answers does
    calibration.write_text(json.dumps(stored, ensure_ascii=False), encoding="utf-8")


def _new_version(rubrics: Path) -> None:
    rubric = rubrics / f"{IC}.yaml"
    text = rubric.read_text(encoding="utf-8")
    assert '\nversion: "' in text
    rubric.write_text(text.replace('\nversion: "', '\nversion: "next-', 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "code"), [(_recalibrate, "grading_changed"), (_new_version, "rubric_version_changed")]
)
def test_a_job_is_not_finished_by_a_server_that_grades_another_way(
    tmp_path: Path, change: Callable[[Path], None], code: str
) -> None:
    """Queued by one server, the job is picked up by another whose rubric was recalibrated meanwhile
    (its version unchanged), or whose rubric has a new version: the job stops instead of mixing grades
    made two ways. A job queued by that same server runs to the end."""
    rubrics = tmp_path / "rubrics"
    rubrics.mkdir()
    for path in (ROOT / "rubrics").glob(f"{IC}.*"):
        shutil.copy(path, rubrics)
    env = {
        "YUEJUAN_DATABASE_URL": f"sqlite:///{tmp_path / 'jobs.db'}",
        "YUEJUAN_RUBRICS_DIR": str(rubrics),
        "YUEJUAN_RUN_JOBS": "false",
    }
    body = {"rubric_id": IC, "submissions": [{"id": f"s{i}", "answer": a} for i, a in enumerate(_answers(5))]}
    queuing = ServerProcess(env, tmp_path / "queuing.log").start()
    try:
        queued = api.post(f"{queuing.url}/v1/jobs", json=body).json()["id"]
    finally:
        queuing.stop()
    change(rubrics)
    running = ServerProcess({**env, "YUEJUAN_RUN_JOBS": "true"}, tmp_path / "running.log")
    KEYS[running.url] = KEYS[queuing.url]  # the same caller: a job is seen by the key that created it
    running.start()
    try:
        job = wait_for_job(running.url, queued)
        assert job["status"] == "failed" and job["done"] == 0, job
        assert job["error"]["code"] == code  # type: ignore[index]
        fresh = api.post(f"{running.url}/v1/jobs", json=body).json()["id"]
        assert wait_for_job(running.url, fresh)["status"] == "done"
    finally:
        running.stop()


def test_a_grader_key_sees_only_its_own_jobs_and_an_admin_sees_all(jobs_server: str, jobs_folder: Path) -> None:
    database_url = f"sqlite:///{jobs_folder / 'jobs.db'}"
    school_a = {"Authorization": f"Bearer {create_key(database_url, 'grader', '一中教务处')}"}
    school_b = {"Authorization": f"Bearer {create_key(database_url, 'grader', '二中教务处')}"}
    admin = {"Authorization": f"Bearer {create_key(database_url, 'admin', '考试院')}"}
    body = {"rubric_id": IC, "submissions": [{"id": "张三", "answer": "上级是下级的客户。"}]}
    created = httpx.post(f"{jobs_server}/v1/jobs", json=body, headers=school_a, timeout=30)
    assert created.status_code == 202
    job_id = created.json()["id"]
    assert wait_for_job(jobs_server, job_id, headers=school_a)["status"] == "done"

    def listed(headers: dict[str, str]) -> list[str]:
        page = httpx.get(f"{jobs_server}/v1/jobs", params={"limit": 200}, headers=headers, timeout=30).json()
        return [j["id"] for j in page["jobs"]]

    assert job_id in listed(school_a) and job_id in listed(admin)
    # Another school's key neither lists it nor learns that it exists, nor reads or cancels it.
    assert job_id not in listed(school_b)
    for path in ("", "/results", "/results?format=csv", "/report"):
        response = httpx.get(f"{jobs_server}/v1/jobs/{job_id}{path}", headers=school_b, timeout=30)
        assert response.status_code == 404 and _error(response)["code"] == "unknown_job", path
    cancel = httpx.delete(f"{jobs_server}/v1/jobs/{job_id}", headers=school_b, timeout=30)
    assert cancel.status_code == 404 and _error(cancel)["code"] == "unknown_job"
    assert httpx.get(f"{jobs_server}/v1/jobs/{job_id}/results", headers=school_a, timeout=30).json()["items"][0][
        "result"
    ]
    assert httpx.get(f"{jobs_server}/v1/jobs/{job_id}", headers=admin, timeout=30).status_code == 200
