"""Initial alert store: alerts (GiST), alert events (audit), alert feed, vessels, positions, detections.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql as pg

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("mmsi", pg.ARRAY(sa.BigInteger), nullable=False),
        sa.Column("start_ts", TZ, nullable=False),
        sa.Column("end_ts", TZ),
        sa.Column("updated_ts", TZ, nullable=False),
        sa.Column("zone", sa.String(128), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("geom", Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=False),
        sa.Column("summary", sa.Text, nullable=False, server_default=""),
        sa.Column("vessels", pg.JSONB, nullable=False, server_default="[]"),
        sa.Column("detection_ids", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("evidence", pg.JSONB, nullable=False, server_default="{}"),
        sa.Column("workflow_state", sa.String(16), nullable=False, server_default="new"),
        sa.Column("assignee", sa.String(128)),
        sa.Column("closed_reason", sa.String(32)),
        sa.Column("row_version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("received_at", TZ, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_alerts_geom", "alerts", ["geom"], postgresql_using="gist")
    op.create_index("ix_alerts_kind_start", "alerts", ["kind", "start_ts"])
    op.create_index("ix_alerts_zone_start", "alerts", ["zone", "start_ts"])
    op.create_index("ix_alerts_status", "alerts", ["status"])
    op.create_index("ix_alerts_start", "alerts", ["start_ts"])
    op.create_index("ix_alerts_mmsi", "alerts", ["mmsi"], postgresql_using="gin")

    op.create_table(
        "alert_events",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.String(64), sa.ForeignKey("alerts.alert_id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", pg.JSONB, nullable=False, server_default="{}"),
    )
    op.create_index("ix_alert_events_alert", "alert_events", ["alert_id", "id"])
    # the audit trail is append-only: refuse updates and deletes of its rows
    op.execute("""
        CREATE FUNCTION alert_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'alert_events is append-only'; END $$;
    """)
    op.execute("""
        CREATE TRIGGER alert_events_no_update BEFORE UPDATE OR DELETE ON alert_events
        FOR EACH ROW EXECUTE FUNCTION alert_events_append_only();
    """)

    op.create_table(
        "alert_feed",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("at", TZ, nullable=False, server_default=sa.func.now()),
    )

    op.create_table(
        "vessels",
        sa.Column("mmsi", sa.BigInteger, primary_key=True),
        sa.Column("name", sa.String(64)),
        sa.Column("call_sign", sa.String(16)),
        sa.Column("imo", sa.BigInteger),
        sa.Column("flag", sa.String(2)),
        sa.Column("ship_type", sa.Integer),
        sa.Column("length_m", sa.Float),
        sa.Column("last_ts", TZ),
        sa.Column("last_geom", Geometry("POINT", srid=4326, spatial_index=False)),
        sa.Column("updated_at", TZ, nullable=False, server_default=sa.func.now()),
    )

    op.create_table(
        "positions",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("mmsi", sa.BigInteger, nullable=False),
        sa.Column("ts", TZ, nullable=False),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("sog_kn", sa.Float),
        sa.Column("cog_deg", sa.Float),
        sa.Column("alert_id", sa.String(64)),
    )
    op.create_index("uq_positions_mmsi_ts", "positions", ["mmsi", "ts"], unique=True)
    op.create_index("ix_positions_geom", "positions", ["geom"], postgresql_using="gist")
    op.create_index("ix_positions_alert", "positions", ["alert_id"])

    op.create_table(
        "detections",
        sa.Column("detection_id", sa.String(128), primary_key=True),
        sa.Column("ts", TZ, nullable=False),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("sensor", sa.String(64), nullable=False),
        sa.Column("scene_id", sa.String(128), nullable=False),
        sa.Column("length_m", sa.Float),
    )
    op.create_index("ix_detections_geom", "detections", ["geom"], postgresql_using="gist")


def downgrade() -> None:
    for table in ("detections", "positions", "vessels", "alert_feed", "alert_events", "alerts"):
        op.drop_table(table)
    op.execute("DROP FUNCTION IF EXISTS alert_events_append_only()")
