"""API keys in a small SQL table (SQLAlchemy Core), hashed; every function takes keyword arguments.

The table lives in the database of ``YUEJUAN_DATABASE_URL`` (by default a SQLite file under
``./data/``, created on first use), beside the job store, and is created by the same Alembic
migrations (revision 0002): every API replica and worker sharing one database migrates it in
one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, String, Table, bindparam, insert, select, update

from ..storage import DEFAULT_CONNECT_TIMEOUT, Database
from .keys import generate_key, hash_key, key_id_of
from .roles import Role

__all__ = ["ApiKey", "authenticate", "connect", "create_key", "list_keys", "revoke_key"]

metadata = MetaData()

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key_id", String(16), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("name", String(200), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)


@dataclass(frozen=True, slots=True)
class ApiKey:
    """What is known of a key: never the key itself."""

    key_id: str
    role: Role
    name: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def connect(url: str, *, connect_timeout: int = DEFAULT_CONNECT_TIMEOUT) -> Engine:
    """An engine for ``url`` with every migration applied; a SQLite file is made if missing (its folder
    only for the default database, see :class:`Database`)."""
    database = Database(url, connect_timeout=connect_timeout)
    database.upgrade()
    return database.engine


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime | None) -> datetime | None:
    # SQLite keeps no time zone: what went in as UTC comes back naive.
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _row(row: object) -> ApiKey:
    mapping = row._mapping  # type: ignore[attr-defined]
    created_at = _utc(mapping["created_at"])
    assert created_at is not None
    return ApiKey(
        key_id=mapping["key_id"],
        role=Role(mapping["role"]),
        name=mapping["name"],
        created_at=created_at,
        revoked_at=_utc(mapping["revoked_at"]),
    )


def create_key(*, engine: Engine, role: Role, name: str = "") -> tuple[ApiKey, str]:
    """Store a new key; return its record and the key itself, which is never shown again."""
    key, key_id = generate_key()
    record = ApiKey(key_id=key_id, role=role, name=name, created_at=_now(), revoked_at=None)
    with engine.begin() as conn:
        conn.execute(
            insert(api_keys).values(
                key_id=key_id, key_hash=hash_key(key), role=role.value, name=name, created_at=record.created_at
            )
        )
    return record, key


def list_keys(*, engine: Engine) -> list[ApiKey]:
    """Every key, revoked ones included, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(select(api_keys).order_by(api_keys.c.id)).all()
    return [_row(row) for row in rows]


def revoke_key(*, engine: Engine, key_id: str) -> bool:
    """Revoke the key with this key id; False when there is no such active key."""
    with engine.begin() as conn:
        result = conn.execute(
            update(api_keys)
            .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=_now())
        )
    return bool(result.rowcount)


# Built once: every authenticated request runs it, and building and keying a statement anew costs
# more than the indexed lookup itself.
_ACTIVE_BY_DIGEST = select(api_keys).where(api_keys.c.key_hash == bindparam("digest"), api_keys.c.revoked_at.is_(None))


def authenticate(*, engine: Engine, key: str) -> ApiKey | None:
    """The active key record for ``key``, or None for a malformed, unknown or revoked key.

    Looked up on every request, so that a revoked key stops working at the next one."""
    if key_id_of(key) is None:
        return None
    with engine.connect() as conn:
        row = conn.execute(_ACTIVE_BY_DIGEST, {"digest": hash_key(key)}).first()
    return _row(row) if row is not None else None
