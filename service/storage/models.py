"""The tables of the job store.

A job holds the submissions of one exam sitting. Its submissions are cut into chunks at
creation; a chunk is the unit of work a worker leases, grades and commits in one
transaction (results and the chunk's ``done`` mark together), so a chunk's results are
stored once or not at all.

In distributed mode a broker message names a chunk by id; the message only says "look at this
chunk": the chunk's lease, here, decides who grades it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "Chunk", "Job", "SubmissionRow", "UTCDateTime", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and dialect.name == "sqlite":
            return value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[str]: JSON()}


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_finished", "status", "finished_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    rubric_id: Mapped[str] = mapped_column(String(64))
    rubric_version: Mapped[str] = mapped_column(String(64))
    # CompiledRubric.fingerprint when the job was created: every chunk is graded the same way (null: older jobs).
    grading_fingerprint: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    total: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    columns: Mapped[list[str]] = mapped_column(default=list)
    source: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str | None] = mapped_column(String(255))
    # The row of an uploaded CSV or XLSX that held its header, as a spreadsheet numbers it (a title may
    # stand above it); None for JSON and JSON Lines (migration 0006).
    header_row: Mapped[int | None] = mapped_column(Integer)
    callback_url: Mapped[str | None] = mapped_column(Text)
    # A digest of the Idempotency-Key and the API key that sent it (service.jobs.store._scoped_key);
    # jobs made before keys were scoped hold the raw key.
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    # The key id of the API key that created the job: only it (and admins) may see the job. None: a
    # job made before jobs had owners (migration 0005), which every grader key still sees.
    owner_key_id: Mapped[str | None] = mapped_column(String(16), index=True)
    request_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    webhook_status: Mapped[str | None] = mapped_column(String(16))
    webhook_attempts: Mapped[int] = mapped_column(Integer, default=0)
    webhook_error: Mapped[str | None] = mapped_column(Text)
    # While a process sends the webhook (status "sending"): others leave it alone until then.
    webhook_lease_expires: Mapped[datetime | None]
    # When the job's submissions, answers and results were deleted (status "purged"; migration 0007).
    purged_at: Mapped[datetime | None]


class Chunk(Base):
    __tablename__ = "chunks"
    __table_args__ = (Index("ix_chunks_status_job", "status", "job_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    first_seq: Mapped[int] = mapped_column(Integer)
    last_seq: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Distributed mode: when a task for this chunk was last handed to the broker (None: not yet).
    enqueued_at: Mapped[datetime | None]


class SubmissionRow(Base):
    __tablename__ = "submissions"
    __table_args__ = (Index("ux_submissions_job_submission", "job_id", "submission_id", unique=True),)

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[str] = mapped_column(String(200))
    answer: Mapped[str] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    needs_review: Mapped[bool | None] = mapped_column(Boolean)
    flags: Mapped[list[str] | None]
    points: Mapped[dict[str, Any] | None]
    result: Mapped[dict[str, Any] | None]
    rubric_version: Mapped[str | None] = mapped_column(String(64))
    engine_version: Mapped[str | None] = mapped_column(String(64))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    graded_at: Mapped[datetime | None]
