"""Distributed mode's sweep: every chunk that needs a broker message gets one.

It runs in each API process (which also sends the job-end webhooks) and in each worker's main
process, so jobs go on while either kind is down. In each sweep it frees the leases of dead
holders (on this host at once, elsewhere when the lease runs out), sends a message for every
free chunk that has none (new jobs, freed chunks, messages the broker refused), and, when the
queue is empty, for chunks whose message went long ago and was never taken (lost with a worker
that held it). Several dispatchers share the work; a message sent twice costs a look, not a
second result. The sweep also purges the jobs the retention setting has expired.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from celery import Celery
from kombu.exceptions import OperationalError

from ..settings import Settings
from ..storage import Database, utcnow
from . import store
from .owners import is_dead_here
from .queue import queued_messages, send_chunks
from .retention import Retention
from .webhook import send_due

__all__ = ["Dispatcher"]

log = logging.getLogger("yuejuan.jobs")
_BATCH = 500


class Dispatcher:
    """Sends job chunks to the broker in the background; ``start()`` once, ``stop()`` on shutdown."""

    def __init__(self, db: Database, settings: Settings, app: Celery, *, webhooks: bool = True) -> None:
        self.db = db
        self.settings = settings
        self.app = app
        self.webhooks = webhooks
        self._stop = threading.Event()
        self._work = threading.Event()
        self._threads: list[threading.Thread] = []
        self._retention = Retention(db, settings)

    def start(self) -> None:
        targets = [(self._loop, "yuejuan-dispatch")]
        if self.webhooks:
            targets.append((self._send_webhooks, "yuejuan-webhooks"))
        for target, name in targets:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def wake(self) -> None:
        """A job was queued: send its chunks now rather than at the next sweep."""
        self._work.set()

    def stop(self) -> None:
        self._stop.set()
        self._work.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads.clear()

    def _send(self, chunk_ids: list[int]) -> bool:
        unsent = send_chunks(self.app, self.settings.job_queue, chunk_ids)
        if unsent:
            store.unmark_enqueued(self.db, chunk_ids=unsent)
            log.warning("broker unreachable: %d chunk(s) will be sent at the next sweep", len(unsent))
        return not unsent

    def sweep(self) -> int:
        """One pass; returns how many messages were sent. Jobs past the retention period are purged
        first: the messages of their chunks, if any are left, find nothing to grade."""
        self._retention.run_if_due()
        freed = store.release_leases(self.db, is_dead=is_dead_here) + store.expire_leases(self.db)
        if freed:
            log.warning("%d chunk(s) held by a stopped worker are sent again", freed)
        sent = 0
        while not self._stop.is_set() and (ids := store.mark_enqueued(self.db, limit=_BATCH)):
            if not self._send(ids):
                return sent
            sent += len(ids)
        if queued_messages(self.app, self.settings.job_queue) == 0:
            stale = utcnow() - timedelta(seconds=self.settings.worker_lease_seconds)
            if ids := store.mark_enqueued(self.db, limit=_BATCH, sent_before=stale):
                log.warning("%d chunk(s) whose message was lost are sent again", len(ids))
                if self._send(ids):
                    sent += len(ids)
        return sent

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.sweep()
            except OperationalError as error:
                log.warning("broker unreachable (%s); retrying at the next sweep", error)
            except Exception:
                log.exception("dispatch error; retrying at the next sweep")
            self._work.wait(timeout=self.settings.sweep_seconds)
            self._work.clear()

    def _send_webhooks(self) -> None:
        while not self._stop.is_set():
            send_due(self.db, self.settings, should_stop=self._stop.is_set)
            self._stop.wait(timeout=5.0)
