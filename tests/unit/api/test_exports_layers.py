"""Export layers and writers without a database: frames from rows, chunked GeoPackage and GeoParquet files read
back by geopandas, and the export routes' 4xx (decided before any connection is opened)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import geopandas as gpd
import orjson
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest

from msa.contracts.cloudevents import alert_feature
from msa.domain import AlertKind, AlertStatus, format_ts
from services.api.export_layers import ALERT_COLUMNS, OFFICER_COLUMNS, alerts_frame, detections_frame, tracks_frame
from services.api.export_writers import GeoPackageWriter, GeoParquetWriter
from services.api.principal import Role
from services.api.render import alert_csv
from tests.unit.api.builders import T0_MS, alert, identity_anomaly, token
from tests.unit.api.test_app import client


def as_api_dict(a: Any, *, workflow: bool = True) -> dict[str, Any]:
    """An alert as ``rows.alert_row_to_dict`` gives it (properties + geometry + workflow)."""
    f = alert_feature(a)
    d: dict[str, Any] = {**f["properties"], "geometry": f["geometry"]}
    if workflow:
        d["workflow"] = {"state": "new", "assignee": None, "closed_reason": None, "version": 1}
    return d


def fix(alert_id: str, mmsi: int, i: int, lon: float, lat: float, sog: float | None) -> SimpleNamespace:
    return SimpleNamespace(alert_id=alert_id, mmsi=mmsi, ts=pd.Timestamp(T0_MS + i * 60_000, unit="ms", tz="UTC"
                                                                          ).to_pydatetime(),
                           sog_kn=sog, cog_deg=None, lon=lon, lat=lat)


def test_alert_rows_are_points_at_the_alerts_first_coordinate_like_the_csv() -> None:
    ident = identity_anomaly(places=((-9.1, 38.7), (-15.4, 28.1)), status=AlertStatus.CLOSED)
    alerts = [as_api_dict(alert(lon=-4.5, lat=36.0)), as_api_dict(ident)]
    frame = alerts_frame(alerts, officer=True)
    csv_rows = csv.DictReader(io.StringIO("".join(alert_csv(alerts, officer=True))))
    assert [(g.x, g.y) for g in frame.geometry] == [(float(r["lon"]), float(r["lat"])) for r in csv_rows]
    assert list(frame.columns) == [*ALERT_COLUMNS, *OFFICER_COLUMNS, "geometry"]
    assert json.loads(frame["geometry_json"][1])["type"] == "MultiPoint"
    assert json.loads(frame["evidence_json"][1])["clusters"][0]["positions"]
    assert frame["start"][0] == pd.Timestamp(T0_MS, unit="ms", tz="UTC")
    assert pd.isna(frame["end"][0]) and frame["workflow_state"][0] == "new"


def test_partners_columns_leave_the_workflow_out_and_a_missing_geometry_stays_null() -> None:
    a = as_api_dict(alert(), workflow=False)
    a["geometry"] = None
    frame = alerts_frame([a], officer=False)
    assert not set(OFFICER_COLUMNS) & set(frame.columns)
    assert frame.geometry.isna().tolist() == [True]


def test_empty_chunks_have_the_dtypes_of_full_ones() -> None:
    full = [alerts_frame([as_api_dict(alert())], officer=True), tracks_frame([fix("a", 1, 0, 1.0, 2.0, 3.0)]),
            detections_frame([SimpleNamespace(alert_id="a", detection_id="d", ts=fix("a", 1, 0, 0, 0, 0).ts,
                                              confidence=0.9, sensor="S1A", scene_id="s", length_m=None, lon=1.0,
                                              lat=2.0)])]
    empty = [alerts_frame([], officer=True), tracks_frame([]), detections_frame([])]
    for f, e in zip(full, empty, strict=True):
        assert e.dtypes.to_dict() == f.dtypes.to_dict() and len(e) == 0


def test_geopackage_chunks_append_and_an_empty_layer_exists(tmp_path: Path) -> None:
    path = tmp_path / "x.gpkg"
    w = GeoPackageWriter(path)
    w.write("tracks", tracks_frame([fix("a", 224000001, i, -4.0 + i / 100, 36.0, 30.0) for i in range(3)]))
    w.write("tracks", tracks_frame([fix("b", 224000002, i, -5.0, 35.0, None) for i in range(2)]))
    w.write("detections", detections_frame([]))
    w.close()
    assert [n for n, _ in pyogrio.list_layers(path)] == ["tracks", "detections"]
    tracks = gpd.read_file(path, layer="tracks")
    assert list(tracks["alert_id"]) == ["a", "a", "a", "b", "b"]
    assert tracks["sog_kn"].isna().tolist() == [False] * 3 + [True] * 2
    assert tracks["ts"][1] == pd.Timestamp(T0_MS + 60_000, unit="ms", tz="UTC")
    assert len(gpd.read_file(path, layer="detections")) == 0


def test_geoparquet_chunks_make_one_file_with_the_union_bbox(tmp_path: Path) -> None:
    path = tmp_path / "tracks.parquet"
    w = GeoParquetWriter(path)
    w.write("tracks", tracks_frame([fix("a", 1, 0, -4.0, 36.0, 1.0), fix("a", 1, 1, -3.0, 36.5, 2.0)]))
    w.write("tracks", tracks_frame([fix("b", 2, 0, -9.0, 38.0, None)]))
    with pytest.raises(ValueError, match="one layer"):
        w.write("alerts", alerts_frame([], officer=True))
    w.close()
    geo = orjson.loads(pq.read_metadata(path).metadata[b"geo"])
    assert geo["version"] == "1.1.0" and geo["columns"]["geometry"]["geometry_types"] == ["Point"]
    assert geo["columns"]["geometry"]["bbox"] == [-9.0, 36.0, -3.0, 38.0]
    back = gpd.read_parquet(path)
    assert back.crs.to_epsg() == 4326 and list(back["mmsi"]) == [1, 1, 2]
    assert [(g.x, g.y) for g in back.geometry] == [(-4.0, 36.0), (-3.0, 36.5), (-9.0, 38.0)]


def test_geoparquet_of_nothing_is_a_valid_empty_file_and_closing_unwritten_is_an_error(tmp_path: Path) -> None:
    w = GeoParquetWriter(tmp_path / "e.parquet")
    with pytest.raises(ValueError, match="nothing written"):
        w.close()
    w.write("detections", detections_frame([]))
    w.close()
    back = gpd.read_parquet(tmp_path / "e.parquet")
    assert len(back) == 0 and "bbox" not in orjson.loads(pq.read_metadata(tmp_path / "e.parquet")
                                                         .metadata[b"geo"])["columns"]["geometry"]


async def test_export_routes_refuse_bad_parameters_before_reading_anything() -> None:
    officer = {"Authorization": f"Bearer {token(Role.OFFICER)}"}
    partner = {"Authorization": f"Bearer {token(Role.PARTNER)}"}
    async with client() as c:  # no database behind it: each answer below is decided before a connection
        r = await c.get("/alerts/export.parquet", params={"layer": "positions"}, headers=officer)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        (err,) = r.json()["errors"]
        assert err["loc"] == ["query", "layer"] and "alerts" in err["msg"] and "detections" in err["msg"]
        r = await c.get("/alerts/export.gpkg", params={"limit": 100_001}, headers=officer)
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["query", "limit"]
        r = await c.get("/alerts/export.gpkg", params={"kind": str(AlertKind.GO_FAST) + "x"}, headers=officer)
        assert r.status_code == 422 and r.json()["errors"][0]["loc"][:2] == ["query", "kind"]
        r = await c.get("/alerts/export.gpkg", params={"sort": "-mmsi"}, headers=officer)
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["query", "sort"]
        r = await c.get("/alerts/export.parquet", params={"bbox": "10,0,5,1"}, headers=officer)
        assert r.status_code == 400 and "bbox" in r.json()["detail"]
        r = await c.get("/alerts/export.gpkg", params={"since": format_ts(T0_MS + 1), "until": format_ts(T0_MS)},
                        headers=officer)
        assert r.status_code == 400 and r.json()["detail"] == "since is after until"
        # the export routes come before /alerts/{alert_id}: a partner is refused, not looked up as an alert
        for path in ("/alerts/export.gpkg", "/alerts/export.parquet"):
            r = await c.get(path, headers=partner)
            assert r.status_code == 403 and r.json()["type"].endswith("/forbidden"), path
            assert (await c.get(path)).status_code == 401, path


async def test_openapi_documents_the_exports_media_types() -> None:
    async with client() as c:
        paths = (await c.get("/openapi.json")).json()["paths"]
    assert "application/geopackage+sqlite3" in paths["/alerts/export.gpkg"]["get"]["responses"]["200"]["content"]
    assert "application/vnd.apache.parquet" in paths["/alerts/export.parquet"]["get"]["responses"]["200"]["content"]
    assert "application/xml" in paths["/alerts/{alert_id}/cise.xml"]["get"]["responses"]["200"]["content"]
