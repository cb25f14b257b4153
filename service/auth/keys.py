"""API key format, generation and hashing.

A key reads ``yj_<key id>_<secret>``: the key id (8 hex digits) is public and names the key
in listings and logs; the secret is 32 random bytes. Only the SHA-256 digest of the whole key
is stored. A fast hash is enough here because the keys are random and long, not
human-chosen passwords: there is nothing to guess from the digest.
"""

from __future__ import annotations

import hashlib
import re
import secrets

__all__ = ["KEY_PREFIX", "generate_key", "hash_key", "key_id_of"]

KEY_PREFIX = "yj_"
_KEY = re.compile(r"^yj_([0-9a-f]{8})_[A-Za-z0-9_-]{43}$")


def generate_key() -> tuple[str, str]:
    """A new key and its key id."""
    key_id = secrets.token_hex(4)
    return f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}", key_id


def hash_key(key: str) -> str:
    """The digest stored for a key (hex)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_id_of(key: str) -> str | None:
    """The key id of a well-formed key, or None for anything else."""
    match = _KEY.match(key)
    return match.group(1) if match else None
