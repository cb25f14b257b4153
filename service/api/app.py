"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from .. import __version__
from ..registry import RubricRegistry
from ..settings import Settings
from .errors import error_response, install_error_handlers
from .routers import grade, health, rubrics

__all__ = ["create_app"]

DESCRIPTION = """Rule-based grading of Chinese essay and short-answer questions against a rubric,
with itemized feedback in Simplified Chinese. Errors are JSON: `{"error": {"code", "message"}}`."""


class BodySizeLimit(BaseHTTPMiddleware):
    """Refuse request bodies over the configured size before reading them."""

    def __init__(self, app: object, limit: int) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.limit = limit

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            return error_response(413, "payload_too_large", f"请求体超过上限 {self.limit} 字节。")
        return await call_next(request)


def create_app(settings: Settings | None = None, registry: RubricRegistry | None = None) -> FastAPI:
    """Build the app; rubrics are loaded and compiled here, once."""
    settings = settings or Settings()
    app = FastAPI(title="Yuejuan 阅卷", version=__version__, description=DESCRIPTION)
    app.state.settings = settings
    app.state.registry = registry or RubricRegistry.from_dir(settings.rubrics_dir)
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(rubrics.router)
    app.include_router(grade.router)
    return app
