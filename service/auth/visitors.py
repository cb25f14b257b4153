"""Anonymous visitor tokens: one rate-limit bucket per visitor of the self-check page, not per building.

A school lab or an office reaches the service from one NAT address; limiting anonymous self-checks per
address made 40 students share one bucket. The page instead asks for a visitor token once and sends it
with each check (``X-Visitor-Token``); requests are then limited per token, and the address as a whole
gets a much higher cap, so that a client minting tokens in a loop is still stopped.

A token is ``v1.<id>.<issued>.<signature>``: 16 random bytes (base64url), the Unix second it was issued
and an HMAC-SHA256 of both under the deployment's secret. Any server process holding the secret verifies
a token without a database lookup; the random id, not the token, names the bucket. The token says
nothing about the student and is not stored anywhere on the server.

The secret is ``YUEJUAN_VISITOR_SECRET`` when set, else one made at random and stored once in the
database (table ``server_secrets``), so that every process sharing the database, and every restart,
uses the same one. Changing it (or deleting the row) only invalidates the tokens already issued: the
page asks for a new one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, insert, select
from sqlalchemy.exc import IntegrityError

__all__ = ["VISITOR_SECRET_NAME", "Visitor", "issue_visitor_token", "load_visitor_secret", "verify_visitor_token"]

VISITOR_SECRET_NAME = "visitor_tokens"
_VERSION = "v1"
# Tokens issued by another machine whose clock runs a little ahead are still good.
_CLOCK_SKEW_SECONDS = 300
# Longer than any token we issue: anything longer is refused before it is parsed.
_MAX_TOKEN_LENGTH = 128

metadata = MetaData()

server_secrets = Table(
    "server_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(128), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True, slots=True)
class Visitor:
    """A verified visitor token: its random id (the rate-limit bucket) and when it was issued."""

    visitor_id: str
    issued_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signature(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode("utf-8"), payload.encode("ascii"), hashlib.sha256).digest())


def issue_visitor_token(secret: str, *, now: float | None = None) -> str:
    """A new token for a new visitor, signed with ``secret``; ``now`` is the issue time (Unix seconds)."""
    issued = int(time.time() if now is None else now)
    payload = f"{_VERSION}.{_b64(secrets.token_bytes(16))}.{issued}"
    return f"{payload}.{_signature(secret, payload)}"


def verify_visitor_token(token: str, secret: str, *, ttl_seconds: int, now: float | None = None) -> Visitor | None:
    """The visitor of a token signed with ``secret`` and issued less than ``ttl_seconds`` ago; None for a
    malformed, forged, expired or future token (one way to fail: a caller learns nothing from the kind)."""
    if len(token) > _MAX_TOKEN_LENGTH or not token.isascii():
        return None
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != _VERSION or not parts[2].isdigit():
        return None
    payload = ".".join(parts[:3])
    if not hmac.compare_digest(_signature(secret, payload), parts[3]):
        return None
    try:
        raw_id = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
    except (binascii.Error, ValueError):
        return None
    issued = int(parts[2])
    current = time.time() if now is None else now
    if len(raw_id) != 16 or issued > current + _CLOCK_SKEW_SECONDS or current - issued >= ttl_seconds:
        return None
    return Visitor(visitor_id=parts[1], issued_at=issued)


def load_visitor_secret(*, engine: Engine) -> str:
    """The deployment's stored secret for visitor tokens, made and stored on first use. Processes starting
    together may both try to store one: the first insert wins and the others read it back."""
    query = select(server_secrets.c.value).where(server_secrets.c.name == VISITOR_SECRET_NAME)
    with engine.connect() as connection:
        stored = connection.execute(query).scalar_one_or_none()
    if stored is not None:
        return str(stored)
    row = {"name": VISITOR_SECRET_NAME, "value": secrets.token_urlsafe(48), "created_at": datetime.now(UTC)}
    try:
        with engine.begin() as connection:
            connection.execute(insert(server_secrets).values(**row))
    except IntegrityError:
        pass  # another process stored its secret first: use that one
    with engine.connect() as connection:
        return str(connection.execute(query).scalar_one())
