"""Rate limits and a deployment that requires student keys, each on its own real server."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support import ServerProcess

from conftest import create_key, run_server
from service.api.schemas import ErrorResponse

DRAFT = {"rubric_id": "internal-customer", "answer": "上级给下级安排任务,上级就是下级的客户。"}


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A server allowing 3 checks and 2 gradings a minute per caller; yields its URL and database URL."""
    workdir = tmp_path_factory.mktemp("limited")
    database_url = f"sqlite:///{workdir / 'keys.db'}"
    env = {"YUEJUAN_DATABASE_URL": database_url, "YUEJUAN_RATE_LIMIT_CHECK": "3", "YUEJUAN_RATE_LIMIT_GRADE": "2"}
    with run_server(workdir, env) as url:
        yield url, database_url


def _assert_429(response: httpx.Response) -> None:
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert "秒后重试" in response.json()["error"]["message"]
    assert int(response.headers["retry-after"]) >= 1


def test_anonymous_checks_are_limited_per_client_address(limited: tuple[str, str]) -> None:
    url, database_url = limited
    assert [httpx.post(f"{url}/v1/check", json=DRAFT).status_code for _ in range(3)] == [200, 200, 200]
    _assert_429(httpx.post(f"{url}/v1/check", json=DRAFT))
    # A student with a key of their own has a bucket of their own.
    student = {"Authorization": f"Bearer {create_key(database_url, 'student')}"}
    assert httpx.post(f"{url}/v1/check", json=DRAFT, headers=student).status_code == 200


def test_grading_is_limited_per_key(limited: tuple[str, str]) -> None:
    url, database_url = limited
    first, second = ({"Authorization": f"Bearer {create_key(database_url, 'grader')}"} for _ in range(2))
    for _ in range(2):
        assert httpx.post(f"{url}/v1/grade", json=DRAFT, headers=first).status_code == 200
    _assert_429(httpx.post(f"{url}/v1/grade", json=DRAFT, headers=first))
    batch = {"rubric_id": "internal-customer", "submissions": [{"id": "a", "answer": "x"}]}
    _assert_429(httpx.post(f"{url}/v1/grade/batch", json=batch, headers=first))
    assert httpx.post(f"{url}/v1/grade", json=DRAFT, headers=second).status_code == 200


def test_an_answer_over_the_limit_is_413_on_check(limited: tuple[str, str]) -> None:
    url, database_url = limited
    student = {"Authorization": f"Bearer {create_key(database_url, 'student')}"}
    response = httpx.post(f"{url}/v1/check", json={**DRAFT, "answer": "字" * 20_001}, headers=student)
    assert response.status_code == 413 and response.json()["error"]["code"] == "answer_too_long"


def test_a_school_can_require_student_keys_and_hide_scores(school: tuple[str, str], tmp_path: Path) -> None:
    url, database_url = school
    draft = {"rubric_id": "waste-sorting", "answer": "垃圾分为可回收物、厨余垃圾、有害垃圾和其他垃圾。"}
    anonymous = httpx.post(f"{url}/v1/check", json=draft)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "missing_key"
    assert httpx.get(f"{url}/v1/check/questions").status_code == 401
    student = {"Authorization": f"Bearer {create_key(database_url, 'student')}"}
    result = httpx.post(f"{url}/v1/check", json=draft, headers=student).json()
    assert result["score"] is None and result["max_score"] is None
    assert result["items"] and result["total"] == len(result["items"])
    questions = httpx.get(f"{url}/v1/check/questions", headers=student).json()["questions"]
    assert [q["shows_score"] for q in questions] == [False]


def test_a_limit_holds_for_the_whole_server_with_several_processes(tmp_path: Path) -> None:
    """`serve --workers 2`: each request on a fresh connection, which the kernel hands to either process;
    the client still gets the limit once, not once per process."""
    env = {
        "YUEJUAN_DATABASE_URL": f"sqlite:///{tmp_path / 'limits.db'}",
        "YUEJUAN_RUN_JOBS": "false",
        "YUEJUAN_RATE_LIMIT_CHECK": "4",  # a token back every 15 s
    }
    server = ServerProcess(env, tmp_path / "server.log", args=("--workers", "2")).launch()
    try:
        deadline = time.monotonic() + 120
        while len(_entries(server, message="Application startup complete.")) < 2:
            assert server.proc is not None and server.proc.poll() is None, server.log.read_text()
            assert time.monotonic() < deadline, "the processes did not start"
            time.sleep(0.1)
        started = time.monotonic()
        responses = [httpx.post(f"{server.url}/v1/check", json=DRAFT) for _ in range(16)]
        # On a slow or busy host the requests may last long enough for the bucket to earn one back.
        earned = math.ceil((time.monotonic() - started) * 4 / 60)
        statuses = [r.status_code for r in responses]
        assert statuses[:5] == [200] * 4 + [429] and 4 <= statuses.count(200) <= 4 + earned, statuses
        for refused in (r for r in responses if r.status_code != 200):
            _assert_429(refused)
            assert ErrorResponse.model_validate(refused.json()).error.code == "rate_limited"
        # Both processes answered some of them.
        while len(served := _entries(server, logger="yuejuan.access", path="/v1/check")) < 16:
            assert time.monotonic() < deadline, served
            time.sleep(0.1)
        assert len({entry["process"] for entry in served}) == 2, served
    finally:
        server.stop()


def _entries(server: ServerProcess, **fields: object) -> list[dict[str, object]]:
    """The server's JSON log lines with these values."""
    lines = [json.loads(line) for line in server.log.read_text(encoding="utf-8").splitlines() if line.startswith("{")]
    return [line for line in lines if all(line.get(k) == v for k, v in fields.items())]
