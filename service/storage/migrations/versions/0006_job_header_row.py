"""Jobs made from an uploaded CSV or XLSX remember the row that held the file's header (a title may
stand above it), so that the job says which row it read as the header. Null for JSON submissions,
JSON Lines files and jobs made before.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as jobs:
        jobs.add_column(sa.Column("header_row", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as jobs:
        jobs.drop_column("header_row")
