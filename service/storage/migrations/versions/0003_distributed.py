"""Distributed workers: when a chunk was handed to the broker, and who is sending a job's webhook.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.storage.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chunks") as chunks:
        chunks.add_column(sa.Column("enqueued_at", UTCDateTime()))
    with op.batch_alter_table("jobs") as jobs:
        jobs.add_column(sa.Column("webhook_lease_expires", UTCDateTime()))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as jobs:
        jobs.drop_column("webhook_lease_expires")
    with op.batch_alter_table("chunks") as chunks:
        chunks.drop_column("enqueued_at")
