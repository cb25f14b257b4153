"""Retention: finished jobs older than ``YUEJUAN_JOB_RETENTION_DAYS`` lose their data by themselves.

Candidates' answers are personal data, kept no longer than the exam board needs them. With the
setting on (0, the default, keeps every job), the job runner of embedded mode and the sweep of
distributed mode call :meth:`Retention.run_if_due`: at once when they start, then every
``INTERVAL_SECONDS``. Each job purged is logged on a line of its own (INFO, logger ``yuejuan.jobs``).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from ..settings import Settings
from ..storage import Database, utcnow
from . import store

__all__ = ["INTERVAL_SECONDS", "Retention"]

log = logging.getLogger("yuejuan.jobs")
# Days are the unit of the setting: looking a few times an hour is more than enough.
INTERVAL_SECONDS = 600.0


class Retention:
    """Purges expired jobs when due; not thread-safe (one caller per instance)."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.days = settings.job_retention_days
        self._next = 0.0  # monotonic time of the next pass: the first call runs one

    def run_if_due(self) -> int:
        """Purge the jobs that finished more than the retention period ago, if the setting is on and a
        pass is due; returns how many were purged. Database errors reach the caller, which retries."""
        if not self.days or time.monotonic() < self._next:
            return 0
        cutoff = utcnow() - timedelta(days=self.days)
        purged = 0
        while batch := store.purge_finished(self.db, finished_before=cutoff):
            for job in batch:
                finished = job.finished_at.isoformat(timespec="seconds") if job.finished_at else "?"
                # In Chinese, as the administrators who audit deletions read it; the job id stays greppable.
                log.info(
                    "保留期限:已删除作业 %s 的数据(状态 %s,结束于 %s,%d 份作答;结束超过 %d 天)",
                    job.id, job.status, finished, job.submissions, self.days,
                )  # fmt: skip
            purged += len(batch)
        self._next = time.monotonic() + INTERVAL_SECONDS
        return purged
