"""FastAPI dependencies: who is calling, whether their role may proceed, and rate limits.

All are ``async def``: a plain ``def`` dependency costs a worker-thread hand-off per request. The
key lookup is one indexed query (a fraction of a millisecond), but it is made in a worker thread all
the same: on the event loop, a database that stops answering froze the whole process, /healthz, /readyz
and the anonymous self-check included, for as long as the query hung.

The app factory puts the key database engine in ``app.state.key_engine`` and one
:class:`~service.auth.limits.RateLimiter` per limited resource in ``app.state.limiters``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from .errors import ForbiddenError, InvalidKeyError, MissingKeyError, RateLimitedError
from .limits import RateLimiter
from .roles import Role, allows
from .store import ApiKey, authenticate

__all__ = ["AdminDep", "Caller", "CallerDep", "CheckAccessDep", "CheckLimitDep", "GradeLimitDep", "GraderDep"]

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer yj_…`.")


@dataclass(frozen=True, slots=True)
class Caller:
    """The key a request carries (None when anonymous) and the client's address."""

    key: ApiKey | None
    address: str

    @property
    def bucket(self) -> str:
        """Rate limits count per key, or per client address for anonymous callers."""
        return f"key:{self.key.key_id}" if self.key else f"addr:{self.address}"


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


def _throttle(request: Request, resource: str, caller: Caller) -> None:
    limiter: RateLimiter = request.app.state.limiters[resource]
    wait = limiter.acquire(caller.bucket)
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
    _throttle(request, "grade", caller)
    return caller


async def _check_limit(request: Request, caller: Annotated[Caller, Depends(_check_access)]) -> Caller:
    _throttle(request, "check", caller)
    return caller


AdminDep = Annotated[Caller, Depends(_admin)]
GraderDep = Annotated[Caller, Depends(_grader)]
CheckAccessDep = Annotated[Caller, Depends(_check_access)]
GradeLimitDep = Annotated[Caller, Depends(_grade_limit)]
CheckLimitDep = Annotated[Caller, Depends(_check_limit)]
