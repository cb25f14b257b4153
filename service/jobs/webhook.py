"""Job-end notifications: a signed POST to the job's ``callback_url``, retried with backoff.

The body is JSON; the header ``X-Yuejuan-Signature: sha256=<hex>`` is HMAC-SHA256 of the raw
body under ``YUEJUAN_WEBHOOK_SECRET``. Callback hosts must be on ``YUEJUAN_WEBHOOK_ALLOWED_HOSTS``
so the service cannot be made to call arbitrary (internal) addresses.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..errors import CallbackNotAllowedError
from ..settings import Settings
from ..storage import DATABASE_UNAVAILABLE, Database, Job
from . import store

__all__ = ["SIGNATURE_HEADER", "check_callback_url", "deliver", "send_due", "sign", "summary"]

log = logging.getLogger("yuejuan.jobs")

SIGNATURE_HEADER = "X-Yuejuan-Signature"


def sign(secret: str, body: bytes) -> str:
    """The signature header value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _host_allowed(host: str, allowed: list[str]) -> bool:
    host = host.lower().rstrip(".")
    for pattern in allowed:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and host != pattern[2:]:
                return True
        elif host == pattern:
            return True
    return False


def check_callback_url(url: str, settings: Settings) -> str:
    """Validate a callback URL against the allow-list; returns it unchanged."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CallbackNotAllowedError(f"回调地址 {url!r} 无效:须为 http 或 https 地址。")
    if parts.username or parts.password:
        raise CallbackNotAllowedError("回调地址不得包含用户名或密码。")
    if not settings.webhook_secret:
        raise CallbackNotAllowedError("服务未配置回调签名密钥(YUEJUAN_WEBHOOK_SECRET),不能使用回调。")
    if not _host_allowed(parts.hostname, settings.allowed_webhook_hosts()):
        raise CallbackNotAllowedError(
            f"回调主机 {parts.hostname} 不在允许列表中(YUEJUAN_WEBHOOK_ALLOWED_HOSTS),请联系管理员。"
        )
    return url


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def summary(job: Job) -> dict[str, Any]:
    """What the webhook tells: the job's final state and counts."""
    return {
        "event": "job.finished",
        "job_id": job.id,
        "rubric_id": job.rubric_id,
        "rubric_version": job.rubric_version,
        "status": job.status,
        "total": job.total,
        "done": job.done,
        "errors": job.errors,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "error": {"code": job.error_code, "message": job.error_message} if job.error_code else None,
        "results_url": f"/v1/jobs/{job.id}/results",
        "report_url": f"/v1/jobs/{job.id}/report",
    }


def deliver(
    job: Job, settings: Settings, *, should_stop: Callable[[], bool] = lambda: False
) -> tuple[str, int, str | None]:
    """POST the summary until a 2xx answer or the attempts run out; returns (status, attempts, last error)."""
    assert job.callback_url
    try:
        check_callback_url(job.callback_url, settings)  # the allow-list may have changed since
    except CallbackNotAllowedError as refused:
        return "failed", 0, str(refused)
    body = json.dumps(summary(job), ensure_ascii=False, sort_keys=True).encode()
    headers = {
        "content-type": "application/json",
        SIGNATURE_HEADER: sign(settings.webhook_secret, body),
        "X-Yuejuan-Job": job.id,
        "user-agent": "yuejuan-webhook",
    }
    error: str | None = None
    attempt = 0
    with httpx.Client(timeout=10, follow_redirects=False) as client:
        for attempt in range(1, settings.webhook_attempts + 1):
            try:
                response = client.post(job.callback_url, content=body, headers=headers)
                if 200 <= response.status_code < 300:
                    return "delivered", attempt, None
                error = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            if attempt < settings.webhook_attempts:
                deadline = time.monotonic() + settings.webhook_backoff_seconds * 2 ** (attempt - 1)
                while time.monotonic() < deadline:
                    if should_stop():
                        return "pending", attempt, error
                    time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
    return "failed", attempt, error


def send_due(db: Database, settings: Settings, *, should_stop: Callable[[], bool] = lambda: False) -> None:
    """Send every webhook that is due, each by one process only (several may share the database)."""
    # Long enough for every attempt and backoff; a sender that dies is replaced after it.
    lease = settings.webhook_attempts * 15 + settings.webhook_backoff_seconds * 2**settings.webhook_attempts + 60
    try:
        for job in store.webhooks_due(db):
            if should_stop():
                return
            if not store.claim_webhook(db, job_id=job.id, lease_seconds=lease):
                continue
            status, attempts, error = deliver(job, settings, should_stop=should_stop)
            store.set_webhook_state(db, job_id=job.id, status=status, attempts=attempts, error=error)
            if status == "failed":
                log.warning("webhook of job %s failed after %d attempt(s): %s", job.id, attempts, error)
    except DATABASE_UNAVAILABLE as error:
        # The database away for a moment: one line, as the job runner says it, not a traceback.
        log.warning("webhook sender: database unavailable (%s); retrying", str(error).splitlines()[0])
    except Exception:
        log.exception("webhook delivery error; retrying")
