"""FastAPI dependencies: who is calling, whether their role may proceed, and rate limits.

All are ``async def``: a plain ``def`` dependency costs a worker-thread hand-off per request. The
key lookup is one indexed query (a fraction of a millisecond), but it is made in a worker thread all
the same: on the event loop, a database that stops answering froze the whole process, /healthz, /readyz
and the anonymous self-check included, for as long as the query hung.

The app factory puts the key database engine in ``app.state.key_engine``, the secret that signs visitor
tokens in ``app.state.visitor_secret`` and one limiter per limited resource in ``app.state.limiters``
(:class:`~service.auth.limits.RateLimiter`, or with ``--workers N`` a
:class:`~service.auth.limits.SharedRateLimiter` counting for all the server processes together).

Self-checks are counted per key; else per visitor token (``X-Visitor-Token``, see
:mod:`service.auth.visitors`), with all the tokens of one address under a higher cap together; else per
client address. Verifying a token is an HMAC: no database lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from .errors import ForbiddenError, InvalidKeyError, InvalidVisitorTokenError, MissingKeyError, RateLimitedError
from .limits import RateLimiter, SharedRateLimiter
from .roles import Role, allows
from .store import ApiKey, authenticate
from .visitors import verify_visitor_token

__all__ = [
    "VISITOR_TOKEN_HEADER",
    "AdminDep",
    "Caller",
    "CallerDep",
    "CheckAccessDep",
    "CheckLimitDep",
    "GradeLimitDep",
    "GraderDep",
    "VisitorTokenLimitDep",
]

VISITOR_TOKEN_HEADER = "X-Visitor-Token"

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer yj_…`.")


@dataclass(frozen=True, slots=True)
class Caller:
    """The key a request carries (None when anonymous), the client's address and, for a self-check
    with a valid visitor token, the visitor's id."""

    key: ApiKey | None
    address: str
    visitor_id: str | None = None

    @property
    def bucket(self) -> str:
        """Rate limits count per key, else per visitor, else per client address."""
        if self.key:
            return f"key:{self.key.key_id}"
        return f"visitor:{self.visitor_id}" if self.visitor_id else f"addr:{self.address}"


async def _caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Caller:
    address = request.client.host if request.client else "unknown"
    if credentials is None:
        if request.headers.get("authorization"):
            raise InvalidKeyError()
        return Caller(key=None, address=address)
    engine: Engine = request.app.state.key_engine
    key = await run_in_threadpool(authenticate, engine=engine, key=credentials.credentials)
    if key is None:
        raise InvalidKeyError()
    request.state.key_id = key.key_id  # for the access log
    return Caller(key=key, address=address)


CallerDep = Annotated[Caller, Depends(_caller)]


def _require(caller: Caller, needed: Role) -> Caller:
    if caller.key is None:
        raise MissingKeyError()
    if not allows(caller.key.role, needed):
        raise ForbiddenError(caller.key.role.value, needed.value)
    return caller


def _throttle(request: Request, resource: str, bucket: str) -> None:
    limiter: RateLimiter | SharedRateLimiter = request.app.state.limiters[resource]
    wait = limiter.acquire(bucket)
    if wait:
        raise RateLimitedError(wait)


async def _admin(caller: CallerDep) -> Caller:
    return _require(caller, Role.ADMIN)


async def _grader(caller: CallerDep) -> Caller:
    return _require(caller, Role.GRADER)


async def _check_access(request: Request, caller: CallerDep) -> Caller:
    # The self-check is open to anonymous students unless the deployment says otherwise;
    # a key that is sent is still verified (above), so a bad one is refused either way.
    if request.app.state.settings.check_requires_key:
        _require(caller, Role.STUDENT)
    return caller


async def _grade_limit(request: Request, caller: Annotated[Caller, Depends(_grader)]) -> Caller:
    _throttle(request, "grade", caller.bucket)
    return caller


async def _check_limit(
    request: Request,
    caller: Annotated[Caller, Depends(_check_access)],
    visitor_token: Annotated[
        str | None,
        Header(
            alias=VISITOR_TOKEN_HEADER,
            description="The visitor token from `POST /v1/check/visitor-token`: checks are then counted per "
            "visitor, not per client address. A token that is forged, malformed or expired is refused (401 "
            "`invalid_visitor_token`): ask for a new one.",
        ),
    ] = None,
) -> Caller:
    if visitor_token is not None:
        settings = request.app.state.settings
        visitor = verify_visitor_token(
            visitor_token, request.app.state.visitor_secret, ttl_seconds=settings.visitor_token_hours * 3600
        )
        if visitor is None:
            raise InvalidVisitorTokenError()
        if caller.key is None:
            caller = Caller(key=None, address=caller.address, visitor_id=visitor.visitor_id)
    _throttle(request, "check", caller.bucket)
    if caller.visitor_id is not None:
        # After the visitor's own bucket, so that one visitor refused again and again uses up nothing of
        # what the address's other visitors share.
        _throttle(request, "check_address", f"addr:{caller.address}")
    return caller


async def _visitor_token_limit(request: Request, caller: Annotated[Caller, Depends(_check_access)]) -> Caller:
    # Always per address, key or not: tokens are what is handed out here.
    _throttle(request, "visitor_token", f"addr:{caller.address}")
    return caller


AdminDep = Annotated[Caller, Depends(_admin)]
GraderDep = Annotated[Caller, Depends(_grader)]
CheckAccessDep = Annotated[Caller, Depends(_check_access)]
GradeLimitDep = Annotated[Caller, Depends(_grade_limit)]
CheckLimitDep = Annotated[Caller, Depends(_check_limit)]
VisitorTokenLimitDep = Annotated[Caller, Depends(_visitor_token_limit)]
