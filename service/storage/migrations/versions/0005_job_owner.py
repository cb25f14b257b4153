"""Jobs remember the API key that created them, so that one caller's key does not see, read or
cancel another's jobs (admins see every job). Jobs made before hold no owner.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as jobs:
        jobs.add_column(sa.Column("owner_key_id", sa.String(16), nullable=True))
        jobs.create_index("ix_jobs_owner_key_id", ["owner_key_id"])


def downgrade() -> None:
    with op.batch_alter_table("jobs") as jobs:
        jobs.drop_index("ix_jobs_owner_key_id")
        jobs.drop_column("owner_key_id")
