"""Read queries of the API (alerts, tracks, detections, vessels, audit, feed). Scope is always applied."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, false, func, literal_column, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from msa.contracts.codec import loads
from msa.domain import JsonDict, parse_ts
from services.api.feed import FeedEvent
from services.api.filters import AlertFilter, BBox, Cursor, SortKey
from services.api.principal import Principal
from services.api.rows import ALERT_COLUMNS, LIST_COLUMNS, alert_row_to_dict, ms, ts_text
from services.api.tables import alert_events, alert_feed, alerts, detections, positions, vessels

__all__ = ["alert_audit", "alert_comments", "alert_detections", "alert_track", "get_alert", "get_vessel",
           "list_alerts", "list_positions", "read_feed", "scope_clause"]


# the alert's activity interval [start, max(start, end or updated)], GiST-indexed by migration 0002
ACTIVE_RANGE: Any = func.tstzrange(alerts.c.start_ts, func.greatest(alerts.c.start_ts, func.coalesce(
    alerts.c.end_ts, alerts.c.updated_ts)), "[]")


def _dt(v: int) -> datetime:
    return datetime.fromtimestamp(v / 1000, tz=UTC)


def scope_clause(principal: Principal) -> ColumnElement[bool]:
    if principal.all_zones:
        return true()
    if not principal.zones:
        return false()
    return alerts.c.zone.in_(sorted(principal.zones))


def _envelope(b: BBox) -> Any:
    return func.ST_MakeEnvelope(b.min_lon, b.min_lat, b.max_lon, b.max_lat, 4326)


def _filter_clauses(f: AlertFilter, principal: Principal) -> list[ColumnElement[bool]]:
    c: list[ColumnElement[bool]] = [scope_clause(principal)]
    if f.kinds:
        c.append(alerts.c.kind.in_(f.kinds))
    if f.zones:
        c.append(alerts.c.zone.in_(f.zones))
    if f.statuses:
        c.append(alerts.c.status.in_(f.statuses))
    if f.severities:
        c.append(alerts.c.severity.in_(f.severities))
    if f.workflow and principal.officer_view:
        c.append(alerts.c.workflow_state.in_(f.workflow))
    if f.mmsi is not None:
        c.append(alerts.c.mmsi.contains([f.mmsi]))
    if f.since_ms is not None or f.until_ms is not None:
        c.append(ACTIVE_RANGE.op("&&")(func.tstzrange(None if f.since_ms is None else _dt(f.since_ms),
                                                      None if f.until_ms is None else _dt(f.until_ms), "[]")))
    if f.bbox is not None:
        c.append(func.ST_Intersects(alerts.c.geom, _envelope(f.bbox)))  # uses the GiST index itself
    return c


def _sort_column(sort: SortKey) -> Any:
    if sort.column == "severity_rank":
        return literal_column("alerts.severity_rank")
    return alerts.c[sort.column]


def _cursor_value(sort: SortKey, row: Any) -> float | int | str | None:
    v = getattr(row, sort.column)
    return ms(v) if isinstance(v, datetime) else v


async def list_alerts(conn: AsyncConnection, principal: Principal, f: AlertFilter, sort: SortKey,
                      cursor: Cursor | None, limit: int, *, evidence: bool = False
                      ) -> tuple[list[JsonDict], Cursor | None]:
    col = _sort_column(sort)
    q = select(*(ALERT_COLUMNS if evidence else LIST_COLUMNS)).where(*_filter_clauses(f, principal))
    order_col = col
    if f.since_ms is not None and f.until_ms is not None:
        # a closed time window: the planner would walk the sort index and filter (the window is correlated
        # with the sort key, which it cannot see); sorting an expression makes it use the range index instead
        order_col = func.coalesce(col, col)
    if cursor is not None:
        v: Any = cursor.value
        if sort.column in ("updated_ts", "start_ts") and isinstance(v, int | float):
            v = _dt(int(v))
        key = tuple_(col, alerts.c.alert_id)
        q = q.where(key < tuple_(v, cursor.alert_id) if sort.descending else key > tuple_(v, cursor.alert_id))
    if sort.descending:
        q = q.order_by(order_col.desc(), alerts.c.alert_id.desc())
    else:
        q = q.order_by(order_col.asc(), alerts.c.alert_id.asc())
    rows = (await conn.execute(q.limit(limit + 1))).all()
    nxt = None
    if len(rows) > limit:
        rows = rows[:limit]
        nxt = Cursor(sort, _cursor_value(sort, rows[-1]), rows[-1].alert_id)
    return [alert_row_to_dict(r) for r in rows], nxt


async def get_alert(conn: AsyncConnection, principal: Principal, alert_id: str) -> JsonDict | None:
    """None when missing or out of scope: the two must look the same."""
    row = (await conn.execute(select(*ALERT_COLUMNS).where(alerts.c.alert_id == alert_id,
                                                            scope_clause(principal)))).first()
    return None if row is None else alert_row_to_dict(row)


async def alert_track(conn: AsyncConnection, alert: JsonDict, limit: int, margin_ms: int = 3_600_000
                      ) -> list[JsonDict]:
    """Evidence positions of the alert's vessels (and of the others its evidence track names, e.g. the AIS
    vessels near a dark vessel) around its interval, oldest first."""
    start = parse_ts(alert["start"]) - margin_ms
    end = parse_ts(alert["end"] or alert["updated"]) + margin_ms
    track = (alert.get("evidence") or {}).get("track")
    named = {f.get("mmsi") for f in track if isinstance(f, dict)} if isinstance(track, list) else set()
    mmsis = sorted({*alert["mmsi"], *(m for m in named if isinstance(m, int))}) or [-1]
    q = (select(positions.c.mmsi, positions.c.ts, func.ST_X(positions.c.geom).label("lon"),
                func.ST_Y(positions.c.geom).label("lat"), positions.c.sog_kn, positions.c.cog_deg)
         .where(positions.c.mmsi.in_(mmsis), positions.c.ts.between(_dt(start), _dt(end)))
         .order_by(positions.c.ts, positions.c.mmsi).limit(limit))
    return [{"mmsi": r.mmsi, "ts": ts_text(r.ts), "lat": r.lat, "lon": r.lon, "sog_kn": r.sog_kn,
             "cog_deg": r.cog_deg} for r in (await conn.execute(q)).all()]


async def alert_detections(conn: AsyncConnection, detection_ids: list[str]) -> list[JsonDict]:
    if not detection_ids:
        return []
    q = (select(detections.c.detection_id, detections.c.ts, func.ST_X(detections.c.geom).label("lon"),
                func.ST_Y(detections.c.geom).label("lat"), detections.c.confidence, detections.c.sensor,
                detections.c.scene_id, detections.c.length_m)
         .where(detections.c.detection_id.in_(detection_ids)).order_by(detections.c.ts, detections.c.detection_id))
    return [{"detection_id": r.detection_id, "ts": ts_text(r.ts), "lat": r.lat, "lon": r.lon,
             "confidence": r.confidence, "sensor": r.sensor, "scene_id": r.scene_id, "length_m": r.length_m}
            for r in (await conn.execute(q)).all()]


async def alert_audit(conn: AsyncConnection, alert_id: str) -> list[JsonDict]:
    q = (select(alert_events).where(alert_events.c.alert_id == alert_id).order_by(alert_events.c.id))
    return [{"id": r.id, "at": ts_text(r.at), "actor": r.actor, "action": r.action, "detail": dict(r.detail)}
            for r in (await conn.execute(q)).all()]


async def alert_comments(conn: AsyncConnection, alert_id: str) -> list[JsonDict]:
    q = (select(alert_events).where(alert_events.c.alert_id == alert_id, alert_events.c.action == "comment")
         .order_by(alert_events.c.id))
    return [{"id": r.id, "at": ts_text(r.at), "author": r.actor, "text": str(r.detail.get("text", ""))}
            for r in (await conn.execute(q)).all()]


async def get_vessel(conn: AsyncConnection, principal: Principal, mmsi: int, track_limit: int
                     ) -> JsonDict | None:
    """Identity, last position, recent track and alert history; None unless an in-scope alert names it. The
    track is the evidence of in-scope alerts only, and so is the last position unless the caller sees every
    zone: one in-zone alert does not expose where the vessel is elsewhere."""
    hist_q = (select(*LIST_COLUMNS).where(alerts.c.mmsi.contains([mmsi]), scope_clause(principal))
              .order_by(alerts.c.updated_ts.desc(), alerts.c.alert_id.desc()).limit(100))
    history = [alert_row_to_dict(r) for r in (await conn.execute(hist_q)).all()]
    if not history:
        return None
    v = (await conn.execute(select(vessels.c.mmsi, vessels.c.name, vessels.c.call_sign, vessels.c.imo,
                                   vessels.c.flag, vessels.c.ship_type, vessels.c.length_m, vessels.c.last_ts,
                                   func.ST_AsGeoJSON(vessels.c.last_geom).label("last_geojson"))
                            .where(vessels.c.mmsi == mmsi))).first()
    # the track: positions kept as evidence of alerts the caller may see (not the vessel's whole record)
    tq = (select(positions.c.ts, func.ST_X(positions.c.geom).label("lon"), func.ST_Y(positions.c.geom).label("lat"),
                 positions.c.sog_kn, positions.c.cog_deg)
          .join(alerts, alerts.c.alert_id == positions.c.alert_id)
          .where(positions.c.mmsi == mmsi, scope_clause(principal))
          .order_by(positions.c.ts.desc()).limit(track_limit))
    track = [{"ts": ts_text(r.ts), "lat": r.lat, "lon": r.lon, "sog_kn": r.sog_kn, "cog_deg": r.cog_deg}
             for r in reversed((await conn.execute(tq)).all())]
    identity = {"mmsi": mmsi, "name": None, "call_sign": None, "imo": None, "flag": None, "ship_type": None,
                "length_m": None}
    last = None
    if v is not None:
        identity.update({k: getattr(v, k) for k in ("name", "call_sign", "imo", "flag", "ship_type", "length_m")})
        if principal.all_zones and v.last_ts is not None and v.last_geojson:
            g = loads(v.last_geojson)
            last = {"ts": ts_text(v.last_ts), "lon": g["coordinates"][0], "lat": g["coordinates"][1]}
    if last is None and track:  # scoped: where the caller's alerts last saw it
        last = {"ts": track[-1]["ts"], "lon": track[-1]["lon"], "lat": track[-1]["lat"]}
    return {"identity": identity, "last_position": last, "track": track, "alerts": history}


async def list_positions(conn: AsyncConnection, principal: Principal, bbox: BBox | None, since_ms: int | None,
                         until_ms: int | None, after_id: int | None, limit: int, *, kinds: tuple[str, ...] = (),
                         position_id: int | None = None) -> list[Any]:
    """Evidence positions (OGC ``tracks`` collection; one by ``position_id``), scoped (and filtered by kind)
    through the alert that stored them."""
    q = (select(positions.c.id, positions.c.mmsi, positions.c.ts, positions.c.sog_kn, positions.c.cog_deg,
                positions.c.alert_id, func.ST_X(positions.c.geom).label("lon"),
                func.ST_Y(positions.c.geom).label("lat"))
         .join(alerts, alerts.c.alert_id == positions.c.alert_id).where(scope_clause(principal)))
    if kinds:
        q = q.where(alerts.c.kind.in_(kinds))
    if bbox is not None:
        q = q.where(func.ST_Intersects(positions.c.geom, _envelope(bbox)))
    if since_ms is not None:
        q = q.where(positions.c.ts >= _dt(since_ms))
    if until_ms is not None:
        q = q.where(positions.c.ts <= _dt(until_ms))
    if after_id is not None:
        q = q.where(positions.c.id > after_id)
    if position_id is not None:
        q = q.where(positions.c.id == position_id)
    return list((await conn.execute(q.order_by(positions.c.id).limit(limit + 1))).all())


async def read_feed(conn: AsyncConnection, after_seq: int, limit: int, only: list[int] | None = None,
                    ) -> list[FeedEvent]:
    """Events after ``after_seq`` in order (at most ``limit``); with ``only``, just those numbers."""
    q = (select(alert_feed.c.seq, alert_feed.c.action, *LIST_COLUMNS)
         .join(alerts, alerts.c.alert_id == alert_feed.c.alert_id)
         .where(alert_feed.c.seq > after_seq).order_by(alert_feed.c.seq).limit(limit))
    if only is not None:
        q = q.where(alert_feed.c.seq.in_(only))
    return [FeedEvent(r.seq, r.action, alert_row_to_dict(r)) for r in (await conn.execute(q)).all()]


async def feed_head(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.coalesce(func.max(alert_feed.c.seq), 0)))).scalar_one())
