"""`yuejuan worker`: a Celery worker that grades the chunks the API sends through the broker.

Each message names a chunk. The worker leases that chunk in the database, grades it (renewing
the lease as it goes), and commits the results together with the chunk's ``done`` mark; only
then is the message acknowledged. A worker that dies mid-chunk commits nothing: its message is
delivered again, or, if the message is lost with it, the sweep sends a new one once the lease
is free (at once for a dead process on the same host, else when the lease runs out).

Rubrics are loaded once, in the main process, before the pool processes are forked from it.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import sys
import time
from typing import Any

from celery import Celery, Task
from celery.signals import worker_process_init, worker_ready, worker_shutting_down

from ..registry import RubricRegistry
from ..settings import Settings
from ..storage import Database
from . import store
from .dispatcher import Dispatcher
from .grading import ChunkFailed, Outcome, exit_with_parent, grade_chunk, init_worker
from .owners import is_dead_here, new_owner
from .queue import TASK_NAME, celery_app

__all__ = ["register_task", "run_worker"]

log = logging.getLogger("yuejuan.worker")
# Answers graded between two checks of the lease (a check renews it when a third of it is used).
_SLICE = 25


class _Process:
    """What one worker process keeps: its database engine and its lease owner name."""

    settings: Settings | None = None
    db: Database | None = None
    owner = ""
    pid = 0
    # Chunks may be leased to this process while it grades none of them: a claim that committed as its
    # connection dropped, or a release that failed. They are freed before its next claim.
    unattended = False

    @classmethod
    def get(cls) -> tuple[Settings, Database, str]:
        assert cls.settings is not None, "register_task() was not called"
        if cls.db is None or cls.pid != os.getpid():
            cls.db, cls.owner, cls.pid = (
                Database(cls.settings.database_url, connect_timeout=cls.settings.database_connect_timeout_seconds),
                new_owner(),
                os.getpid(),
            )
        return cls.settings, cls.db, cls.owner


def _grade(chunk: store.ClaimedChunk, db: Database, owner: str, lease_seconds: float) -> list[Outcome] | None:
    """Grade the chunk's answers, renewing the lease; None when the lease was lost (job cancelled)."""
    outcomes: list[Outcome] = []
    renewed = time.monotonic()
    for start in range(0, len(chunk.items), _SLICE):
        if time.monotonic() - renewed > lease_seconds / 3:
            if not store.renew_lease(db, chunk_id=chunk.id, owner=owner, lease_seconds=lease_seconds):
                return None
            renewed = time.monotonic()
        part = chunk.items[start : start + _SLICE]
        outcomes += grade_chunk(chunk.rubric_id, chunk.rubric_version, part, chunk.fingerprint)
    return outcomes


def _backoff(retries: int) -> float:
    """Seconds before retry number ``retries + 1``: 1, 2, 4, ... up to 60, with jitter."""
    return float(min(60.0, 2.0**retries) * random.uniform(0.5, 1.0))


def _grade_chunk_task(task: Task, chunk_id: int) -> str:
    settings, db, owner = _Process.get()
    lease = settings.worker_lease_seconds
    chunk = None
    try:
        if _Process.unattended:
            # A process grades one chunk at a time (prefork or solo pool): none of its leases is attended.
            freed = store.release_unattended(db, owner=owner, grading=())
            _Process.unattended = False
            if freed:
                log.warning("freed %d chunk(s) leased to this process but not being graded", freed)
        chunk = store.claim_chunk(db, chunk_id=chunk_id, owner=owner, lease_seconds=lease, is_dead=is_dead_here)
        if chunk is None:
            return "skipped"  # done already, its job ended, or another live worker has it
        try:
            outcomes = _grade(chunk, db, owner, lease)
        except ChunkFailed as failure:
            store.fail_job(db, job_id=chunk.job_id, code=failure.code, message=failure.message)
            return "failed"
        if outcomes is None or not store.commit_chunk(db, chunk=chunk, owner=owner, outcomes=outcomes):
            log.info("chunk %s of job %s was no longer ours (cancelled or lease lost)", chunk.id, chunk.job_id)
            return "lost"
        return "done"
    except Exception as error:
        # The database or the broker is unreachable, or a bug: try again later, with backoff. Each
        # try is counted on the chunk, and a chunk that keeps failing fails its job (MAX_CHUNK_ATTEMPTS).
        log.exception("chunk %s: grading failed; retrying", chunk_id)
        # Released even when the claim raised: it may have committed as the connection dropped, leaving
        # the chunk leased to this process, which the retry would then skip as held by a live worker.
        try:
            store.release_chunk(db, chunk_id=chunk_id, owner=owner, requeued=True)
        except Exception:
            _Process.unattended = True
            log.warning("chunk %s: could not release its lease; it is freed before this process's next chunk", chunk_id)
        retries = task.request.retries
        raise task.retry(exc=error, countdown=_backoff(retries), max_retries=store.MAX_CHUNK_ATTEMPTS) from error


def register_task(app: Celery, settings: Settings) -> None:
    """Register the grading task on ``app``; workers of this process use ``settings``."""
    _Process.settings = settings
    app.task(name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True)(_grade_chunk_task)


def run_worker(
    settings: Settings,
    *,
    concurrency: int,
    queues: list[str],
    pool: str = "prefork",
    registry: RubricRegistry | None = None,
) -> int:
    """Run a Celery worker until it is stopped (SIGTERM: finish the chunks in hand, then exit)."""
    database = Database(settings.database_url, connect_timeout=settings.database_connect_timeout_seconds)
    database.upgrade()
    registry = registry or RubricRegistry.from_dir(settings.rubrics_dir)
    init_worker(str(settings.rubrics_dir), settings.max_answer_chars, registry)  # forked pool processes share it
    app = celery_app(settings)
    register_task(app, settings)
    # The worker sweeps too, so that jobs go on while no API process runs.
    sweeper = Dispatcher(database, settings, app, webhooks=False)

    def _forked(**_: Any) -> None:
        database.engine.dispose(close=False)  # the parent's connections are not this process's
        exit_with_parent()  # a SIGKILLed worker's pool processes stop with it

    hostname = f"yuejuan-{os.getpid()}@{socket.gethostname()}"

    def _ready(**_: Any) -> None:
        sweeper.start()
        # Whatever the log level: process managers and tests wait for this line.
        print(
            f"{hostname} ready: queues {','.join(queues)}, {concurrency} {pool} process(es)",
            file=sys.stderr,
            flush=True,
        )

    def _stopping(**_: Any) -> None:
        sweeper.stop()

    worker_process_init.connect(_forked, weak=False)
    worker_ready.connect(_ready, weak=False)
    worker_shutting_down.connect(_stopping, weak=False)
    worker = app.Worker(
        hostname=hostname,
        concurrency=concurrency,
        pool=pool,
        queues=queues,
        loglevel="DEBUG" if settings.log_level == "trace" else settings.log_level.upper(),  # Celery has no TRACE
        without_gossip=True,
        without_mingle=True,
        without_heartbeat=True,
    )
    try:
        worker.start()
    finally:
        sweeper.stop()
        database.dispose()
    return int(worker.exitcode or 0)
