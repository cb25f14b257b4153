"""The job runner: leases chunks from the store, grades them in a pool of worker processes,
commits each chunk's results in one transaction, sends the job-end webhooks, and purges the jobs
the retention setting has expired (:mod:`service.jobs.retention`).

Any number of runners (in several server processes or machines) can share one database:
chunks are leased, and only the lease holder can commit a chunk. A runner that dies holding
leases loses nothing: its chunks are graded again by the next runner (at once when that runner
is on the same host and sees the dead process id, otherwise when the lease expires), and the
lost work was never committed, so every submission is stored exactly once.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from ..registry import RubricRegistry
from ..settings import Settings
from ..storage import DATABASE_UNAVAILABLE, Database
from . import store
from .grading import ChunkFailed, Outcome, exit_with_parent, grade_chunk, init_worker, warm_up
from .owners import is_dead_here, new_owner
from .retention import Retention
from .webhook import send_due

__all__ = ["JobRunner"]

log = logging.getLogger("yuejuan.jobs")
_RELEASE_EVERY = 30.0


class JobRunner:
    """Grades queued jobs in the background; ``start()`` once, ``stop()`` on shutdown."""

    def __init__(self, db: Database, settings: Settings, registry: RubricRegistry | None = None) -> None:
        self.db = db
        self.settings = settings
        self.registry = registry
        self.owner = new_owner()
        self._stop = threading.Event()
        self._work = threading.Event()
        self._hooks = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pool: ProcessPoolExecutor | None = None
        self._retention = Retention(db, settings)

    def start(self) -> None:
        released = store.release_leases(self.db, is_dead=is_dead_here)
        if released:
            log.warning("resuming %d chunk(s) left by a stopped runner", released)
        self._pool = self._new_pool()
        for _ in range(self.settings.workers()):
            self._pool.submit(warm_up)  # workers load the rubrics now, not when the first job comes
        for target, name in ((self._loop, "yuejuan-jobs"), (self._webhooks, "yuejuan-webhooks")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def wake(self) -> None:
        """A job was queued: look for work now rather than at the next poll."""
        self._work.set()

    def stop(self) -> None:
        self._stop.set()
        self._work.set()
        self._hooks.set()
        for thread in self._threads:
            thread.join(timeout=30)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        # A graceful stop hands its chunks back at once: another server need not wait for the leases
        # to expire. Nothing of them was committed (commits happen on the loop thread, now stopped).
        try:
            released = store.release_leases(self.db, is_dead=lambda owner: owner == self.owner)
        except DATABASE_UNAVAILABLE:
            log.warning("database unavailable: chunks being graded are freed when their leases run out")
            return
        if released:
            log.info("released %d chunk(s) being graded; they will be graded again", released)

    def _new_pool(self) -> ProcessPoolExecutor:
        rubrics, limit = str(self.settings.rubrics_dir), self.settings.max_answer_chars
        if self.registry is not None and "fork" in multiprocessing.get_all_start_methods():
            # fork shares the rubrics already compiled here: workers are ready at once instead of
            # each importing and compiling for seconds. The first pool is forked from start(),
            # before this runner's threads exist.
            init_worker(rubrics, limit, self.registry)
            return ProcessPoolExecutor(
                max_workers=self.settings.workers(),
                mp_context=multiprocessing.get_context("fork"),
                initializer=exit_with_parent,
            )
        return ProcessPoolExecutor(
            max_workers=self.settings.workers(),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=init_worker,
            initargs=(rubrics, limit),
        )

    def _loop(self) -> None:
        inflight: dict[Future[list[Outcome]], store.ClaimedChunk] = {}
        since_release = 0.0
        # After an error, chunks may be leased to this runner without being graded here: a claim that
        # committed while its connection dropped, or chunks claimed but never handed to the pool. Nobody
        # else may take them until their leases run out, so they are freed first, as soon as the
        # database answers again.
        unattended = False
        while not self._stop.is_set():
            try:
                self._retention.run_if_due()
                if unattended:
                    grading = [chunk.id for chunk in inflight.values()]
                    freed = store.release_unattended(self.db, owner=self.owner, grading=grading)
                    unattended = False
                    if freed:
                        log.warning("freed %d chunk(s) leased to this runner but not being graded", freed)
                capacity = 2 * self.settings.workers() - len(inflight)
                if capacity > 0:
                    for chunk in store.claim_chunks(
                        self.db, owner=self.owner, limit=capacity, lease_seconds=self.settings.job_lease_seconds
                    ):
                        if self._pool is None:
                            self._pool = self._new_pool()
                        future = self._pool.submit(
                            grade_chunk, chunk.rubric_id, chunk.rubric_version, chunk.items, chunk.fingerprint
                        )
                        inflight[future] = chunk
                if inflight:
                    finished, _ = wait(list(inflight), timeout=1.0, return_when=FIRST_COMPLETED)
                    for future in finished:
                        self._settle(future, inflight[future])
                        # Only once settled: a chunk whose commit failed (the database away for a moment)
                        # stays in flight, graded, and is committed at the next turn. Dropped, it would
                        # stay leased to this live runner, untouched, until its lease ran out.
                        del inflight[future]
                else:
                    self._work.wait(timeout=1.0)
                    self._work.clear()
                    since_release += 1.0
                    if since_release >= _RELEASE_EVERY:
                        since_release = 0.0
                        store.release_leases(self.db, is_dead=is_dead_here)
            except BrokenProcessPool:
                log.error("a grading process died; restarting the pool and grading its chunks again")
                # Its chunks, and any claimed at this turn but not yet handed to the pool, are freed at the
                # next turn: in this handler a database error would end the thread, and every job with it.
                inflight.clear()
                self._pool = None
                unattended = True
            except DATABASE_UNAVAILABLE as error:
                # Every second while the database is away: one line each, not a traceback.
                log.warning("job runner: database unavailable (%s); retrying", str(error).splitlines()[0])
                unattended = True
                self._stop.wait(1.0)
            except Exception:
                log.exception("job runner error; retrying")
                unattended = True
                self._stop.wait(1.0)

    def _settle(self, future: Future[list[Outcome]], chunk: store.ClaimedChunk) -> None:
        try:
            outcomes = future.result()
        except ChunkFailed as failure:
            store.fail_job(self.db, job_id=chunk.job_id, code=failure.code, message=failure.message)
            self._hooks.set()
            return
        except BrokenProcessPool:
            raise
        except Exception:
            log.exception("grading chunk %s of job %s failed", chunk.id, chunk.job_id)
            store.release_chunk(self.db, chunk_id=chunk.id, owner=self.owner)
            return
        if not store.commit_chunk(self.db, chunk=chunk, owner=self.owner, outcomes=outcomes):
            log.info("chunk %s of job %s was no longer ours (cancelled or lease lost)", chunk.id, chunk.job_id)
        self._hooks.set()

    def _webhooks(self) -> None:
        while not self._stop.is_set():
            send_due(self.db, self.settings, should_stop=self._stop.is_set)
            self._hooks.wait(timeout=5.0)
            self._hooks.clear()
