"""Graceful shutdown: SIGTERM a real server in the middle of a request and of a job. The request is
answered in full; the job resumes after a restart and grades every submission exactly once."""

from __future__ import annotations

import json
import re
import signal
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select
from support import ServerProcess, api, wait_for_job

from service.registry import RubricRegistry
from service.storage import Chunk, Database, Job, SubmissionRow

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "internal-customer" / "answers.jsonl"
IC = "internal-customer"
STOPPED = (0, -signal.SIGTERM)  # uvicorn exits 0, or re-raises SIGTERM once it has shut down cleanly


def _answers() -> list[str]:
    return [json.loads(line)["answer"] for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def _in_progress(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    match = re.search(r"^yuejuan_http_requests_in_progress (\S+)$", text, re.MULTILINE)
    return float(match[1]) if match else 0.0


def _sigterm_during_batch(tmp_path: Path, shutdown_seconds: int) -> tuple[httpx.Response, float, float, str]:
    """POST a batch of 1,000 answers, SIGTERM the server while it grades them, and wait for both to end:
    the response, when SIGTERM was sent and when the response came, and the server's log."""
    answers = _answers()
    submissions = [{"id": f"S{i:04d}", "answer": (answers[i % len(answers)] * 3)[:400]} for i in range(1000)]
    env = {
        "YUEJUAN_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}",
        "YUEJUAN_RUN_JOBS": "false",
        "YUEJUAN_SHUTDOWN_TIMEOUT_SECONDS": str(shutdown_seconds),
    }
    server = ServerProcess(env, tmp_path / "server.log").start()
    outcome: dict[str, object] = {}

    def send() -> None:
        response = api.post(
            f"{server.url}/v1/grade/batch", json={"rubric_id": IC, "submissions": submissions}, timeout=300
        )
        outcome["at"], outcome["response"] = time.monotonic(), response

    try:
        thread = threading.Thread(target=send)
        thread.start()
        deadline = time.monotonic() + 60
        while _in_progress(server.url) < 2:  # the batch, and this scrape
            assert thread.is_alive() and time.monotonic() < deadline, "the batch was not in flight"
            time.sleep(0.05)
        assert server.proc is not None
        signalled = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        thread.join(timeout=300)
        assert server.proc.wait(timeout=60) in STOPPED
    finally:
        server.stop()
    response = outcome["response"]
    assert isinstance(response, httpx.Response)
    return response, signalled, float(outcome["at"]), server.log.read_text(encoding="utf-8")  # type: ignore[arg-type]


def test_sigterm_answers_the_request_in_flight(tmp_path: Path) -> None:
    # However slow the host, the batch is answered before the graceful shutdown's time is up.
    response, signalled, answered, log = _sigterm_during_batch(tmp_path, shutdown_seconds=600)
    assert response.status_code == 200
    assert answered > signalled
    results = response.json()["results"]
    assert [r["id"] for r in results] == [f"S{i:04d}" for i in range(1000)]
    assert all(r["result"] is not None for r in results)
    assert log.index('"Shutting down"') < log.index('"Finished server process')


def test_a_request_cut_off_by_the_shutdown_bound_is_refused_in_words(tmp_path: Path) -> None:
    # 1,000 answers take seconds to grade on any host; the server may take 1 s to finish its requests.
    response, _, _, log = _sigterm_during_batch(tmp_path, shutdown_seconds=1)
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "shutting_down"
    assert "稍后重新提交" in response.json()["error"]["message"]
    assert response.headers["retry-after"] == "5" and response.headers["x-request-id"]
    assert "cut off: the server is stopping" in log and "Exception in ASGI application" not in log


def test_sigterm_mid_job_leaves_it_resumable_and_graded_once(tmp_path: Path, registry: RubricRegistry) -> None:
    answers = _answers()
    total = 600
    submissions = [{"id": f"T{i:04d}", "answer": answers[i % len(answers)]} for i in range(total)]
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    server = ServerProcess({"YUEJUAN_DATABASE_URL": url, "YUEJUAN_JOB_CHUNK_SIZE": "10"}, tmp_path / "server.log")
    server.start()
    try:
        created = api.post(f"{server.url}/v1/jobs", json={"rubric_id": IC, "submissions": submissions}, timeout=60)
        job_id = created.json()["id"]
        deadline = time.monotonic() + 120
        while api.get(f"{server.url}/v1/jobs/{job_id}").json()["done"] < 100:
            assert time.monotonic() < deadline, "the job did not start"
            time.sleep(0.05)
        assert server.terminate() in STOPPED

        db = Database(url)
        with db.session() as s:
            job = s.get(Job, job_id)
            assert job is not None and job.status == "running" and 100 <= job.done < total
            # A graceful stop hands back the chunks it was grading: none stays leased to a dead server.
            assert s.scalar(select(func.count()).where(Chunk.job_id == job_id, Chunk.status == "leased")) == 0

        server.start()
        final = wait_for_job(server.url, job_id)
        assert (final["status"], final["done"], final["total"], final["errors"]) == ("done", total, total, 0)
        with db.session() as s:
            rows = s.execute(
                select(SubmissionRow.submission_id, SubmissionRow.seq, SubmissionRow.result)
                .where(SubmissionRow.job_id == job_id)
                .order_by(SubmissionRow.seq)
            ).all()
            most_attempts = s.scalar(select(func.max(Chunk.attempts)).where(Chunk.job_id == job_id))
        db.dispose()
        assert [r.submission_id for r in rows] == [s["id"] for s in submissions]
        assert most_attempts is not None and most_attempts <= 2
        for r in rows[::37]:
            assert r.result == registry.grade(IC, answers[r.seq % len(answers)]).model_dump(mode="json")
    finally:
        server.stop()
