"""Secrets a deployment makes once and every process shares: the key that signs anonymous visitor
tokens of the self-check page (unless ``YUEJUAN_VISITOR_SECRET`` sets one). The value is made by the
first process that needs it, not here, so that migrations stay free of random data.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("server_secrets")
