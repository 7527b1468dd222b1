"""Does an alert (as its public dict) pass a filter and a principal's scope? Used by the live feed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from msa.domain import JsonDict, parse_ts
from services.api.filters import AlertFilter, BBox
from services.api.principal import Principal

__all__ = ["alert_matches", "geometry_bbox", "geometry_in_bbox", "in_scope"]


def in_scope(principal: Principal, zone: str) -> bool:
    return principal.sees_zone(zone)


def _coords(node: Any) -> Iterator[tuple[float, float]]:
    if isinstance(node, list | tuple) and node and isinstance(node[0], int | float):
        yield float(node[0]), float(node[1])
    elif isinstance(node, list | tuple):
        for child in node:
            yield from _coords(child)


def geometry_bbox(geometry: JsonDict | None) -> BBox | None:
    if not geometry:
        return None
    if geometry.get("type") == "GeometryCollection":
        pts = [p for g in geometry.get("geometries", []) for p in _coords(g.get("coordinates"))]
    else:
        pts = list(_coords(geometry.get("coordinates")))
    if not pts:
        return None
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return BBox(min(xs), min(ys), max(xs), max(ys))


def _intersects(a: BBox, b: BBox) -> bool:
    return a.min_lon <= b.max_lon and b.min_lon <= a.max_lon and a.min_lat <= b.max_lat and b.min_lat <= a.max_lat


def geometry_in_bbox(geometry: JsonDict | None, box: BBox) -> bool:
    """Like the list's ``ST_Intersects``: exact for (Multi)Points — an identity anomaly's far-apart segment
    centroids must not match a box between them — and by the geometry's envelope for lines and polygons."""
    if geometry and geometry.get("type") in ("Point", "MultiPoint"):
        return any(box.min_lon <= x <= box.max_lon and box.min_lat <= y <= box.max_lat
                   for x, y in _coords(geometry.get("coordinates")))
    gb = geometry_bbox(geometry)
    return gb is not None and _intersects(gb, box)


def alert_matches(f: AlertFilter, principal: Principal, alert: JsonDict) -> bool:
    """``alert`` is the officer-view dict (alert_to_dict fields plus ``workflow``)."""
    zone = str(alert.get("zone", ""))
    if not in_scope(principal, zone):
        return False
    if f.kinds and alert.get("kind") not in f.kinds:
        return False
    if f.zones and zone not in f.zones:
        return False
    if f.statuses and alert.get("status") not in f.statuses:
        return False
    if f.severities and alert.get("severity") not in f.severities:
        return False
    if f.workflow and principal.officer_view:
        state = (alert.get("workflow") or {}).get("state")
        if state not in f.workflow:
            return False
    if f.mmsi is not None and f.mmsi not in (alert.get("mmsi") or []):
        return False
    if f.since_ms is not None or f.until_ms is not None:
        start = parse_ts(alert["start"])
        end = parse_ts(alert["end"]) if alert.get("end") else parse_ts(alert["updated"])
        if f.since_ms is not None and end < f.since_ms:
            return False
        if f.until_ms is not None and start > f.until_ms:
            return False
    return f.bbox is None or geometry_in_bbox(alert.get("geometry"), f.bbox)
