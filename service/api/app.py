"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from .. import __version__
from ..registry import RubricRegistry
from ..settings import Settings
from ..storage import Database
from .errors import error_response, install_error_handlers
from .routers import grade, health, jobs, rubrics

__all__ = ["create_app"]

DESCRIPTION = """Rule-based grading of Chinese essay and short-answer questions against a rubric,
with itemized feedback in Simplified Chinese. Errors are JSON: `{"error": {"code", "message"}}`."""


class BodySizeLimit(BaseHTTPMiddleware):
    """Refuse request bodies over the configured size before reading them.

    Batch jobs carry a whole sitting, so ``/v1/jobs`` has its own, larger limit.
    """

    def __init__(self, app: object, limit: int, job_limit: int | None = None) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.limit = limit
        self.job_limit = job_limit or limit

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        limit = self.job_limit if request.url.path.rstrip("/") == "/v1/jobs" else self.limit
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            return error_response(413, "payload_too_large", f"请求体超过上限 {limit} 字节。")
        return await call_next(request)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the job store (applying migrations) and start the job runner."""
    from ..jobs import JobRunner

    settings: Settings = app.state.settings
    database = Database(settings.database_url)
    database.upgrade()
    app.state.database = database
    runner = JobRunner(database, settings, app.state.registry) if settings.run_jobs else None
    app.state.runner = runner
    if runner is not None:
        runner.start()
    try:
        yield
    finally:
        if runner is not None:
            runner.stop()
        database.dispose()


def create_app(settings: Settings | None = None, registry: RubricRegistry | None = None) -> FastAPI:
    """Build the app; rubrics are loaded and compiled here, once."""
    settings = settings or Settings()
    app = FastAPI(title="Yuejuan 阅卷", version=__version__, description=DESCRIPTION, lifespan=_lifespan)
    app.state.settings = settings
    app.state.registry = registry or RubricRegistry.from_dir(settings.rubrics_dir)
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes, job_limit=settings.max_job_body_bytes)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(rubrics.router)
    app.include_router(grade.router)
    app.include_router(jobs.router)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = jobs.add_request_schemas(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
