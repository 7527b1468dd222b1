"""Writing one alert version to PostGIS: upsert (newer version wins), vessels, evidence, audit, feed.

Call inside one transaction per Kafka batch; the feed row is written last under a transaction-level
advisory lock so feed sequence numbers become visible in commit order (the live feed never skips one).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from msa.contracts.codec import dumps
from msa.domain import Alert, VesselIdentity
from services.api.evidence_view import extract_detections, extract_fixes

__all__ = ["FEED_LOCK_KEY", "UpsertResult", "append_feed", "upsert_alert"]

FEED_LOCK_KEY = 727_001


def _dt(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)


_UPSERT = text("""
INSERT INTO alerts (alert_id, kind, status, version, mmsi, start_ts, end_ts, updated_ts, zone, severity, score,
                    geom, summary, vessels, detection_ids, evidence)
VALUES (:alert_id, :kind, :status, :version, :mmsi, :start_ts, :end_ts, :updated_ts, :zone, :severity, :score,
        ST_SetSRID(ST_GeomFromGeoJSON(:geom), 4326), :summary, CAST(:vessels AS jsonb), :detection_ids,
        CAST(:evidence AS jsonb))
ON CONFLICT (alert_id) DO UPDATE SET
    kind = EXCLUDED.kind, status = EXCLUDED.status, version = EXCLUDED.version, mmsi = EXCLUDED.mmsi,
    start_ts = EXCLUDED.start_ts, end_ts = EXCLUDED.end_ts, updated_ts = EXCLUDED.updated_ts,
    zone = EXCLUDED.zone, severity = EXCLUDED.severity, score = EXCLUDED.score, geom = EXCLUDED.geom,
    summary = EXCLUDED.summary, vessels = EXCLUDED.vessels, detection_ids = EXCLUDED.detection_ids,
    evidence = EXCLUDED.evidence
WHERE alerts.version < EXCLUDED.version
RETURNING (xmax = 0) AS inserted
""")

_VESSEL = text("""
INSERT INTO vessels (mmsi, name, call_sign, imo, flag, ship_type, length_m)
VALUES (:mmsi, :name, :call_sign, :imo, :flag, :ship_type, :length_m)
ON CONFLICT (mmsi) DO UPDATE SET
    name = COALESCE(EXCLUDED.name, vessels.name), call_sign = COALESCE(EXCLUDED.call_sign, vessels.call_sign),
    imo = COALESCE(EXCLUDED.imo, vessels.imo), flag = COALESCE(EXCLUDED.flag, vessels.flag),
    ship_type = COALESCE(EXCLUDED.ship_type, vessels.ship_type),
    length_m = COALESCE(EXCLUDED.length_m, vessels.length_m), updated_at = now()
""")

_VESSEL_LAST = text("""
UPDATE vessels SET last_ts = :ts, last_geom = ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)
WHERE mmsi = :mmsi AND (last_ts IS NULL OR last_ts < :ts)
""")

_POSITION = text("""
INSERT INTO positions (mmsi, ts, geom, sog_kn, cog_deg, alert_id)
VALUES (:mmsi, :ts, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :sog_kn, :cog_deg, :alert_id)
ON CONFLICT (mmsi, ts) DO NOTHING
""")

_DETECTION = text("""
INSERT INTO detections (detection_id, ts, geom, confidence, sensor, scene_id, length_m)
VALUES (:detection_id, :ts, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :confidence, :sensor, :scene_id,
        :length_m)
ON CONFLICT (detection_id) DO NOTHING
""")

_AUDIT = text("INSERT INTO alert_events (alert_id, actor, action, detail) "
              "VALUES (:alert_id, :actor, :action, CAST(:detail AS jsonb))")


class UpsertResult:
    """What an upsert did: ``created``, ``updated`` or ``unchanged`` (same or older version)."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


async def append_feed(conn: AsyncConnection, alert_id: str, version: int, action: str) -> int:
    await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": FEED_LOCK_KEY})
    seq = (await conn.execute(
        text("INSERT INTO alert_feed (alert_id, version, action) VALUES (:a, :v, :act) RETURNING seq"),
        {"a": alert_id, "v": version, "act": action})).scalar_one()
    return int(seq)


async def upsert_alert(conn: AsyncConnection, alert: Alert, *, feed: bool = True) -> str:
    """Store one alert version; returns an ``UpsertResult`` value. Feed rows are appended by the caller
    (``feed=False``) when batching, else here."""
    row = (await conn.execute(_UPSERT, {
        "alert_id": alert.alert_id, "kind": str(alert.kind), "status": str(alert.status),
        "version": alert.version, "mmsi": list(alert.mmsi), "start_ts": _dt(alert.start_ms),
        "end_ts": _dt(alert.end_ms), "updated_ts": _dt(alert.updated_ms), "zone": alert.zone,
        "severity": str(alert.severity), "score": float(alert.score), "geom": dumps(alert.geometry).decode(),
        "summary": alert.summary, "vessels": dumps([_vessel(v) for v in alert.vessels]).decode(),
        "detection_ids": list(alert.detection_ids), "evidence": dumps(alert.evidence).decode(),
    })).first()
    if row is None:
        return UpsertResult.UNCHANGED
    result = UpsertResult.CREATED if row.inserted else UpsertResult.UPDATED
    for v in alert.vessels:
        await conn.execute(_VESSEL, _vessel(v))
    known = {v.mmsi for v in alert.vessels}
    for m in alert.mmsi:
        if m not in known:
            await conn.execute(_VESSEL, {"mmsi": m, "name": None, "call_sign": None, "imo": None, "flag": None,
                                         "ship_type": None, "length_m": None})
    fixes, _ = extract_fixes(alert)
    if fixes:
        await conn.execute(_POSITION, [
            {"mmsi": f.mmsi, "ts": _dt(f.ts_ms), "lon": f.lon, "lat": f.lat, "sog_kn": f.sog_kn,
             "cog_deg": f.cog_deg, "alert_id": alert.alert_id} for f in fixes])
        last: dict[int, tuple[int, float, float]] = {}
        for f in fixes:
            if f.mmsi not in last or last[f.mmsi][0] < f.ts_ms:
                last[f.mmsi] = (f.ts_ms, f.lon, f.lat)
        for m, (ts, lon, lat) in sorted(last.items()):
            if m in known or m in alert.mmsi:
                await conn.execute(_VESSEL_LAST, {"mmsi": m, "ts": _dt(ts), "lon": lon, "lat": lat})
    dets, _ = extract_detections(alert)
    if dets:
        await conn.execute(_DETECTION, [
            {"detection_id": d.detection_id, "ts": _dt(d.ts_ms), "lon": d.lon, "lat": d.lat,
             "confidence": d.confidence, "sensor": d.sensor, "scene_id": d.scene_id, "length_m": d.length_m}
            for d in dets])
    await conn.execute(_AUDIT, {"alert_id": alert.alert_id, "actor": "detector", "action": result,
                                "detail": dumps({"version": alert.version, "status": str(alert.status)}).decode()})
    if feed:
        await append_feed(conn, alert.alert_id, alert.version, result)
    return result


def _vessel(v: VesselIdentity) -> dict[str, object]:
    return {"mmsi": v.mmsi, "name": v.name, "call_sign": v.call_sign, "imo": v.imo, "flag": v.flag,
            "ship_type": v.ship_type, "length_m": v.length_m}
