"""A job whose data was deleted (by its owner, an administrator or the retention setting) keeps a row
without any answer, result or file name in it, so that its endpoints answer 410 ``job_purged`` with the
time of the purge rather than 404: ``purged_at`` holds that time (null: not purged).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.storage.models import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as jobs:
        jobs.add_column(sa.Column("purged_at", UTCDateTime(), nullable=True))
    # Retention looks for finished jobs by their end.
    op.create_index("ix_jobs_status_finished", "jobs", ["status", "finished_at"])


def downgrade() -> None:
    op.drop_index("ix_jobs_status_finished", table_name="jobs")
    with op.batch_alter_table("jobs") as jobs:
        jobs.drop_column("purged_at")
