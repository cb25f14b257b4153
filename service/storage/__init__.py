"""The job store: SQLAlchemy models, engine and Alembic migrations shipped in the package."""

from __future__ import annotations

from .database import DATABASE_UNAVAILABLE, DEFAULT_CONNECT_TIMEOUT, MIGRATIONS_DIR, Database, new_sqlite_file
from .models import Base, Chunk, Job, SubmissionRow, utcnow

__all__ = [
    "DATABASE_UNAVAILABLE",
    "DEFAULT_CONNECT_TIMEOUT",
    "MIGRATIONS_DIR",
    "Base",
    "Chunk",
    "Database",
    "Job",
    "SubmissionRow",
    "new_sqlite_file",
    "utcnow",
]
