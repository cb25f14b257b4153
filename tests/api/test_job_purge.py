"""Deleting a job's data through a real server: what its owner and admins may do, what a job still
running refuses, what its endpoints answer afterwards, and what the tables still hold (nothing)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from support import ServerProcess, api, wait_for_job

from conftest import create_key
from service.storage import Chunk, Database, Job, SubmissionRow

IC = "internal-customer"
ANSWERS = [
    "上级给下级安排任务,上级就是下级的客户;下级向上级要资源,下级也是上级的客户。",
    "下一道工序就是上一道工序的客户。",
]


def _error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    message: str = body["error"]["message"]
    assert message and not message.isascii()
    return message


def _left_of(database_url: str, job_id: str) -> tuple[int, int, str]:
    """The job's rows in the real tables: submissions, chunks, and its own row as text."""
    db = Database(database_url)
    try:
        with db.session() as s:
            submissions = s.scalar(
                select(func.count()).select_from(SubmissionRow).where(SubmissionRow.job_id == job_id)
            )
            chunks = s.scalar(select(func.count()).select_from(Chunk).where(Chunk.job_id == job_id))
            row = s.execute(select(Job.__table__).where(Job.id == job_id)).one()
    finally:
        db.dispose()
    return int(submissions or 0), int(chunks or 0), " ".join(map(str, row))


@pytest.fixture(scope="module")
def paused_server(paused: ServerProcess) -> str:
    """A server that queues jobs but runs none: jobs stay queued until cancelled."""
    return paused.url


def test_a_running_job_is_cancelled_first_then_purged_and_answers_410(paused_server: str, database_url: str) -> None:
    rows = [{"id": f"张{i}", "answer": a, "班级": "一班"} for i, a in enumerate(ANSWERS)]
    body = {"rubric_id": IC, "submissions": rows}
    job_id = api.post(f"{paused_server}/v1/jobs", json=body).json()["id"]
    url = f"{paused_server}/v1/jobs/{job_id}"
    assert "请先取消" in _error(api.post(f"{url}/purge"), 409, "job_active")
    assert _left_of(database_url, job_id)[:2] == (2, 1)
    assert api.delete(url).json()["status"] == "cancelled"

    purged = api.post(f"{url}/purge")
    assert purged.status_code == 200, purged.text
    summary = purged.json()
    assert (summary["id"], summary["status"], summary["ended_as"], summary["submissions_deleted"]) == (
        job_id,
        "purged",
        "cancelled",
        2,
    )
    submissions, chunks, row = _left_of(database_url, job_id)
    assert (submissions, chunks) == (0, 0)
    assert not any(text in row for text in [*ANSWERS, "张0", "一班", "班级"])
    # Every endpoint of the job says the data is gone, and when; the job is no longer listed.
    for method, path in [
        ("GET", ""),
        ("GET", "/results"),
        ("GET", "/results?format=csv"),
        ("GET", "/report"),
        ("GET", "/report?format=png"),
        ("DELETE", ""),
        ("POST", "/purge"),
    ]:
        response = getattr(api, method.lower())(f"{url}{path}")
        assert "已于" in _error(response, 410, "job_purged"), (method, path)
    listed = api.get(f"{paused_server}/v1/jobs", params={"limit": 200}).json()["jobs"]
    assert job_id not in [j["id"] for j in listed]


def test_bad_purge_requests_get_structured_errors(paused_server: str, database_url: str) -> None:
    assert "没有编号为" in _error(api.post(f"{paused_server}/v1/jobs/{'0' * 32}/purge"), 404, "unknown_job")
    assert _error(api.post(f"{paused_server}/v1/jobs/{'无' * 300}/purge"), 404, "unknown_job")
    assert _error(httpx.post(f"{paused_server}/v1/jobs/{'0' * 32}/purge"), 401, "missing_key")
    student = {"Authorization": f"Bearer {create_key(database_url, 'student')}"}
    assert _error(httpx.post(f"{paused_server}/v1/jobs/{'0' * 32}/purge", headers=student), 403, "forbidden")
    _error(api.get(f"{paused_server}/v1/jobs/{'0' * 32}/purge"), 405, "method_not_allowed")


def test_a_graded_job_is_purged_by_its_key_or_an_admin_and_by_no_one_else(job_server: ServerProcess) -> None:
    jobs_server = job_server.url
    database_url = f"sqlite:///{Path(job_server.log.parent) / 'jobs.db'}"
    school_a = {"Authorization": f"Bearer {create_key(database_url, 'grader', '一中教务处')}"}
    school_b = {"Authorization": f"Bearer {create_key(database_url, 'grader', '二中教务处')}"}
    admin = {"Authorization": f"Bearer {create_key(database_url, 'admin', '考试院')}"}
    answers = [f"{a}(第{n}份)" for n in range(8) for a in ANSWERS]
    body = {"rubric_id": IC, "submissions": [{"id": f"考生{i:03d}", "answer": a} for i, a in enumerate(answers)]}

    def job() -> str:
        created = httpx.post(f"{jobs_server}/v1/jobs", json=body, headers=school_a, timeout=30)
        assert created.status_code == 202
        job_id: str = created.json()["id"]
        assert wait_for_job(jobs_server, job_id, headers=school_a)["status"] == "done"
        return job_id

    mine, theirs = job(), job()
    url = f"{jobs_server}/v1/jobs/{mine}"
    # Another school's key does not learn that the job exists, and deletes nothing.
    _error(httpx.post(f"{url}/purge", headers=school_b, timeout=30), 404, "unknown_job")
    assert _left_of(database_url, mine)[0] == len(answers)
    purged = httpx.post(f"{url}/purge", headers=school_a, timeout=30).json()
    assert (purged["ended_as"], purged["submissions_deleted"]) == ("done", len(answers))
    by_admin = httpx.post(f"{jobs_server}/v1/jobs/{theirs}/purge", headers=admin, timeout=30)
    assert by_admin.status_code == 200 and by_admin.json()["submissions_deleted"] == len(answers)
    for job_id in (mine, theirs):
        submissions, chunks, row = _left_of(database_url, job_id)
        assert (submissions, chunks) == (0, 0) and not any(a in row for a in answers)
        _error(httpx.get(f"{jobs_server}/v1/jobs/{job_id}", headers=school_a, timeout=30), 410, "job_purged")
        _error(httpx.get(f"{jobs_server}/v1/jobs/{job_id}", headers=school_b, timeout=30), 404, "unknown_job")
