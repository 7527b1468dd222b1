"""Detector checkpoints fenced by an epoch per partition (bumped by each instance that takes the partition);
the audit trail refuses TRUNCATE as well as UPDATE and DELETE.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("detector_checkpoints", sa.Column("epoch", sa.BigInteger, nullable=False, server_default="0"))
    op.execute("""
        CREATE TRIGGER alert_events_no_truncate BEFORE TRUNCATE ON alert_events
        FOR EACH STATEMENT EXECUTE FUNCTION alert_events_append_only();
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER alert_events_no_truncate ON alert_events")
    op.drop_column("detector_checkpoints", "epoch")
