"""Read queries of the file exports, streamed from a server-side cursor one chunk at a time.

The alerts are the list's (``queries.list_alerts``): the same filter clauses, zone scope and sort, the first
``limit`` of them. Tracks and detections are those of exactly these alerts. Nothing is read whole into memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import Select, Text, cast, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.api.filters import AlertFilter, SortKey
from services.api.principal import Principal
from services.api.queries import _filter_clauses, _sort_column  # the list's own filter and sort: one meaning
from services.api.rows import LIST_COLUMNS
from services.api.tables import alerts, detections, positions

__all__ = ["alert_rows", "detection_rows", "selected_alerts", "stream_rows", "track_rows"]


def selected_alerts(principal: Principal, f: AlertFilter, sort: SortKey, limit: int, *columns: Any) -> Select[Any]:
    """``columns`` of the first ``limit`` alerts the list would return for this caller, filter and sort."""
    col = _sort_column(sort)
    # a closed time window: sort on an expression so the planner uses the range index (as the list does)
    order_col = func.coalesce(col, col) if f.since_ms is not None and f.until_ms is not None else col
    q = select(*columns).where(*_filter_clauses(f, principal))
    if sort.descending:
        q = q.order_by(order_col.desc(), alerts.c.alert_id.desc())
    else:
        q = q.order_by(order_col.asc(), alerts.c.alert_id.asc())
    return q.limit(limit)


def alert_rows(principal: Principal, f: AlertFilter, sort: SortKey, limit: int) -> Select[Any]:
    """The list's columns of the selected alerts, in its order, and the evidence as JSON text
    (``evidence_json``): the database writes it, no Python objects are made of it only to be dumped again."""
    return selected_alerts(principal, f, sort, limit, *LIST_COLUMNS,
                           cast(alerts.c.evidence, Text).label("evidence_json"))


def track_rows(principal: Principal, f: AlertFilter, sort: SortKey, limit: int) -> Select[Any]:
    """Evidence positions stored with the selected alerts (``positions.alert_id``), by alert, vessel, time."""
    ids = selected_alerts(principal, f, sort, limit, alerts.c.alert_id).subquery()
    return (select(positions.c.alert_id, positions.c.mmsi, positions.c.ts, positions.c.sog_kn, positions.c.cog_deg,
                   func.ST_X(positions.c.geom).label("lon"), func.ST_Y(positions.c.geom).label("lat"))
            .where(positions.c.alert_id.in_(select(ids.c.alert_id)))
            .order_by(positions.c.alert_id, positions.c.mmsi, positions.c.ts))


def detection_rows(principal: Principal, f: AlertFilter, sort: SortKey, limit: int) -> Select[Any]:
    """Satellite detections referenced by the selected alerts (``detection_ids``): one row per (alert,
    detection), by alert, time, detection id."""
    sel = selected_alerts(principal, f, sort, limit, alerts.c.alert_id, alerts.c.detection_ids).subquery()
    return (select(sel.c.alert_id, detections.c.detection_id, detections.c.ts, detections.c.confidence,
                   detections.c.sensor, detections.c.scene_id, detections.c.length_m,
                   func.ST_X(detections.c.geom).label("lon"), func.ST_Y(detections.c.geom).label("lat"))
            .join(detections, detections.c.detection_id == sel.c.detection_ids.any_())
            .order_by(sel.c.alert_id, detections.c.ts, detections.c.detection_id))


async def stream_rows(conn: AsyncConnection, query: Select[Any], chunk: int) -> AsyncIterator[Sequence[Any]]:
    """The query's rows, ``chunk`` at a time, from a server-side cursor."""
    result = await conn.stream(query)
    async for part in result.partitions(chunk):
        yield part
