"""Rendering: JSON (orjson), GeoJSON features and collections, CSV rows. Pure functions over dicts."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response

from msa.domain import JsonDict
from services.api.principal import Principal
from services.api.rows import partner_view

__all__ = ["CSV_COLUMNS", "GEOJSON", "JsonResponseFast", "alert_csv", "alert_feature", "feature_collection",
           "view_for", "wants_geojson"]

GEOJSON = "application/geo+json"


class JsonResponseFast(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def view_for(principal: Principal, alert: JsonDict) -> JsonDict:
    return alert if principal.officer_view else partner_view(alert)


def alert_feature(alert: JsonDict) -> JsonDict:
    props = {k: v for k, v in alert.items() if k != "geometry"}
    return {"type": "Feature", "id": alert["alert_id"], "geometry": alert.get("geometry"), "properties": props}


def feature_collection(features: list[JsonDict], links: list[JsonDict] | None = None,
                       **extra: Any) -> JsonDict:
    fc: JsonDict = {"type": "FeatureCollection", "features": features}
    if links is not None:
        fc["links"] = links
    fc.update(extra)
    return fc


def wants_geojson(request: Request, f: str | None) -> bool:
    if f is not None:
        return f == "geojson"
    accept = request.headers.get("accept", "")
    return GEOJSON in accept and "application/json" not in accept.split(GEOJSON)[0]


CSV_COLUMNS = ("alert_id", "kind", "status", "version", "zone", "severity", "score", "start", "end", "updated",
               "mmsi", "vessel_names", "lon", "lat", "summary", "workflow_state", "assignee", "closed_reason")


def _point(geometry: JsonDict | None) -> tuple[float | None, float | None]:
    """A representative point: the geometry's first coordinate pair."""
    node: Any = (geometry or {}).get("coordinates")
    while isinstance(node, list) and node and isinstance(node[0], list):
        node = node[0]
    if isinstance(node, list) and len(node) >= 2:
        return float(node[0]), float(node[1])
    return None, None


def alert_csv(alerts: Iterable[JsonDict], officer: bool) -> Iterable[str]:
    """CSV text in chunks: header first. Officer-only columns are left out for partners."""
    cols = [c for c in CSV_COLUMNS if officer or c not in ("workflow_state", "assignee", "closed_reason")]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    yield buf.getvalue()
    for a in alerts:
        buf.seek(0)
        buf.truncate()
        lon, lat = _point(a.get("geometry"))
        wf = a.get("workflow") or {}
        row = {**a, "mmsi": " ".join(str(m) for m in a.get("mmsi", [])),
               "vessel_names": " | ".join(str(v.get("name") or "") for v in a.get("vessels", [])),
               "lon": lon, "lat": lat, "workflow_state": wf.get("state"), "assignee": wf.get("assignee"),
               "closed_reason": wf.get("closed_reason")}
        w.writerow(["" if row.get(c) is None else _safe(row[c]) for c in cols])
        yield buf.getvalue()


def _safe(v: Any) -> Any:
    """Neutralise spreadsheet formula injection in text cells."""
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@"):
        return "'" + v
    return v
