"""ASGI middleware of the app: request context (id, access log, metrics, headers) and body size limit.

Plain ASGI rather than Starlette's BaseHTTPMiddleware: these run on every request, and a plain
callable costs a few microseconds where BaseHTTPMiddleware costs a task and a stream per request.
"""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import metrics
from .errors import RETRY_AFTER_SECONDS, error_response
from .logs import new_request_id, request_id, valid_request_id

__all__ = ["BodySizeLimit", "RequestContext"]

access_log = logging.getLogger("yuejuan.access")
log = logging.getLogger("yuejuan.api")
# Probes come every few seconds from every load balancer and scraper: logged only when they fail.
_QUIET = frozenset({"/healthz", "/readyz", "/metrics"})


# Methods a metric label may name; the HTTP parser takes some thirty more (PROPFIND, PURGE, …), each of
# which a scanner would turn into series of its own on every route.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _route(scope: Scope) -> str:
    """The route template (``/v1/jobs/{job_id}``), never the raw path: one label per route, not per URL.
    A mounted app (the page's static files) is ``/static/{path}``; a path no route matched, ``unmatched``."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    mount = str(scope.get("root_path", ""))[len(str(scope.get("app_root_path", ""))) :]
    if mount and scope.get("endpoint") is not None:
        return f"{mount}/{{path}}"
    return "unmatched"


class RequestContext:
    """Per request: take or make the request id, return it as ``X-Request-ID`` (with ``nosniff``),
    count and time the request by route template and status, and write one access log line.

    A request that uvicorn cancels because its graceful shutdown ran out of time is answered 503
    ``shutting_down``. An error no handler took is logged here, once, with the request id, and answered 500
    ``internal_error`` with the id in its header. Let through, Starlette's ServerErrorMiddleware
    would answer it outside this middleware (no id in the header) and raise it again for uvicorn
    to log a second time."""

    def __init__(self, app: ASGIApp, access_log: bool = True) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = valid_request_id(Headers(scope=scope).get("x-request-id")) or new_request_id()
        # Each request runs in a task of its own, so the id stays with it (and its threads) only.
        request_id.set(rid)
        start = time.perf_counter()
        status = 500

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = rid
                headers.setdefault("X-Content-Type-Options", "nosniff")  # browsers take each type as stated
            await send(message)

        metrics.IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, send_with_headers)
        except asyncio.CancelledError:
            # uvicorn cancels what is still running when its graceful shutdown runs out of time
            # (YUEJUAN_SHUTDOWN_TIMEOUT_SECONDS): say so, rather than let it answer a bare 500.
            log.warning("%s %s cut off: the server is stopping", scope["method"], scope["path"])
            if not started:
                message = "服务正在停止,这次请求未能完成,请稍后重新提交。"
                retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
                response = error_response(503, "shutting_down", message, headers=retry)
                await response(scope, receive, send_with_headers)
        except Exception:
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if started:
                # Part of the response is sent: returning leaves it incomplete, and uvicorn closes the
                # connection (saying so in one line), so the client sees it cut rather than whole.
                return
            response = error_response(500, "internal_error", "服务内部错误,请稍后重试。")
            await response(scope, receive, send_with_headers)
        finally:
            metrics.IN_PROGRESS.dec()
            seconds = time.perf_counter() - start
            route, method = _route(scope), scope["method"]
            label = method if method in _METHODS else "other"
            metrics.REQUESTS.labels(label, route, str(status)).inc()
            metrics.REQUEST_SECONDS.labels(label, route).observe(seconds)
            if self.access_log and (status >= 400 or scope["path"] not in _QUIET):
                state = scope.get("state") or {}
                client = scope.get("client")
                access_log.info(
                    "%s %s %d",
                    method,
                    scope["path"],
                    status,
                    extra={
                        "method": method,
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 2),
                        "client": client[0] if client else None,
                        "key_id": state.get("key_id"),
                    },
                )


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
