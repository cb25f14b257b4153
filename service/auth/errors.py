"""Errors of access control, part of the one tree rooted at :class:`service.errors.YuejuanError`.

    YuejuanError
    └── AccessError            the request may not proceed (carries its HTTP status)
        ├── MissingKeyError    no key, where one is needed              401
        ├── InvalidKeyError    unknown, malformed or revoked key        401
        ├── InvalidVisitorTokenError  forged, malformed or expired visitor token  401
        ├── ForbiddenError     the key's role may not do this           403
        └── RateLimitedError   too many requests; retry after N seconds 429
    └── UnknownKeyError        no active key with that key id            404

Messages are in Simplified Chinese: students read some of them on the self-check page.
"""

from __future__ import annotations

from ..errors import YuejuanError

__all__ = [
    "AccessError",
    "ForbiddenError",
    "InvalidKeyError",
    "InvalidVisitorTokenError",
    "MissingKeyError",
    "RateLimitedError",
    "UnknownKeyError",
]


class AccessError(YuejuanError):
    """Root of the access errors; ``status`` is the HTTP status they map to."""

    code = "access_denied"
    status = 403

    def headers(self) -> dict[str, str]:
        """HTTP headers that go with the error response."""
        return {}


class MissingKeyError(AccessError):
    code = "missing_key"
    status = 401

    def __init__(self) -> None:
        super().__init__("需要访问密钥:请在请求头中提供 Authorization: Bearer <密钥>。")

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class InvalidKeyError(AccessError):
    code = "invalid_key"
    status = 401

    def __init__(self) -> None:
        super().__init__("访问密钥无效或已被吊销。")

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class InvalidVisitorTokenError(AccessError):
    """An ``X-Visitor-Token`` the server did not issue, or issued too long ago. Refused rather than
    counted as no token: the page then asks for a new one at once, where silently falling back to the
    shared per-address bucket would refuse a whole lab a few minutes later with no clue why."""

    code = "invalid_visitor_token"
    status = 401

    def __init__(self) -> None:
        super().__init__("访客凭证无效或已过期,请刷新页面后重试。")

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'X-Visitor-Token error="invalid_token"'}


class ForbiddenError(AccessError):
    code = "forbidden"
    status = 403

    def __init__(self, role: str, needed: str) -> None:
        self.role = role
        self.needed = needed
        super().__init__(f"该密钥的角色({role})无权执行此操作,需要 {needed} 或更高权限。")


class RateLimitedError(AccessError):
    code = "rate_limited"
    status = 429

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"请求过于频繁,请在 {retry_after} 秒后重试。")

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class UnknownKeyError(YuejuanError):
    """No active key with the given key id (when revoking)."""

    code = "unknown_key"

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id
        super().__init__(f"没有编号为 {key_id!r} 的有效密钥。")
