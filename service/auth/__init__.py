"""Access control: API keys (stored hashed), roles, rate limits and the FastAPI dependencies.

Kept apart from the grading core: nothing in :mod:`service.scoring` knows who is calling.
"""

from __future__ import annotations

from .errors import AccessError, ForbiddenError, InvalidKeyError, MissingKeyError, RateLimitedError, UnknownKeyError
from .keys import generate_key, hash_key
from .limits import RateLimiter
from .roles import Role, allows
from .store import ApiKey, authenticate, connect, create_key, list_keys, revoke_key

__all__ = [
    "AccessError",
    "ApiKey",
    "ForbiddenError",
    "InvalidKeyError",
    "MissingKeyError",
    "RateLimitedError",
    "RateLimiter",
    "Role",
    "UnknownKeyError",
    "allows",
    "authenticate",
    "connect",
    "create_key",
    "generate_key",
    "hash_key",
    "list_keys",
    "revoke_key",
]
