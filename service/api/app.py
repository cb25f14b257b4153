"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..auth import RateLimiter, connect
from ..registry import RubricRegistry
from ..settings import Settings
from .errors import error_response, install_error_handlers
from .routers import check, grade, health, keys, page, rubrics

__all__ = ["create_app"]

DESCRIPTION = """Rule-based grading of Chinese essay and short-answer questions against a rubric,
with itemized feedback in Simplified Chinese. Errors are JSON: `{"error": {"code", "message"}}`.

Grading needs an API key with role `grader` or `admin` (`Authorization: Bearer yj_…`; create one with
`yuejuan keys create --role grader`). The self-check (`/v1/check`) is open to students unless the deployment
requires a student key. Rate-limited endpoints answer 429 with `Retry-After`."""


class BodySizeLimit:
    """Refuse request bodies over the configured size: at once when Content-Length says so,
    else (a chunked upload) as soon as the bytes received pass the limit, before they pile up."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    def _message(self) -> str:
        return f"请求体超过上限 {self.limit} 字节。"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await error_response(413, "payload_too_large", self._message())(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    # FastAPI lets an HTTPException from reading the body through; our handler words it.
                    raise StarletteHTTPException(413, self._message())
            return message

        await self.app(scope, limited_receive, send)


class NoSniff(BaseHTTPMiddleware):
    """Browsers must take every response for the type it says it is."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response


def create_app(
    settings: Settings | None = None, registry: RubricRegistry | None = None, key_engine: Engine | None = None
) -> FastAPI:
    """Build the app; rubrics are loaded and compiled here, once, and the key database is opened."""
    settings = settings or Settings()
    app = FastAPI(title="Yuejuan 阅卷", version=__version__, description=DESCRIPTION)
    app.state.settings = settings
    app.state.registry = registry or RubricRegistry.from_dir(settings.rubrics_dir)
    app.state.key_engine = key_engine or connect(settings.database_url)
    app.state.limiters = {
        "check": RateLimiter(settings.rate_limit_check),
        "grade": RateLimiter(settings.rate_limit_grade),
    }
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes)
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
    app.include_router(page.router)
    app.mount("/static", StaticFiles(directory=page.WEB_DIR), name="static")
    return app
