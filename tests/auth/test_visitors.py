"""Visitor tokens as the server issues and verifies them, and the secret it keeps for them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from service.auth import connect, issue_visitor_token, load_visitor_secret, verify_visitor_token
from service.settings import Settings

SECRET = "a-deployment-secret-of-enough-length-0123"
NOW = 1_790_000_000.0
DAY = 24 * 3600


def test_a_token_names_one_visitor_until_it_expires() -> None:
    token = issue_visitor_token(SECRET, now=NOW)
    visitor = verify_visitor_token(token, SECRET, ttl_seconds=DAY, now=NOW + 60)
    assert visitor is not None and visitor.issued_at == int(NOW)
    again = verify_visitor_token(token, SECRET, ttl_seconds=DAY, now=NOW + DAY - 1)
    assert again is not None and again.visitor_id == visitor.visitor_id
    assert verify_visitor_token(token, SECRET, ttl_seconds=DAY, now=NOW + DAY) is None
    other = verify_visitor_token(issue_visitor_token(SECRET, now=NOW), SECRET, ttl_seconds=DAY, now=NOW)
    assert other is not None and other.visitor_id != visitor.visitor_id


def test_a_token_changed_anywhere_or_signed_elsewhere_is_refused() -> None:
    token = issue_visitor_token(SECRET, now=NOW)
    version, visitor, issued, signature = token.split(".")
    changed = [
        f"v2.{visitor}.{issued}.{signature}",
        f"{version}.{visitor[::-1]}.{issued}.{signature}",
        f"{version}.{visitor}.{int(issued) - 3600}.{signature}",  # made to look younger or older
        f"{version}.{visitor}.{issued}.{signature[::-1]}",
        f"{version}.{visitor}.{issued}",
        f"{version}.{visitor}.{issued}.{signature}.x",
        token + "=",
        token + " ",
        "v1.访客.1.签名",
        "",
    ]
    for bad in changed:
        assert verify_visitor_token(bad, SECRET, ttl_seconds=DAY, now=NOW) is None, bad
    assert verify_visitor_token(token, SECRET[:-1] + "4", ttl_seconds=DAY, now=NOW) is None


def test_a_token_from_the_future_is_refused_beyond_clock_skew() -> None:
    assert verify_visitor_token(issue_visitor_token(SECRET, now=NOW + 60), SECRET, ttl_seconds=DAY, now=NOW)
    assert not verify_visitor_token(issue_visitor_token(SECRET, now=NOW + 3600), SECRET, ttl_seconds=DAY, now=NOW)


def test_the_stored_secret_is_made_once_per_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    first, second = connect(url), connect(url)
    try:
        secret = load_visitor_secret(engine=first)
        assert len(secret) >= 32
        assert load_visitor_secret(engine=second) == secret == load_visitor_secret(engine=first)
    finally:
        first.dispose()
        second.dispose()
    other = connect(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        assert load_visitor_secret(engine=other) != secret
    finally:
        other.dispose()


def test_a_short_secret_setting_is_refused_in_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUEJUAN_VISITOR_SECRET", "short")
    with pytest.raises(ValidationError, match="访客凭证密钥太短"):
        Settings()
    monkeypatch.setenv("YUEJUAN_VISITOR_SECRET", SECRET)
    assert Settings().visitor_secret == SECRET
