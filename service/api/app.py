"""The FastAPI application factory."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from .. import __version__
from ..auth import RateLimiter, SharedBuckets, SharedRateLimiter, connect, load_visitor_secret
from ..auth.deps import VISITOR_TOKEN_HEADER, GraderDep
from ..registry import RubricRegistry, settle_heap
from ..settings import Settings
from ..storage import Database
from . import metrics
from .errors import document_errors, install_error_handlers
from .middleware import BodySizeLimit, RequestContext
from .routers import check, grade, health, jobs, keys, page, rubrics

__all__ = ["create_app"]

log = logging.getLogger("yuejuan.api")

DESCRIPTION = """Rule-based grading of Chinese essay and short-answer questions against a rubric,
with itemized feedback in Simplified Chinese. Errors are JSON: `{"error": {"code", "message"}}`.

Grading needs an API key with role `grader` or `admin` (`Authorization: Bearer yj_…`; create one with
`yuejuan keys create --role grader`). The self-check (`/v1/check`) is open to students unless the deployment
requires a student key. Rate-limited endpoints answer 429 with `Retry-After`."""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the job store (applying migrations) and start the job runner, or in distributed mode
    the dispatcher that sends job chunks to the broker for `yuejuan worker` processes."""
    from ..jobs import Dispatcher, JobRunner, celery_app

    settings: Settings = app.state.settings
    database = Database(settings.database_url, connect_timeout=settings.database_connect_timeout_seconds)
    database.upgrade()
    app.state.database = database
    # Which database, for the operator to check at a glance (a mistyped path is a database of its own).
    log.info("database %s", database.location)
    runner: JobRunner | Dispatcher | None = None
    if settings.distributed:
        runner = Dispatcher(database, settings, celery_app(settings))
    elif settings.run_jobs:
        runner = JobRunner(database, settings, app.state.registry)
    app.state.runner = runner
    # Rubrics and the database are loaded: keep full garbage collections off them (the job runner's
    # forked grading processes inherit this).
    settle_heap()
    if runner is not None:
        runner.start()
    try:
        yield
    finally:
        # Uvicorn gets here on SIGTERM once the requests in flight are answered. Chunks still being
        # graded were never committed; their leases are freed when a server starts on this host
        # again (or expire for another), so the job resumes and every submission is stored once.
        try:
            if runner is not None:
                runner.stop()
        finally:
            database.dispose()
            metrics.mark_process_dead()
            gc.unfreeze()


async def _needs_grader(caller: GraderDep) -> None:
    """Batch jobs are for graders and admins, like grading itself."""


# The rate-limited resources: the names of app.state.limiters, and of the tables of a SharedBuckets.
LIMITED = ("check", "check_address", "visitor_token", "grade")


def create_app(
    settings: Settings | None = None,
    registry: RubricRegistry | None = None,
    key_engine: Engine | None = None,
    shared_buckets: SharedBuckets | None = None,
) -> FastAPI:
    """Build the app; rubrics are loaded and compiled here, once, and the key database is opened.
    ``shared_buckets`` (tables named as in ``LIMITED``): rate limits counted together with the other
    server processes that share them, not by this process alone."""
    settings = settings or Settings()
    app = FastAPI(title="Yuejuan 阅卷", version=__version__, description=DESCRIPTION, lifespan=_lifespan)
    app.state.settings = settings
    app.state.registry = registry or RubricRegistry.from_dir(settings.rubrics_dir)
    app.state.key_engine = key_engine or connect(
        settings.database_url, connect_timeout=settings.database_connect_timeout_seconds
    )
    # Read once here, never per request: a database that hangs must not hold the anonymous self-check.
    app.state.visitor_secret = settings.visitor_secret or load_visitor_secret(engine=app.state.key_engine)
    per_minute = {
        "check": settings.rate_limit_check,
        "check_address": settings.rate_limit_check_address,
        "visitor_token": settings.rate_limit_visitor_tokens,
        "grade": settings.rate_limit_grade,
    }
    limiters: dict[str, RateLimiter | SharedRateLimiter] = {
        name: shared_buckets.limiter(name, per_minute[name]) if shared_buckets else RateLimiter(per_minute[name])
        for name in LIMITED
    }
    app.state.limiters = limiters
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes, job_limit=settings.max_job_body_bytes)
    if settings.cors_origins:
        # Outside the body limit and the routes, so that even refusals (401, 413, 429) carry the CORS
        # headers the LMS page needs to read them.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID", VISITOR_TOKEN_HEADER],
            expose_headers=["Retry-After", "X-Request-ID"],
            max_age=600,
        )
    # Outermost of all: every response, refusals and preflights included, carries the request id and is counted.
    app.add_middleware(RequestContext, access_log=settings.access_log)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(rubrics.router)
    app.include_router(grade.router)
    app.include_router(check.router)
    app.include_router(keys.router)
    app.include_router(jobs.router, dependencies=[Depends(_needs_grader)])
    app.include_router(page.router)
    app.mount("/static", StaticFiles(directory=page.WEB_DIR), name="static")
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(jobs.add_request_schemas(generate()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
