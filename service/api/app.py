"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..auth import RateLimiter, connect
from ..auth.deps import GraderDep
from ..registry import RubricRegistry
from ..settings import Settings
from ..storage import Database
from .errors import error_response, install_error_handlers
from .routers import check, grade, health, jobs, keys, page, rubrics

__all__ = ["create_app"]

DESCRIPTION = """Rule-based grading of Chinese essay and short-answer questions against a rubric,
with itemized feedback in Simplified Chinese. Errors are JSON: `{"error": {"code", "message"}}`.

Grading needs an API key with role `grader` or `admin` (`Authorization: Bearer yj_…`; create one with
`yuejuan keys create --role grader`). The self-check (`/v1/check`) is open to students unless the deployment
requires a student key. Rate-limited endpoints answer 429 with `Retry-After`."""


class BodySizeLimit:
    """Refuse request bodies over the configured size: at once when Content-Length says so,
    else (a chunked upload) as soon as the bytes received pass the limit, before they pile up."""

    def __init__(self, app: ASGIApp, limit: int, job_limit: int | None = None) -> None:
        self.app = app
        self.limit = limit
        # Batch jobs carry a whole sitting, so /v1/jobs has its own, larger limit.
        self.job_limit = job_limit or limit

    @staticmethod
    def _message(limit: int) -> str:
        return f"请求体超过上限 {limit} 字节。"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.job_limit if str(scope.get("path", "")).rstrip("/") == "/v1/jobs" else self.limit
        length = Headers(scope=scope).get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await error_response(413, "payload_too_large", self._message(limit))(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI lets an HTTPException from reading the body through; our handler words it.
                    raise StarletteHTTPException(413, self._message(limit))
            return message

        await self.app(scope, limited_receive, send)


class NoSniff(BaseHTTPMiddleware):
    """Browsers must take every response for the type it says it is."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the job store (applying migrations) and start the job runner, or in distributed mode
    the dispatcher that sends job chunks to the broker for `yuejuan worker` processes."""
    from ..jobs import Dispatcher, JobRunner, celery_app

    settings: Settings = app.state.settings
    database = Database(settings.database_url)
    database.upgrade()
    app.state.database = database
    runner: JobRunner | Dispatcher | None = None
    if settings.distributed:
        runner = Dispatcher(database, settings, celery_app(settings))
    elif settings.run_jobs:
        runner = JobRunner(database, settings, app.state.registry)
    app.state.runner = runner
    if runner is not None:
        runner.start()
    try:
        yield
    finally:
        if runner is not None:
            runner.stop()
        database.dispose()


def _needs_grader(caller: GraderDep) -> None:
    """Batch jobs are for graders and admins, like grading itself."""


def create_app(
    settings: Settings | None = None, registry: RubricRegistry | None = None, key_engine: Engine | None = None
) -> FastAPI:
    """Build the app; rubrics are loaded and compiled here, once, and the key database is opened."""
    settings = settings or Settings()
    app = FastAPI(title="Yuejuan 阅卷", version=__version__, description=DESCRIPTION, lifespan=_lifespan)
    app.state.settings = settings
    app.state.registry = registry or RubricRegistry.from_dir(settings.rubrics_dir)
    app.state.key_engine = key_engine or connect(settings.database_url)
    app.state.limiters = {
        "check": RateLimiter(settings.rate_limit_check),
        "grade": RateLimiter(settings.rate_limit_grade),
    }
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes, job_limit=settings.max_job_body_bytes)
    app.add_middleware(NoSniff)
    if settings.cors_origins:
        # Outermost, so that even refusals (401, 413, 429) carry the CORS headers the LMS page needs to read them.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Retry-After"],
            max_age=600,
        )
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
            app.openapi_schema = jobs.add_request_schemas(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
