"""API additions: feed action, severity rank + sort indexes, hashed API keys, partner subscriptions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
ACTIVE_RANGE = "tstzrange(start_ts, greatest(start_ts, coalesce(end_ts, updated_ts)), '[]')"


def upgrade() -> None:
    op.add_column("alert_feed", sa.Column("action", sa.String(32), nullable=False, server_default="version"))
    op.execute("""
        ALTER TABLE alerts ADD COLUMN severity_rank smallint GENERATED ALWAYS AS (
            CASE severity WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END) STORED
    """)
    op.create_index("ix_alerts_updated_id", "alerts", ["updated_ts", "alert_id"])
    op.create_index("ix_alerts_start_id", "alerts", ["start_ts", "alert_id"])
    op.create_index("ix_alerts_score_id", "alerts", ["score", "alert_id"])
    op.create_index("ix_alerts_severity_id", "alerts", ["severity_rank", "alert_id"])
    op.create_index("ix_alerts_zone_updated", "alerts", ["zone", "updated_ts", "alert_id"])
    op.create_index("ix_alerts_kind_updated", "alerts", ["kind", "updated_ts", "alert_id"])
    op.create_index("ix_alerts_workflow", "alerts", ["workflow_state"])
    # the alert's activity interval, for "alerts active between since and until" (GiST on a range)
    op.execute(f"CREATE INDEX ix_alerts_active ON alerts USING gist ({ACTIVE_RANGE})")
    op.create_table(
        "api_keys",
        sa.Column("prefix", sa.Text, primary_key=True),
        sa.Column("key_hash", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("zones", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "partner_subscriptions",
        sa.Column("partner", sa.Text, primary_key=True),
        sa.Column("zones", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("kinds", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("partner_subscriptions")
    op.drop_table("api_keys")
    for name in ("ix_alerts_active", "ix_alerts_workflow", "ix_alerts_kind_updated", "ix_alerts_zone_updated",
                 "ix_alerts_severity_id", "ix_alerts_score_id", "ix_alerts_start_id", "ix_alerts_updated_id"):
        op.drop_index(name, table_name="alerts")
    op.execute("ALTER TABLE alerts DROP COLUMN severity_rank")
    op.drop_column("alert_feed", "action")
