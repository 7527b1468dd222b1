"""The layers of the GeoPackage and GeoParquet exports, as GeoDataFrames built one chunk of rows at a time.

Three layers, each of points in WGS84 (lon, lat):

* ``alerts`` — one row per alert, the point at the alert's position (the first coordinate of its geometry,
  which never changes between versions: the CSV export's ``lon``/``lat``), the alert's columns, and its full
  geometry, vessels and evidence as GeoJSON/JSON text (GeoPackage and Parquet readers have no nested types
  in common);
* ``tracks`` — one row per evidence position (``positions`` rows linked to the alert by ``alert_id``);
* ``detections`` — one row per (alert, satellite detection it references).

Each builder returns a frame with the same dtypes whether the chunk is empty or not, so the first chunk
fixes the file's schema. Pure: rows in, frames out.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely

from msa.domain import JsonDict
from services.api.render import _point as first_coordinate

__all__ = ["ALERT_COLUMNS", "DETECTION_COLUMNS", "OFFICER_COLUMNS", "TRACK_COLUMNS", "Layer", "alerts_frame",
           "detections_frame", "tracks_frame"]

CRS = "EPSG:4326"
TIME = "datetime64[ms, UTC]"


class Layer(StrEnum):
    ALERTS = "alerts"
    TRACKS = "tracks"
    DETECTIONS = "detections"


# column → dtype, in file order (geometry last)
ALERT_COLUMNS: dict[str, str] = {
    "alert_id": "string", "kind": "string", "status": "string", "version": "int32", "zone": "string",
    "severity": "string", "score": "float64", "start": TIME, "end": TIME, "updated": TIME, "mmsi": "string",
    "vessel_names": "string", "summary": "string", "detection_ids": "string", "geometry_json": "string",
    "vessels_json": "string", "evidence_json": "string",
}
OFFICER_COLUMNS: dict[str, str] = {"workflow_state": "string", "assignee": "string", "closed_reason": "string"}
TRACK_COLUMNS: dict[str, str] = {"alert_id": "string", "mmsi": "int64", "ts": TIME, "sog_kn": "Float64",
                                 "cog_deg": "Float64"}
DETECTION_COLUMNS: dict[str, str] = {"alert_id": "string", "detection_id": "string", "ts": TIME,
                                     "confidence": "float64", "sensor": "string", "scene_id": "string",
                                     "length_m": "Float64"}


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _frame(columns: dict[str, str], data: dict[str, list[Any]], lons: list[float | None],
           lats: list[float | None]) -> gpd.GeoDataFrame:
    series = {}
    for name, dtype in columns.items():
        values = data[name]
        if dtype == TIME:
            series[name] = pd.to_datetime(pd.Series(values, dtype="object"), utc=True, format="ISO8601"
                                          ).astype(pd.DatetimeTZDtype(unit="ms", tz="UTC"))
        else:
            series[name] = pd.Series(values, dtype=dtype)
    missing = np.array([x is None or y is None for x, y in zip(lons, lats, strict=True)], dtype=bool)
    points: Any = shapely.points(np.array([0.0 if x is None else x for x in lons], dtype="float64"),
                            np.array([0.0 if y is None else y for y in lats], dtype="float64"))
    points[missing] = None  # no coordinate: a null geometry, never a made-up point
    return gpd.GeoDataFrame(series, geometry=gpd.GeoSeries(points, crs=CRS), crs=CRS)


def alerts_frame(alerts: Sequence[JsonDict], officer: bool) -> gpd.GeoDataFrame:
    """Alert dicts (``rows.alert_row_to_dict``, already in the caller's view) → ``alerts``; the evidence as
    ``evidence_json`` text when the query gave it so, else from ``evidence``."""
    columns = {**ALERT_COLUMNS, **(OFFICER_COLUMNS if officer else {})}
    data: dict[str, list[Any]] = {c: [] for c in columns}
    lons: list[float | None] = []
    lats: list[float | None] = []
    for a in alerts:
        lon, lat = first_coordinate(a.get("geometry"))
        lons.append(lon)
        lats.append(lat)
        wf = a.get("workflow") or {}
        row = {**a, "mmsi": " ".join(str(m) for m in a.get("mmsi", [])),
               "vessel_names": " | ".join(str(v.get("name") or "") for v in a.get("vessels", [])),
               "detection_ids": " ".join(a.get("detection_ids", [])),
               "geometry_json": _json(a.get("geometry")), "vessels_json": _json(a.get("vessels", [])),
               "evidence_json": a.get("evidence_json") or _json(a.get("evidence", {})),
               "workflow_state": wf.get("state"), "assignee": wf.get("assignee"),
               "closed_reason": wf.get("closed_reason")}
        for c in columns:
            data[c].append(row.get(c))
    return _frame(columns, data, lons, lats)


def _rows_frame(columns: dict[str, str], rows: Sequence[Any]) -> gpd.GeoDataFrame:
    data = {c: [getattr(r, c) for r in rows] for c in columns}
    return _frame(columns, data, [r.lon for r in rows], [r.lat for r in rows])


def tracks_frame(rows: Sequence[Any]) -> gpd.GeoDataFrame:
    """Rows with ``alert_id, mmsi, ts, sog_kn, cog_deg, lon, lat`` → ``tracks``."""
    return _rows_frame(TRACK_COLUMNS, rows)


def detections_frame(rows: Sequence[Any]) -> gpd.GeoDataFrame:
    """Rows with ``alert_id, detection_id, ts, confidence, sensor, scene_id, length_m, lon, lat`` →
    ``detections``."""
    return _rows_frame(DETECTION_COLUMNS, rows)
