"""Geometries in the real PostGIS, bbox queries answered through the GiST index."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.integration


def test_migrations_create_the_store_and_bbox_queries_use_gist(migrated_database_url: str) -> None:
    engine = create_engine(migrated_database_url)
    with engine.begin() as conn:
        tables = set(conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())
        assert {"alerts", "alert_events", "alert_feed", "vessels", "positions", "detections"} <= tables
        # 20,000 alerts on a 200 x 100 grid around Iberia
        conn.execute(text("""
            INSERT INTO alerts (alert_id, kind, status, version, mmsi, start_ts, updated_ts, zone, severity,
                                score, geom)
            SELECT 'bbox-' || g, 'go_fast', 'open', 1, ARRAY[224000000 + g], now(), now(), 'alboran', 'high', 0.5,
                   ST_SetSRID(ST_MakePoint(-20 + (g % 200) * 0.1, 30 + (g / 200) * 0.1), 4326)
            FROM generate_series(0, 19999) AS g
        """))
        conn.execute(text("ANALYZE alerts"))
        bbox = "ST_MakeEnvelope(-5.6, 35.8, -5.2, 36.2, 4326)"
        ids = set(conn.execute(text(
            f"SELECT alert_id FROM alerts WHERE geom && {bbox} AND alert_id LIKE 'bbox-%'")).scalars())
        # lon -5.6..-5.2 -> columns 144..148, lat 35.8..36.2 -> rows 58..62: 5 x 5 points
        assert len(ids) == 25
        assert "bbox-" + str(60 * 200 + 146) in ids
        plan = "\n".join(conn.execute(text(
            f"EXPLAIN SELECT alert_id FROM alerts WHERE geom && {bbox}")).scalars())
        assert "ix_alerts_geom" in plan, plan
    engine.dispose()


def test_audit_trail_is_append_only(migrated_database_url: str) -> None:
    engine = create_engine(migrated_database_url)
    with engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO alerts (alert_id, kind, status, version, mmsi, start_ts, updated_ts, zone, severity,
                                score, geom)
            VALUES ('x1', 'dark_period', 'open', 1, ARRAY[224000001], now(), now(), 'strait', 'medium', 0.4,
                    ST_SetSRID(ST_MakePoint(-5.5, 36.0), 4326))
        """))
        conn.execute(text("INSERT INTO alert_events (alert_id, actor, action) VALUES ('x1', 'officer', 'ack')"))
    for statement in ("UPDATE alert_events SET action = 'close'", "DELETE FROM alert_events",
                      "TRUNCATE alert_events", "TRUNCATE alert_events CASCADE"):
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alert_events WHERE alert_id = 'x1'")).scalar_one() == 1
    engine.dispose()
