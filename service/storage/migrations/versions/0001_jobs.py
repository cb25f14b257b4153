"""Jobs, their chunks and submissions.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.storage.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("rubric_id", sa.String(64), nullable=False),
        sa.Column("rubric_version", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("done", sa.Integer, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("columns", sa.JSON, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("filename", sa.String(255)),
        sa.Column("callback_url", sa.Text),
        sa.Column("idempotency_key", sa.String(255), unique=True),
        sa.Column("request_digest", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime()),
        sa.Column("finished_at", UTCDateTime()),
        sa.Column("error_code", sa.String(64)),
        sa.Column("error_message", sa.Text),
        sa.Column("webhook_status", sa.String(16)),
        sa.Column("webhook_attempts", sa.Integer, nullable=False),
        sa.Column("webhook_error", sa.Text),
    )
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.create_table(
        "chunks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(32), sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("first_seq", sa.Integer, nullable=False),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("lease_owner", sa.String(128)),
        sa.Column("lease_expires", UTCDateTime()),
        sa.Column("attempts", sa.Integer, nullable=False),
    )
    op.create_index("ix_chunks_status_job", "chunks", ["status", "job_id"])
    op.create_table(
        "submissions",
        sa.Column("job_id", sa.String(32), sa.ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("submission_id", sa.String(200), nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("extra", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("max_score", sa.Float),
        sa.Column("needs_review", sa.Boolean),
        sa.Column("flags", sa.JSON),
        sa.Column("points", sa.JSON),
        sa.Column("result", sa.JSON),
        sa.Column("rubric_version", sa.String(64)),
        sa.Column("engine_version", sa.String(64)),
        sa.Column("error_code", sa.String(64)),
        sa.Column("error_message", sa.Text),
        sa.Column("graded_at", UTCDateTime()),
    )
    op.create_index("ux_submissions_job_submission", "submissions", ["job_id", "submission_id"], unique=True)


def downgrade() -> None:
    op.drop_table("submissions")
    op.drop_table("chunks")
    op.drop_table("jobs")
