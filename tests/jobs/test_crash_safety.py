"""Crash safety: SIGKILL a real server in the middle of a job, start it again, and every
submission is graded exactly once."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from support import ServerProcess, TcpProxy, api, chunk_attempts, corpus_answers, proxy_for, wait_for_job

from service.registry import RubricRegistry
from service.storage import Chunk, Database, Job, SubmissionRow

TOTAL = 800


def _job(db: Database, job_id: str) -> Job:
    with db.session() as s:
        job = s.get(Job, job_id)
    assert job is not None
    return job


def _runner_behind_proxy(pg_schema: str, tmp_path: Path) -> tuple[TcpProxy, ServerProcess]:
    """A started server whose job runner (one grading process, chunks of 10, leases far longer than any
    test waits) reaches PostgreSQL through a proxy that can cut it."""
    proxy, proxied = proxy_for(pg_schema)
    env = {
        "YUEJUAN_DATABASE_URL": proxied,
        "YUEJUAN_JOB_CHUNK_SIZE": "10",
        "YUEJUAN_JOB_WORKERS": "1",
        "YUEJUAN_JOB_LEASE_SECONDS": "300",
    }
    return proxy, ServerProcess(env, tmp_path / "server.log").start()


def test_a_job_survives_sigkill_and_grades_every_submission_once(tmp_path: Path, registry: RubricRegistry) -> None:
    answers = corpus_answers()
    submissions = [{"id": f"K{i:05d}", "answer": answers[i % len(answers)]} for i in range(TOTAL)]
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    env = {"YUEJUAN_DATABASE_URL": url, "YUEJUAN_JOB_CHUNK_SIZE": "10"}
    server = ServerProcess(env, tmp_path / "server.log").start()
    try:
        job_id = api.post(
            f"{server.url}/v1/jobs", json={"rubric_id": "internal-customer", "submissions": submissions}, timeout=60
        ).json()["id"]
        deadline = time.monotonic() + 120
        while api.get(f"{server.url}/v1/jobs/{job_id}").json()["done"] < 100:  # well under way
            assert time.monotonic() < deadline, "the job did not start"
            time.sleep(0.05)
        server.kill()

        db = Database(url)
        with db.session() as s:
            job = s.get(Job, job_id)
            assert job is not None and job.status == "running" and 100 <= job.done < TOTAL
            in_flight = set(s.scalars(select(Chunk.id).where(Chunk.job_id == job_id, Chunk.status == "leased")))
        assert in_flight, "chunks were being graded when the server died"

        server.start()  # the same database, a new process
        final = wait_for_job(server.url, job_id)
        assert (final["status"], final["done"], final["total"], final["errors"]) == ("done", TOTAL, TOTAL, 0)

        with db.session() as s:
            rows = s.execute(
                select(SubmissionRow.submission_id, SubmissionRow.status, SubmissionRow.seq, SubmissionRow.result)
                .where(SubmissionRow.job_id == job_id)
                .order_by(SubmissionRow.seq)
            ).all()
            regraded = s.scalars(select(Chunk.attempts).where(Chunk.id.in_(in_flight))).all()
            max_attempts = s.scalar(select(func.max(Chunk.attempts)).where(Chunk.job_id == job_id))
        db.dispose()
        assert [r.submission_id for r in rows] == [s["id"] for s in submissions]
        assert all(r.status == "done" and r.result is not None for r in rows)
        assert regraded and all(a == 2 for a in regraded) and max_attempts == 2
        for r in random.Random(4).sample(rows, 25):  # stored results are the ones grade() gives
            expected = registry.grade("internal-customer", answers[r.seq % len(answers)])
            assert r.result == expected.model_dump(mode="json")

        export = api.get(f"{server.url}/v1/jobs/{job_id}/results?format=csv").content.decode("utf-8-sig")
        ids = [line.split(",", 1)[0] for line in export.splitlines()[1:]]
        assert ids == [s["id"] for s in submissions]
    finally:
        server.stop()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_job_runs_on_postgresql(backend: str, pg_schema: str, tmp_path: Path, registry: RubricRegistry) -> None:
    answers = corpus_answers()
    submissions = [{"id": f"P{i}", "answer": a} for i, a in enumerate(answers[:40])]
    server = ServerProcess({"YUEJUAN_DATABASE_URL": pg_schema, "YUEJUAN_JOB_CHUNK_SIZE": "8"}, tmp_path / "pg.log")
    server.start()
    try:
        job_id = api.post(
            f"{server.url}/v1/jobs", json={"rubric_id": "internal-customer", "submissions": submissions}
        ).json()["id"]
        assert wait_for_job(server.url, job_id)["status"] == "done"
        items = api.get(f"{server.url}/v1/jobs/{job_id}/results?limit=100").json()["items"]
        assert [i["id"] for i in items] == [s["id"] for s in submissions]
        assert items[3]["result"] == registry.grade("internal-customer", answers[3]).model_dump(mode="json")
    finally:
        server.stop()
    db = Database(pg_schema)
    with db.session() as s:
        versions = set(s.execute(select(SubmissionRow.rubric_version, SubmissionRow.engine_version)).all())
    db.dispose()
    compiled = registry.get("internal-customer")
    assert versions == {(compiled.rubric.version, items[0]["result"]["engine_version"])}


def test_a_job_goes_on_at_once_when_the_database_comes_back(pg_schema: str, tmp_path: Path) -> None:
    """The database away for three seconds mid-job: the chunks graded meanwhile could not be committed,
    and the runner dropped them while they stayed leased to it, so the job stood still until their
    leases ran out (ten minutes by default). They are committed as soon as the database is back."""
    answers = corpus_answers()
    submissions = [{"id": f"B{i:04d}", "answer": answers[i % len(answers)]} for i in range(400)]
    proxy, server = _runner_behind_proxy(pg_schema, tmp_path)
    try:
        job = {"rubric_id": "internal-customer", "submissions": submissions}
        job_id = api.post(f"{server.url}/v1/jobs", json=job, timeout=60).json()["id"]
        deadline = time.monotonic() + 120
        while api.get(f"{server.url}/v1/jobs/{job_id}").json()["done"] < 30:
            assert time.monotonic() < deadline, "the job did not start"
            time.sleep(0.05)
        proxy.cut()
        time.sleep(3)
        proxy.start()
        final = wait_for_job(server.url, job_id, timeout=60)  # well before any lease could run out
        assert (final["status"], final["done"], final["errors"]) == ("done", 400, 0)
        proxy.cut()
        assert server.terminate() in (0, -signal.SIGTERM)  # a stop while the database is away is clean too
    finally:
        proxy.cut()
        server.stop()
    db = Database(pg_schema)
    with db.session() as s:
        stored = s.scalar(select(func.count()).where(SubmissionRow.job_id == job_id, SubmissionRow.result.is_not(None)))
    db.dispose()
    assert stored == 400
    log = server.log.read_text(encoding="utf-8")
    assert "job runner: database unavailable" in log and "Traceback" not in log


def test_chunks_claimed_as_the_connection_drops_are_graded_at_once(pg_schema: str, tmp_path: Path) -> None:
    """The connection dropped just as the database committed a claim of chunks: the chunks were leased
    to the runner, which never learnt it had them, and nobody graded them until the leases ran out (ten
    minutes by default). This is what stalled the test above now and then. They are graded at once."""
    answers = corpus_answers()
    submissions = [{"id": f"L{i:03d}", "answer": answers[i]} for i in range(40)]
    proxy, server = _runner_behind_proxy(pg_schema, tmp_path)
    try:
        proxy.lose_commit_answer(after=b"attempts=(chunks.attempts + ")  # the UPDATE that leases a chunk
        job = {"rubric_id": "internal-customer", "submissions": submissions}
        job_id = api.post(f"{server.url}/v1/jobs", json=job, timeout=60).json()["id"]
        final = wait_for_job(server.url, job_id, timeout=60)  # well before any lease could run out
        assert (final["status"], final["done"], final["errors"]) == ("done", 40, 0)
    finally:
        proxy.cut()
        server.stop()
    attempts = chunk_attempts(pg_schema, job_id)
    db = Database(pg_schema)
    with db.session() as s:
        stored = s.scalar(select(func.count()).where(SubmissionRow.job_id == job_id, SubmissionRow.result.is_not(None)))
    db.dispose()
    # The first claim (two chunks, for one worker) was committed and its answer lost; then claimed again.
    assert proxy.lost == 1 and attempts == [2, 2, 1, 1] and stored == 40
    assert "Traceback" not in server.log.read_text(encoding="utf-8")


def test_a_grading_process_that_dies_while_the_database_is_away_stops_no_job(pg_schema: str, tmp_path: Path) -> None:
    """A grading process died while the database was away, and the connection dropped again as the runner
    gave a chunk of it back: the error ended the runner's thread, and no job of the server made progress
    until it was restarted. The chunks are given back, and the job goes on, once the database answers."""
    answers = corpus_answers()
    submissions = [{"id": f"G{i:03d}", "answer": answers[i]} for i in range(40)]
    proxy, server = _runner_behind_proxy(pg_schema, tmp_path)
    db = Database(pg_schema)
    try:
        (grading,) = server.grading_processes()
        os.kill(grading, signal.SIGSTOP)  # it finishes no chunk: the runner holds two, and waits for them
        job = {"rubric_id": "internal-customer", "submissions": submissions}
        job_id = api.post(f"{server.url}/v1/jobs", json=job, timeout=60).json()["id"]
        deadline = time.monotonic() + 60
        while True:
            with db.session() as s:
                leased = s.scalar(select(func.count()).where(Chunk.job_id == job_id, Chunk.status == "leased"))
            if leased == 2:
                break
            assert time.monotonic() < deadline, "the runner did not take the job"
            time.sleep(0.05)
        proxy.cut()
        os.kill(grading, signal.SIGKILL)
        while "job runner: database unavailable" not in server.log.read_text(encoding="utf-8"):
            assert time.monotonic() < deadline, "the runner did not notice the grading process die"
            time.sleep(0.05)
        # Back, the connection drops as the database commits a chunk given back on its own (store.release_chunk,
        # which the runner called in the handler of a dead grading process; a release of all its idle leases
        # is not caught here, so that the runner's first turn once the database is back gets that far).
        proxy.lose_commit_answer(after=b"TIME ZONE WHERE chunks.id = $5::INTEGER")
        proxy.start()
        deadline = time.monotonic() + 60  # well before any lease could run out
        while (job_row := _job(db, job_id)).status in ("queued", "running"):  # read past the proxy, which may cut
            assert time.monotonic() < deadline, f"the job stopped at {job_row.done} of 40"
            time.sleep(0.1)
        assert (job_row.status, job_row.done, job_row.errors) == ("done", 40, 0)
    finally:
        proxy.cut()
        server.stop()
    db.dispose()
    assert chunk_attempts(pg_schema, job_id) == [
        2,
        2,
        1,
        1,
    ]  # the two chunks in the dead process's hands were graded again
    log = server.log.read_text(encoding="utf-8")
    assert "a grading process died" in log and "Traceback" not in log
