"""Alembic environment: run by :func:`service.storage.upgrade` on a connection it passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from service.storage.models import Base

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the `alembic` command line without our wrapper
    raise RuntimeError("run migrations through service.storage.upgrade()")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
