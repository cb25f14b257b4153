"""Access control: API keys (stored hashed), roles, anonymous visitor tokens, rate limits and the FastAPI
dependencies.

Kept apart from the grading core: nothing in :mod:`service.scoring` knows who is calling.
"""

from __future__ import annotations

from .errors import (
    AccessError,
    ForbiddenError,
    InvalidKeyError,
    InvalidVisitorTokenError,
    MissingKeyError,
    RateLimitedError,
    UnknownKeyError,
)
from .keys import generate_key, hash_key
from .limits import RateLimiter, SharedBuckets, SharedRateLimiter
from .roles import Role, allows
from .store import ApiKey, authenticate, connect, create_key, list_keys, revoke_key
from .visitors import Visitor, issue_visitor_token, load_visitor_secret, verify_visitor_token

__all__ = [
    "AccessError",
    "ApiKey",
    "ForbiddenError",
    "InvalidKeyError",
    "InvalidVisitorTokenError",
    "MissingKeyError",
    "RateLimitedError",
    "RateLimiter",
    "Role",
    "SharedBuckets",
    "SharedRateLimiter",
    "UnknownKeyError",
    "Visitor",
    "allows",
    "authenticate",
    "connect",
    "create_key",
    "generate_key",
    "hash_key",
    "issue_visitor_token",
    "list_keys",
    "load_visitor_secret",
    "revoke_key",
    "verify_visitor_token",
]
