"""How an alert is matched to a truth item (an event, or a decoy it must not raise).

* Same kind.
* A truth item that names a satellite ``detection_id`` matches an alert listing that id.
* A dark vessel (no MMSI) otherwise matches an alert whose geometry lies within ``radius_m`` (5 km) of
  the truth location and whose start is within ``tolerance_s`` (30 min) of the detection time.
* Every other item matches an alert sharing at least one MMSI whose time span [start, end] overlaps the
  item's span widened by ``tolerance_s`` (an open alert spans [start, start]).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from msa.domain import parse_ts
from services.simulate.latlon_geodesy import distance_m
from services.simulate.model import TruthItem

__all__ = ["AlertView", "MatchRules", "alert_view", "matches", "representative_point"]


@dataclass(frozen=True, slots=True)
class MatchRules:
    tolerance_s: float = 1800.0
    radius_m: float = 5000.0


@dataclass(frozen=True, slots=True)
class AlertView:
    """The fields of an alert (``alert_to_dict`` format) the scoring needs; lenient about the rest."""

    alert_id: str
    kind: str
    status: str
    mmsi: tuple[int, ...]
    start_ms: int
    end_ms: int | None
    zone: str
    point: tuple[float, float] | None  # (lat, lon)
    detection_ids: tuple[str, ...]
    evidence: dict[str, Any]
    updated_ms: int | None = None  # event time of the alert's last version (an open alert lasts at least so long)


def representative_point(geometry: Any) -> tuple[float, float] | None:
    """Mean (lat, lon) of all positions of a GeoJSON geometry, None if it has none."""
    pts: list[tuple[float, float]] = []

    def walk(c: Any) -> None:
        if isinstance(c, (list, tuple)) and len(c) >= 2 and all(isinstance(v, (int, float)) for v in c[:2]):
            pts.append((float(c[1]), float(c[0])))
        elif isinstance(c, (list, tuple)):
            for sub in c:
                walk(sub)

    if isinstance(geometry, dict):
        if geometry.get("type") == "GeometryCollection":
            for g in geometry.get("geometries", []):
                p = representative_point(g)
                if p is not None:
                    pts.append(p)
        else:
            walk(geometry.get("coordinates"))
    if not pts:
        return None
    return sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)


def alert_view(d: dict[str, Any]) -> AlertView:
    end = d.get("end")
    updated = d.get("updated")
    return AlertView(
        alert_id=str(d["alert_id"]), kind=str(d["kind"]), status=str(d.get("status", "open")),
        mmsi=tuple(int(m) for m in d.get("mmsi") or ()), start_ms=parse_ts(str(d["start"])),
        end_ms=None if end is None else parse_ts(str(end)), zone=str(d.get("zone", "")),
        point=representative_point(d.get("geometry")),
        detection_ids=tuple(str(x) for x in d.get("detection_ids") or ()),
        evidence=dict(d.get("evidence") or {}),
        updated_ms=None if updated is None else parse_ts(str(updated)),
    )


def matches(alert: AlertView, item: TruthItem, rules: MatchRules = MatchRules(), kind: str | None = None) -> bool:
    """Whether ``alert`` is about ``item`` (compared as kind ``kind``, by default the item's own)."""
    if alert.kind != (kind or item.kind):
        return False
    tol_ms = int(rules.tolerance_s * 1000)
    if item.detection_id is not None and item.detection_id in alert.detection_ids:
        return True
    if not item.mmsi:
        if alert.point is None or abs(alert.start_ms - item.start_ms) > tol_ms:
            return False
        return distance_m(alert.point[0], alert.point[1], item.lat, item.lon) <= rules.radius_m
    if not set(alert.mmsi) & set(item.mmsi):
        return False
    # an open alert (no end yet) spans at least up to its last version
    a_end = alert.end_ms if alert.end_ms is not None else max(alert.start_ms, alert.updated_ms or alert.start_ms)
    return alert.start_ms <= item.end_ms + tol_ms and a_end >= item.start_ms - tol_ms
