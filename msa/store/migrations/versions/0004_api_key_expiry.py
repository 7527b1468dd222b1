"""API keys expire (``expires_ts``; keys made before this get a year from now) and record when they were revoked.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("expires_ts", TZ, nullable=True))
    op.add_column("api_keys", sa.Column("revoked_at", TZ, nullable=True))
    op.execute("UPDATE api_keys SET expires_ts = now() + interval '365 days' WHERE expires_ts IS NULL")


def downgrade() -> None:
    op.drop_column("api_keys", "revoked_at")
    op.drop_column("api_keys", "expires_ts")
