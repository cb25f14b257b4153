"""Every error leaves the API as ``{"error": {"code", "message", "details"?}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from ..auth.errors import AccessError, UnknownKeyError
from ..errors import (
    AnswerTooLongError,
    CallbackNotAllowedError,
    IdempotencyConflictError,
    InvalidJobInputError,
    JobPurgedError,
    JobStateError,
    RubricError,
    TooManySubmissionsError,
    UnknownJobError,
    UnknownRubricError,
    YuejuanError,
)
from ..storage import DATABASE_UNAVAILABLE
from ..validation import chinese_message
from .schemas import ErrorBody, ErrorDetail, ErrorResponse

__all__ = [
    "AUTH_RESPONSES",
    "CHECK_RESPONSES",
    "ERROR_RESPONSES",
    "KEY_RESPONSES",
    "RETRY_AFTER_SECONDS",
    "document_errors",
    "error_response",
    "install_error_handlers",
]

log = logging.getLogger("yuejuan.api")

_STATUS: dict[type[YuejuanError], int] = {
    UnknownRubricError: 404,
    UnknownKeyError: 404,
    AnswerTooLongError: 413,
    RubricError: 422,
    UnknownJobError: 404,
    JobPurgedError: 410,
    InvalidJobInputError: 422,
    CallbackNotAllowedError: 422,
    TooManySubmissionsError: 413,
    JobStateError: 409,
    IdempotencyConflictError: 409,
}
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type"}
# Starlette words these in English; whoever reads our errors reads Chinese.
_HTTP_MESSAGES = {404: "找不到请求的地址。", 405: "该地址不支持此请求方法。"}
_UNREADABLE_BODY = "请求体无法解析:须为 UTF-8 编码的 JSON,或格式正确的表单上传。"

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorResponse, "description": "Unknown rubric."},
    413: {"model": ErrorResponse, "description": "Answer or request body too large."},
    422: {"model": ErrorResponse, "description": "Malformed request body."},
}
# FastAPI documents a 422 of its own (HTTPValidationError, `{"detail": [...]}`) on every route with
# parameters or a body; our handler below answers those with ErrorResponse like every other error.
_INVALID_PARAMETERS = "Invalid path or query parameters (`details` lists every problem)."
_RATE_LIMITED: dict[str, object] = {
    "model": ErrorResponse,
    "description": "Too many requests; the `Retry-After` header says how many seconds to wait.",
    "headers": {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}},
}
# The database did not answer (DATABASE_UNAVAILABLE), or the server stopped before it finished the
# request (the middleware's `shutting_down`): the request may be sent again.
RETRY_AFTER_SECONDS = 5
_UNAVAILABLE: dict[str, object] = {
    "model": ErrorResponse,
    "description": "The database is unavailable (`database_unavailable`), or the server is stopping and cut the "
    "request off (`shutting_down`); retry after `Retry-After` seconds.",
    "headers": {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}},
}
# Routes that need a key but are not rate-limited (rubric details, keys, jobs). Keys are looked up in
# the database, so each of them may find it unavailable.
KEY_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorResponse, "description": "Missing, unknown or revoked API key."},
    403: {"model": ErrorResponse, "description": "The key's role may not do this."},
    503: _UNAVAILABLE,
}
AUTH_RESPONSES: dict[int | str, dict[str, object]] = {**KEY_RESPONSES, 429: _RATE_LIMITED}
CHECK_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {
        "model": ErrorResponse,
        "description": "Bad key, no key where the deployment requires a student key, or a forged or expired "
        "`X-Visitor-Token` (`invalid_visitor_token`).",
    },
    429: _RATE_LIMITED,
    503: _UNAVAILABLE,
}


def document_errors(spec: dict[str, Any]) -> dict[str, Any]:
    """Make the spec say what the server sends: every 422 that FastAPI documented as its own
    ``HTTPValidationError`` becomes our ErrorResponse, and FastAPI's schemas go."""
    fastapi_ref = "#/components/schemas/HTTPValidationError"
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            response = operation.get("responses", {}).get("422")
            if (
                response
                and response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref") == fastapi_ref
            ):
                # A fresh dict each time: shared ones would come out as YAML anchors.
                ours = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
                response.update(description=_INVALID_PARAMETERS, content=ours)
    schemas = spec.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return spec


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[ErrorDetail] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(code=code, message=message, details=details))
    return JSONResponse(status_code=status, content=body.model_dump(exclude_none=True), headers=headers)


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    path = request.scope.get("path", "")
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods and route.path_regex.match(path):
            methods |= route.methods
    return ", ".join(sorted(methods))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AccessError)
    async def _access(request: Request, exc: AccessError) -> JSONResponse:
        return error_response(exc.status, exc.code, str(exc), headers=exc.headers())

    @app.exception_handler(YuejuanError)
    async def _yuejuan(request: Request, exc: YuejuanError) -> JSONResponse:
        return error_response(_STATUS.get(type(exc), 400), exc.code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            ErrorDetail(
                loc=[p for p in err.get("loc", ()) if isinstance(p, str | int)],
                message=chinese_message(err),
                type=str(err["type"]) if err.get("type") else None,
            )
            for err in exc.errors()
        ]
        return error_response(422, "invalid_request", "请求内容格式不正确。", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI and Starlette say 400 for a body they cannot decode (bad UTF-8, a broken
            # multipart form); to the caller that is a malformed request like any other.
            return error_response(422, "invalid_request", _UNREADABLE_BODY)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = _HTTP_MESSAGES.get(exc.status_code, str(exc.detail))
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
        return error_response(exc.status_code, code, message, headers=headers or None)

    async def _database_down(request: Request, exc: Exception) -> JSONResponse:
        # One line: the database's own first line says what failed (its values are hidden, see Database).
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, reason)
        message = "数据库暂时无法访问,请稍后重试。"
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return error_response(503, "database_unavailable", message, headers=headers)

    for kind in DATABASE_UNAVAILABLE:
        app.add_exception_handler(kind, _database_down)

    # Any other error is logged and answered 500 by RequestContext (middleware.py), with the request id.
