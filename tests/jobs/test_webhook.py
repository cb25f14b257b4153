"""Webhooks: signed, retried against a real local receiver, and only to allow-listed hosts."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from collections.abc import Iterator

import pytest
from support import Receiver

from service.errors import CallbackNotAllowedError
from service.jobs import SIGNATURE_HEADER, check_callback_url
from service.jobs.webhook import deliver, send_due
from service.settings import Settings
from service.storage import Database, Job, utcnow


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(failures=2)
    yield r
    r.close()


SETTINGS = Settings(
    webhook_secret="s3cret", webhook_allowed_hosts="127.0.0.1, *.exam.example", webhook_backoff_seconds=0.01
)


def _job(url: str) -> Job:
    now = utcnow()
    return Job(
        id="j1", rubric_id="internal-customer", rubric_version="v1", status="done", total=3, done=3, errors=0,
        columns=[], source="json", callback_url=url, request_digest="x", created_at=now, started_at=now,
        finished_at=now, webhook_attempts=0,
    )  # fmt: skip


def test_delivery_is_signed_and_retried_until_accepted(receiver: Receiver) -> None:
    status, attempts, error = deliver(_job(receiver.url), SETTINGS)
    assert (status, attempts, error) == ("delivered", 3, None)
    headers, body, _ = receiver.received[-1]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER.lower()] == expected
    summary = json.loads(body)
    assert (summary["job_id"], summary["status"], summary["total"]) == ("j1", "done", 3)


def test_delivery_gives_up_after_the_configured_attempts(receiver: Receiver) -> None:
    settings = SETTINGS.model_copy(update={"webhook_attempts": 2})
    assert deliver(_job(receiver.url), settings) == ("failed", 2, "HTTP 500")


def test_only_allow_listed_hosts_are_called() -> None:
    assert check_callback_url("https://grades.exam.example/hook", SETTINGS)
    for url in ["http://10.0.0.5/hook", "http://169.254.169.254/latest", "http://exam.example/x", "ftp://127.0.0.1/"]:
        with pytest.raises(CallbackNotAllowedError):
            check_callback_url(url, SETTINGS)
    with pytest.raises(CallbackNotAllowedError, match="YUEJUAN_WEBHOOK_SECRET"):
        check_callback_url("http://127.0.0.1/hook", Settings(webhook_allowed_hosts="127.0.0.1"))


def test_the_sender_says_in_one_line_that_the_database_is_away(caplog: pytest.LogCaptureFixture) -> None:
    """Every few seconds while the database is away: a warning line, not a traceback each time."""
    with socket.socket() as probe:  # a port nothing listens on: the database refuses at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    db = Database(f"postgresql+psycopg://postgres@127.0.0.1:{port}/test", connect_timeout=2)
    try:
        with caplog.at_level("WARNING", logger="yuejuan"):
            send_due(db, Settings())
    finally:
        db.dispose()
    records = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert records and all(r.exc_info is None for r in caplog.records)
