"""Prometheus metrics: requests and latencies by route template and status, grades per rubric,
and the job queue read from the database when scraped.

With several server processes (``yuejuan serve --workers N``) ``PROMETHEUS_MULTIPROC_DIR`` is set
before any of them starts, each process writes its counters there, and a scrape of any process
adds them all up.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from .. import __version__
from ..registry import RubricRegistry
from ..storage import Database, Job
from .probe import BoundedCall

__all__ = [
    "CONTENT_TYPE",
    "GRADES",
    "IN_PROGRESS",
    "REQUESTS",
    "REQUEST_SECONDS",
    "mark_process_dead",
    "render",
]

CONTENT_TYPE = CONTENT_TYPE_LATEST
MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR" in os.environ
disable_created_metrics()  # type: ignore[no-untyped-call]  # the `_created` series only double what a scrape shows

REQUESTS = Counter("yuejuan_http_requests", "HTTP requests answered.", ["method", "route", "status"])
REQUEST_SECONDS = Histogram(
    "yuejuan_http_request_duration_seconds",
    "Time from the request's arrival to the end of the response.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
IN_PROGRESS = Gauge("yuejuan_http_requests_in_progress", "Requests being handled now.", multiprocess_mode="livesum")
GRADES = Counter("yuejuan_grades", "Answers graded over HTTP, by rubric and endpoint.", ["rubric_id", "endpoint"])


# A scrape that waited for a database that does not answer would time out, and with it every
# request metric, just when they matter: the job figures are left out instead.
_DATABASE_WAIT_SECONDS = 3.0
_JobFigures = tuple[dict[str, int], list[tuple[str, int]], int | None]
_read_jobs: BoundedCall[_JobFigures] = BoundedCall("yuejuan-metrics", _DATABASE_WAIT_SECONDS)


def _job_figures(database: Database) -> _JobFigures:
    with database.session() as s:
        counts = dict(s.execute(select(Job.status, func.count()).group_by(Job.status)).tuples().all())
        graded = list(s.execute(select(Job.rubric_id, func.sum(Job.done)).group_by(Job.rubric_id)).tuples().all())
        waiting = s.scalar(
            select(func.coalesce(func.sum(Job.total - Job.done), 0)).where(Job.status.in_(("queued", "running")))
        )
    return counts, graded, waiting


class _StateCollector(Collector):
    """What is read at scrape time: loaded rubrics and the job queue in the database (``figures``,
    None when the database did not answer; ``database`` False before it is open)."""

    def __init__(self, registry: RubricRegistry, database: bool, figures: _JobFigures | None) -> None:
        self.registry = registry
        self.database = database
        self.figures = figures

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily("yuejuan_build_info", "Version of the service.", labels=["version"])
        info.add_metric([__version__], 1)
        yield info
        rubrics = GaugeMetricFamily("yuejuan_rubrics_loaded", "Rubrics this process grades against.")
        rubrics.add_metric([], len(self.registry.ids()))
        yield rubrics
        if not self.database:
            return
        up = GaugeMetricFamily("yuejuan_database_up", "1 when the job database answered this scrape in time, else 0.")
        up.add_metric([], 0 if self.figures is None else 1)
        yield up
        if self.figures is None:
            return
        counts, graded, waiting = self.figures
        jobs = GaugeMetricFamily("yuejuan_jobs", "Batch jobs by status.", labels=["status"])
        for status in ("queued", "running", "done", "failed", "cancelled"):
            jobs.add_metric([status], counts.get(status, 0))
        yield jobs
        job_grades = GaugeMetricFamily(
            "yuejuan_job_submissions_graded",
            "Submissions graded in batch jobs, by rubric (all servers).",
            labels=["rubric_id"],
        )
        for rubric_id, done in graded:
            job_grades.add_metric([rubric_id], float(done or 0))
        yield job_grades
        depth = GaugeMetricFamily(
            "yuejuan_job_queue_depth", "Submissions of queued and running jobs not graded yet (all servers)."
        )
        depth.add_metric([], float(waiting or 0))
        yield depth


def _registries(state: Collector) -> Iterable[CollectorRegistry]:
    own = CollectorRegistry(auto_describe=False)
    if MULTIPROCESS:
        _multiprocess.MultiProcessCollector(own)  # type: ignore[no-untyped-call]
    else:
        from prometheus_client import REGISTRY

        yield REGISTRY
    own.register(state)
    yield own


async def render(registry: RubricRegistry, database: Database | None) -> bytes:
    """The text exposition of every metric, summed over the server's processes."""
    figures = None
    if database is not None:
        with contextlib.suppress(TimeoutError, SQLAlchemyError):
            figures = await _read_jobs(lambda: _job_figures(database))
    state = _StateCollector(registry, database is not None, figures)
    return b"".join(generate_latest(r) for r in _registries(state))


def mark_process_dead() -> None:
    """A stopping worker process withdraws its live gauges (requests in progress)."""
    if MULTIPROCESS:
        _multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
