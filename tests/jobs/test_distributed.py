"""Distributed mode on real PostgreSQL and Redis: the API and the workers are separate processes,
workers are SIGKILLed in the middle of a job, the database fails for a moment, and every
submission is still graded exactly once."""

from __future__ import annotations

import random
import re
import signal
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, text, update
from support import ServerProcess, WorkerProcess, api, chunk_attempts, corpus_answers, proxy_for, wait_for_job

from service.jobs import InputRow, celery_app, store
from service.registry import RubricRegistry
from service.scoring import CompiledRubric
from service.settings import Settings
from service.storage import Chunk, Database, Job, SubmissionRow, utcnow

TOTAL = 1200
IC = "internal-customer"


def _env(pg_schema: str, broker_url: str, queue: str, **settings: str) -> dict[str, str]:
    """The environment of an API process and its workers in distributed mode, with ``settings`` added."""
    return {
        "YUEJUAN_DATABASE_URL": pg_schema,
        "YUEJUAN_BROKER_URL": broker_url,
        "YUEJUAN_JOB_QUEUE": queue,
        "YUEJUAN_SWEEP_SECONDS": "0.5",
        **settings,
    }


def _held_by(db: Database, job_id: str, pids: set[int]) -> set[int]:
    """Chunks of the job leased by one of these processes (a lease owner is host:pid:nonce)."""
    with db.session() as s:
        rows = s.execute(select(Chunk.id, Chunk.lease_owner).where(Chunk.job_id == job_id, Chunk.status == "leased"))
        return {chunk for chunk, owner in rows if owner and int(owner.split(":")[1]) in pids}


def _kill_mid_chunk(worker: WorkerProcess, db: Database, job_id: str) -> set[int]:
    """Freeze the worker until it is caught holding a chunk, then SIGKILL it; returns the chunks it
    held and had not committed."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        worker.signal(signal.SIGSTOP)
        if held := _held_by(db, job_id, worker.pids()):
            worker.kill()
            time.sleep(0.3)  # a COMMIT the server had already received when the worker froze completes
            with db.session() as s:
                rows = s.execute(select(Chunk.id, Chunk.status, Chunk.attempts).where(Chunk.id.in_(held))).all()
            return {c for c, status, attempts in rows if not (status == "done" and attempts == 1)}
        worker.signal(signal.SIGCONT)
        time.sleep(0.02)
    raise AssertionError("the worker was never caught grading a chunk")


def _done(db: Database, job_id: str) -> int:
    with db.session() as s:
        job = s.get(Job, job_id)
        assert job is not None
        return job.done


def test_workers_killed_mid_job_lose_nothing_and_grade_nothing_twice(
    pg_schema: str, broker: tuple[str, str], tmp_path: Path, registry: RubricRegistry
) -> None:
    broker_url, queue = broker
    env = _env(pg_schema, broker_url, queue, YUEJUAN_JOB_CHUNK_SIZE="10")
    answers = corpus_answers()
    submissions = [{"id": f"D{i:05d}", "answer": answers[i % len(answers)]} for i in range(TOTAL)]
    # Started together: the rubrics load in all three processes at once.
    first, second = (WorkerProcess(env, tmp_path / f"worker-{n}.log").launch() for n in (1, 2))
    server = ServerProcess(env, tmp_path / "api.log")
    db = Database(pg_schema)
    third = None
    try:
        server.start()
        first.wait_ready()
        second.wait_ready()
        job_id = api.post(
            f"{server.url}/v1/jobs", json={"rubric_id": "internal-customer", "submissions": submissions}, timeout=60
        ).json()["id"]
        # Every chunk is also delivered a second time, as a broker may do: it must not be stored twice.
        with db.session() as s:
            chunk_ids = list(s.scalars(select(Chunk.id).where(Chunk.job_id == job_id)))
        app = celery_app(Settings(broker_url=broker_url, job_queue=queue))
        for chunk_id in chunk_ids:
            app.send_task("yuejuan.grade_chunk", args=[chunk_id], queue=queue)

        deadline = time.monotonic() + 120
        while _done(db, job_id) < 150:
            assert time.monotonic() < deadline, "the job did not start"
            time.sleep(0.05)
        lost = _kill_mid_chunk(first, db, job_id)
        progress = _done(db, job_id)
        while _done(db, job_id) < progress + 150:  # the other worker goes on, and takes the lost chunk
            assert time.monotonic() < deadline, "the job stopped with one worker gone"
            time.sleep(0.05)
        lost |= _kill_mid_chunk(second, db, job_id)  # now every worker is gone

        status = api.get(f"{server.url}/v1/jobs/{job_id}").json()
        assert status["status"] == "running" and status["done"] < TOTAL
        third = WorkerProcess(env, tmp_path / "worker-3.log").launch().wait_ready()  # a worker comes back
        progress = _done(db, job_id)
        while _done(db, job_id) < progress + 50:
            assert time.monotonic() < deadline, "the job did not resume"
            time.sleep(0.05)
        # The database fails under the worker for a moment: it retries with backoff and loses nothing.
        with db.engine.begin() as connection:
            connection.execute(text("ALTER TABLE submissions RENAME TO submissions_away"))
        time.sleep(2)
        with db.engine.begin() as connection:
            connection.execute(text("ALTER TABLE submissions_away RENAME TO submissions"))
        final = wait_for_job(server.url, job_id)
        assert (final["status"], final["done"], final["total"], final["errors"]) == ("done", TOTAL, TOTAL, 0)

        with db.session() as s:
            rows = s.execute(
                select(SubmissionRow.submission_id, SubmissionRow.status, SubmissionRow.seq, SubmissionRow.result)
                .where(SubmissionRow.job_id == job_id)
                .order_by(SubmissionRow.seq)
            ).all()
            attempts = dict(s.execute(select(Chunk.id, Chunk.attempts).where(Chunk.job_id == job_id)).all())
        assert [r.submission_id for r in rows] == [s["id"] for s in submissions]
        assert all(r.status == "done" and r.result is not None for r in rows)
        # The chunks in the killed workers' hands were graded again, once; no other chunk was, but
        # those whose grading the database failure interrupted.
        retried = {int(c) for c in re.findall(r"chunk (\d+): grading failed; retrying", third.log.read_text())}
        assert retried, "the worker met the database failure"
        assert lost and all(attempts[c] == 2 for c in lost - retried)
        assert all(n == 1 for c, n in attempts.items() if c not in lost | retried)
        for r in random.Random(7).sample(rows, 25):  # the stored results are the ones grade() gives
            assert r.result == registry.grade("internal-customer", answers[r.seq % len(answers)]).model_dump(
                mode="json"
            )

        export = api.get(f"{server.url}/v1/jobs/{job_id}/results?format=csv").content.decode("utf-8-sig")
        assert [line.split(",", 1)[0] for line in export.splitlines()[1:]] == [s["id"] for s in submissions]
    finally:
        for process in (first, second, third):
            if process is not None:
                process.stop()
        server.stop()
        db.dispose()


def test_a_chunk_whose_claim_committed_as_the_connection_dropped_is_graded_at_once(
    pg_schema: str, broker: tuple[str, str], tmp_path: Path
) -> None:
    """The connection dropped just as the database committed a worker's claim of a chunk: the chunk was
    leased to the worker, which never learnt it had it; its retry found the chunk leased (to itself)
    and skipped it, and nobody graded it until the lease ran out. The job goes on at once."""
    broker_url, queue = broker
    answers = corpus_answers()
    submissions = [{"id": f"W{i:03d}", "answer": answers[i]} for i in range(40)]
    proxy, proxied = proxy_for(pg_schema)
    env = _env(pg_schema, broker_url, queue, YUEJUAN_JOB_CHUNK_SIZE="10", YUEJUAN_WORKER_LEASE_SECONDS="300")
    worker = WorkerProcess({**env, "YUEJUAN_DATABASE_URL": proxied}, tmp_path / "worker.log").launch()
    server = ServerProcess(env, tmp_path / "api.log")
    try:
        server.start()
        worker.wait_ready()
        proxy.lose_commit_answer(after=b"attempts=(chunks.attempts + ")  # the UPDATE that leases a chunk
        job = {"rubric_id": "internal-customer", "submissions": submissions}
        job_id = api.post(f"{server.url}/v1/jobs", json=job, timeout=60).json()["id"]
        final = wait_for_job(server.url, job_id, timeout=60)  # well before the lease could run out
        assert (final["status"], final["done"], final["errors"]) == ("done", 40, 0)
    finally:
        proxy.cut()
        worker.stop()
        server.stop()
    # One claim was committed and its answer lost; that chunk was claimed again, by the retry.
    assert proxy.lost == 1 and sorted(chunk_attempts(pg_schema, job_id)) == [1, 1, 1, 2]
    assert len(re.findall(r"chunk \d+: grading failed; retrying", worker.log.read_text(encoding="utf-8"))) == 1


def test_workers_drop_the_work_of_purged_jobs_and_retention_runs_in_the_sweep(
    pg_schema: str, broker: tuple[str, str], tmp_path: Path, ic: CompiledRubric
) -> None:
    broker_url, queue = broker
    env = _env(pg_schema, broker_url, queue, YUEJUAN_JOB_CHUNK_SIZE="3", YUEJUAN_JOB_RETENTION_DAYS="30")
    db = Database(pg_schema)
    db.upgrade()
    rows = [InputRow(f"旧{i}", "下一道工序就是上一道工序的客户。", {}) for i in range(3)]
    old, _ = store.create_job(db, rubric_id=IC, rubric_version=ic.rubric.version, rows=rows, columns=[], source="json")
    store.cancel_job(db, job_id=old.id)
    with db.session() as s:  # it ended 40 days ago
        s.execute(update(Job).where(Job.id == old.id).values(finished_at=utcnow() - timedelta(days=40)))
    worker = WorkerProcess(env, tmp_path / "worker.log").launch()
    server = ServerProcess(env, tmp_path / "api.log")
    body = {"rubric_id": IC, "submissions": [{"id": f"D{i}", "answer": "上级是下级的客户。"} for i in range(10)]}
    try:
        server.start()
        worker.wait_ready()
        graded = api.post(f"{server.url}/v1/jobs", json=body, timeout=60).json()["id"]
        assert wait_for_job(server.url, graded)["status"] == "done"
        with db.session() as s:
            chunk_ids = list(s.scalars(select(Chunk.id).where(Chunk.job_id == graded)))
        assert api.post(f"{server.url}/v1/jobs/{graded}/purge").status_code == 200
        # A job cancelled and purged while its messages wait in the queue, and messages of the purged
        # job delivered again (as a broker may): the worker finds nothing to grade in any of them.
        waiting = api.post(f"{server.url}/v1/jobs", json=body, timeout=60).json()["id"]
        api.delete(f"{server.url}/v1/jobs/{waiting}")
        assert api.post(f"{server.url}/v1/jobs/{waiting}/purge").status_code == 200
        app = celery_app(Settings(broker_url=broker_url, job_queue=queue))
        for chunk_id in chunk_ids:
            app.send_task("yuejuan.grade_chunk", args=[chunk_id], queue=queue)
        after = api.post(f"{server.url}/v1/jobs", json=body, timeout=60).json()["id"]
        assert wait_for_job(server.url, after)["status"] == "done"  # the worker went on, behind them
        assert api.get(f"{server.url}/v1/jobs/{old.id}").json()["error"]["code"] == "job_purged"
        with db.session() as s:
            left = s.scalars(select(SubmissionRow.job_id).where(SubmissionRow.job_id.in_([graded, waiting, old.id])))
            assert list(left) == []
        log = worker.log.read_text(errors="replace") + server.log.read_text(errors="replace")
        assert "Traceback" not in log and "ERROR" not in log, log
        # "lost": a chunk of the cancelled job whose grading had begun when the job was cancelled.
        ends = sum(log.count(f": '{end}'") for end in ("done", "skipped", "lost"))
        assert log.count("succeeded in ") == ends
        assert log.count(": 'skipped'") >= len(chunk_ids)  # each message of the purged job, at least
        assert log.count("保留期限") == 1 and old.id in log
    finally:
        worker.stop()
        server.stop()
        db.dispose()
