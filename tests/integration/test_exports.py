"""GeoPackage, GeoParquet and CISE exports against the real PostGIS and the real API.

The database holds what the detector really wrote: ``msa simulate`` → ``msa detect`` (one scenario per alert
kind) → the CloudEvent the detector publishes → the sink's decoding and storing (``decode_alert``,
``upsert_alert``). Each file is opened by its reader (geopandas: pyogrio for the GeoPackage, pyarrow for the
GeoParquet) and must hold the same rows and geometries as the API serves for the same filter.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import geopandas as gpd
import httpx
import orjson
import pyarrow.parquet as pq
import pyogrio
import pytest
import xmlschema
from xmlschema.loaders import LocationSchemaLoader

from msa.contracts.codec import alert_from_dict
from msa.domain import Alert, AlertKind, parse_ts
from services.api.cise import ANOMALY_TYPES
from services.api.principal import Role
from services.api.wire import decode_alert, encode_alert
from tests.unit.api.builders import alert, token
from tests.unit.api.live import api_settings, bearer, running_api, seed

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
# one scenario per kind the detector raises (identity_shared gives two identity anomalies)
SCENARIOS = ("alboran_gofast", "strait_dark", "offshore_rendezvous", "dark_vessel", "dark_rendezvous",
             "identity_shared")
GPKG = "application/geopackage+sqlite3"
PARQUET = "application/vnd.apache.parquet"


def _msa(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "msa.cli", *args], check=True, cwd=REPO, capture_output=True, timeout=240)


@pytest.fixture(scope="module")
def detected(tmp_path_factory: pytest.TempPathFactory) -> list[Alert]:
    """The detector's alerts for each scenario, as the sink receives them (through the CloudEvent)."""
    out: list[Alert] = []
    for name in SCENARIOS:
        d = tmp_path_factory.mktemp(name)
        _msa("simulate", "--scenario", name, "--seed", "1", "--out", str(d))
        _msa("detect", str(d / "ais.nmea"), "--sat", str(d / "sat.geojson"), "--out", str(d / "alerts.jsonl"))
        for line in (d / "alerts.jsonl").read_text().splitlines():
            _, headers, value = encode_alert(alert_from_dict(json.loads(line)))
            out.append(decode_alert(list(headers), value))
    assert {a.kind for a in out} == set(AlertKind), "a scenario no longer raises its kind"
    return out


@pytest.fixture(scope="module")
def stored(detected: list[Alert], migrated_database_url: str) -> Iterator[list[Alert]]:
    import asyncio

    asyncio.run(seed(migrated_database_url, detected))
    yield detected


def _officer(alerts: list[Alert]) -> dict[str, str]:
    return bearer(token(Role.OFFICER, tuple(sorted({a.zone for a in alerts}))))


def _first(coords: Any) -> tuple[float, float]:
    while isinstance(coords[0], list):
        coords = coords[0]
    return float(coords[0]), float(coords[1])


async def _geojson(c: httpx.AsyncClient, headers: dict[str, str], params: dict[str, Any]) -> list[dict[str, Any]]:
    r = await c.get("/alerts/export.geojson", params=params, headers=headers)
    assert r.status_code == 200, r.text
    features: list[dict[str, Any]] = r.json()["features"]
    return features


async def _api_tracks(c: httpx.AsyncClient, headers: dict[str, str], ids: set[str]) -> set[tuple[Any, ...]]:
    """Evidence positions of these alerts, from the OGC ``tracks`` collection (every page)."""
    rows: set[tuple[Any, ...]] = set()
    url: str | None = "/collections/tracks/items?limit=10000"
    while url:
        body = (await c.get(url, headers=headers)).json()
        for f in body["features"]:
            p = f["properties"]
            if p["alert_id"] in ids:
                lon, lat = f["geometry"]["coordinates"]
                rows.add((p["alert_id"], p["mmsi"], parse_ts(p["ts"]), round(lon, 6), round(lat, 6), p["sog_kn"]))
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
    return rows


async def _api_detections(c: httpx.AsyncClient, headers: dict[str, str], ids: list[str]) -> set[tuple[Any, ...]]:
    rows: set[tuple[Any, ...]] = set()
    for alert_id in ids:
        for d in (await c.get(f"/alerts/{alert_id}", headers=headers)).json()["detections"]:
            rows.add((alert_id, d["detection_id"], parse_ts(d["ts"]), round(d["lon"], 6), round(d["lat"], 6)))
    return rows


def _ms(series: Any) -> list[int | None]:
    return [None if v is None or v != v else round(v.timestamp() * 1000) for v in series]  # NaT != NaT


def _check_alerts_layer(layer: gpd.GeoDataFrame, features: list[dict[str, Any]]) -> None:
    assert list(layer["alert_id"]) == [f["id"] for f in features]  # same rows, same order
    for (_, row), f in zip(layer.iterrows(), features, strict=True):
        p = f["properties"]
        assert (row.geometry.x, row.geometry.y) == pytest.approx(_first(f["geometry"]["coordinates"]), abs=1e-9)
        assert json.loads(row["geometry_json"]) == f["geometry"]
        assert (row["kind"], row["status"], int(row["version"]), row["zone"], row["severity"]) == \
            (p["kind"], p["status"], p["version"], p["zone"], p["severity"])
        assert row["score"] == pytest.approx(p["score"])
        assert row["mmsi"] == " ".join(str(m) for m in p["mmsi"])
        assert _ms([row["start"], row["end"], row["updated"]]) == \
            [parse_ts(p["start"]), parse_ts(p["end"]) if p["end"] else None, parse_ts(p["updated"])]
        assert json.loads(row["evidence_json"]) == p["evidence"]
        assert row["workflow_state"] == p["workflow"]["state"]


def _layer_rows(layer: gpd.GeoDataFrame, detections: bool = False) -> set[tuple[Any, ...]]:
    out = set()
    for (_, r), t in zip(layer.iterrows(), _ms(layer["ts"]), strict=True):
        key = r["detection_id"] if detections else int(r["mmsi"])
        tail = () if detections else (None if r["sog_kn"] != r["sog_kn"] else float(r["sog_kn"]),)
        out.add((r["alert_id"], key, t, round(r.geometry.x, 6), round(r.geometry.y, 6), *tail))
    return out


async def test_geopackage_holds_what_the_api_serves(stored: list[Alert], migrated_database_url: str,
                                                    tmp_path: Path) -> None:
    headers = _officer(stored)
    async with running_api(api_settings(migrated_database_url)) as base, \
            httpx.AsyncClient(base_url=base, timeout=120) as c:
        for params in ({}, {"kind": ["go_fast", "dark_rendezvous"], "sort": "start"}):
            features = await _geojson(c, headers, params)
            r = await c.get("/alerts/export.gpkg", params=params, headers=headers)
            assert r.status_code == 200, r.text
            assert r.headers["content-type"] == GPKG
            assert r.headers["content-disposition"] == 'attachment; filename="alerts.gpkg"'
            path = tmp_path / "alerts.gpkg"
            path.write_bytes(r.content)
            assert [name for name, _ in pyogrio.list_layers(path)] == ["alerts", "tracks", "detections"]
            alerts_layer = gpd.read_file(path, layer="alerts")
            assert alerts_layer.crs.to_epsg() == 4326
            _check_alerts_layer(alerts_layer, features)
            ids = {f["id"] for f in features}
            tracks = gpd.read_file(path, layer="tracks")
            assert _layer_rows(tracks) == await _api_tracks(c, headers, ids)
            detections = gpd.read_file(path, layer="detections")
            assert _layer_rows(detections, detections=True) == await _api_detections(c, headers, sorted(ids))
        # the go-fast's run is stored as its evidence track, so the tracks layer has something to hold
        go_fast = next(a.alert_id for a in stored if a.kind is AlertKind.GO_FAST)
        assert (tracks["alert_id"] == go_fast).sum() >= 3


async def test_geoparquet_one_file_per_layer(stored: list[Alert], migrated_database_url: str) -> None:
    headers = _officer(stored)
    params = {"sort": "-start"}
    async with running_api(api_settings(migrated_database_url)) as base, \
            httpx.AsyncClient(base_url=base, timeout=120) as c:
        features = await _geojson(c, headers, params)
        ids = {f["id"] for f in features}
        files = {}
        for layer in ("alerts", "tracks", "detections"):
            r = await c.get("/alerts/export.parquet", params={**params, "layer": layer}, headers=headers)
            assert r.status_code == 200, r.text
            assert r.headers["content-type"] == PARQUET
            assert r.headers["content-disposition"] == f'attachment; filename="{layer}.parquet"'
            files[layer] = r.content
            geo = orjson.loads(pq.read_metadata(io.BytesIO(r.content)).metadata[b"geo"])
            assert geo["version"] == "1.1.0" and geo["primary_column"] == "geometry"
            assert geo["columns"]["geometry"]["encoding"] == "WKB"
        alerts_layer = gpd.read_parquet(io.BytesIO(files["alerts"]))
        assert alerts_layer.crs.to_epsg() == 4326
        _check_alerts_layer(alerts_layer, features)
        minx, miny, maxx, maxy = orjson.loads(pq.read_metadata(io.BytesIO(files["alerts"])).metadata[b"geo"]
                                              )["columns"]["geometry"]["bbox"]
        assert (minx, miny, maxx, maxy) == pytest.approx(tuple(alerts_layer.total_bounds))
        assert _layer_rows(gpd.read_parquet(io.BytesIO(files["tracks"]))) == await _api_tracks(c, headers, ids)
        assert _layer_rows(gpd.read_parquet(io.BytesIO(files["detections"])), detections=True) == \
            await _api_detections(c, headers, sorted(ids))


async def test_detections_layer_links_each_alert_to_its_stored_detections(migrated_database_url: str) -> None:
    """A dark vessel's detection and a dark period's two sightings, as the detector writes them."""
    zone = "exports-detections"
    dark = alert(zone=zone, mmsi=(), kind=AlertKind.DARK_VESSEL, lon=-4.1, lat=36.2, extra="exp-det-1",
                 detection_ids=("exp-det-1",))
    period = alert(zone=zone, mmsi=(224555001,), kind=AlertKind.DARK_PERIOD, detection_ids=("exp-det-2", "exp-det-3"))
    want = sorted((a.alert_id, d["detection_id"], d["sensor"], d["length_m"], round(d["lon"], 6), round(d["lat"], 6))
                  for a in (dark, period) for d in a.evidence["detections"])
    assert [w[1] for w in want if w[0] == period.alert_id] == ["exp-det-2", "exp-det-3"]
    await seed(migrated_database_url, [dark, period])
    headers = bearer(token(Role.TESTER, (zone,)))
    async with running_api(api_settings(migrated_database_url)) as base, \
            httpx.AsyncClient(base_url=base, timeout=60) as c:
        r = await c.get("/alerts/export.parquet", params={"layer": "detections"}, headers=headers)
        layer = gpd.read_parquet(io.BytesIO(r.content))
        got = sorted(zip(layer["alert_id"], layer["detection_id"], layer["sensor"], layer["length_m"],
                         (round(g.x, 6) for g in layer.geometry), (round(g.y, 6) for g in layer.geometry),
                         strict=True))
        assert got == want  # one row per (alert, detection), where the satellite saw it
        assert [(w[4], w[5]) for w in want if w[0] == dark.alert_id] == [(-4.1, 36.2)]
        assert _layer_rows(layer, detections=True) == \
            await _api_detections(c, headers, [dark.alert_id, period.alert_id])


async def test_bad_parameters_and_scope(stored: list[Alert], migrated_database_url: str) -> None:
    headers = _officer(stored)
    partner = bearer(token(Role.PARTNER, tuple(sorted({a.zone for a in stored}))))
    foreign = bearer(token(Role.OFFICER, ("nowhere",)))
    async with running_api(api_settings(migrated_database_url)) as base, \
            httpx.AsyncClient(base_url=base, timeout=60) as c:
        r = await c.get("/alerts/export.parquet", params={"layer": "positions"}, headers=headers)
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["query", "layer"]
        for limit in (0, 100_001):
            r = await c.get("/alerts/export.gpkg", params={"limit": limit}, headers=headers)
            assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["query", "limit"]
        r = await c.get("/alerts/export.gpkg", params={"kind": "go_slow"}, headers=headers)
        assert r.status_code == 422 and r.json()["errors"][0]["loc"][:2] == ["query", "kind"]
        r = await c.get("/alerts/export.gpkg", params={"bbox": "1,2,3"}, headers=headers)
        assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
        r = await c.get("/alerts/export.parquet", params={"since": "2026-02-01T00:00:00Z",
                                                           "until": "2026-01-01T00:00:00Z"}, headers=headers)
        assert r.status_code == 400
        assert (await c.get("/alerts/export.gpkg")).status_code == 401
        assert (await c.get("/alerts/export.gpkg", headers=partner)).status_code == 403
        assert (await c.get("/alerts/export.parquet", headers=partner)).status_code == 403
        # out of scope: an empty file, not someone else's alerts
        r = await c.get("/alerts/export.parquet", headers=foreign)
        assert r.status_code == 200 and len(gpd.read_parquet(io.BytesIO(r.content))) == 0


def _cise_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(REPO / "schemas" / "cise" / "msa-anomaly.xsd"), loader_class=LocationSchemaLoader)


async def test_cise_xml_of_every_kind_is_valid(stored: list[Alert], migrated_database_url: str) -> None:
    schema = _cise_schema()
    zones = tuple(sorted({a.zone for a in stored}))
    async with running_api(api_settings(migrated_database_url)) as base, \
            httpx.AsyncClient(base_url=base, timeout=60) as c:
        for role in (Role.OFFICER, Role.PARTNER):  # partner centres are who CISE is for
            headers = bearer(token(role, zones))
            for a in stored:
                r = await c.get(f"/alerts/{a.alert_id}/cise.xml", headers=headers)
                assert r.status_code == 200, r.text
                assert r.headers["content-type"].startswith("application/xml")
                schema.validate(r.content)
                doc = ET.fromstring(r.content)
                assert doc.findtext("AnomalyType") == ANOMALY_TYPES[a.kind]
                mmsis = [int(e.text or "") for e in doc.iter("MMSI")]
                assert mmsis == list(a.mmsi)
                unidentified = [o for o in doc.iter("Object") if o.find("MMSI") is None]
                assert len(unidentified) == (1 if a.kind in (AlertKind.DARK_VESSEL, AlertKind.DARK_RENDEZVOUS)
                                             else 0)
                assert f"alert_id={a.alert_id}" in (doc.findtext("Metadata/Comments") or "")
        r = await c.get("/alerts/doesnotexist/cise.xml", headers=bearer(token(Role.OFFICER, zones)))
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
        r = await c.get(f"/alerts/{stored[0].alert_id}/cise.xml", headers=bearer(token(Role.PARTNER, ("nowhere",))))
        assert r.status_code == 404  # out of scope looks missing


async def test_chunks_of_a_few_rows_make_the_same_files(stored: list[Alert], migrated_database_url: str,
                                                        tmp_path: Path) -> None:
    """Many appended chunks (3 rows each) give exactly the file one chunk gives."""
    from services.api.db import make_engine
    from services.api.export_layers import Layer
    from services.api.exports import ExportFormat, ExportRequest, build_export, discard_export
    from services.api.filters import AlertFilter, SortKey
    from tests.unit.api.builders import principal

    caller = principal(Role.OFFICER, tuple(sorted({a.zone for a in stored})))
    engine = make_engine(migrated_database_url, pool_size=1)
    try:
        for fmt, layers in ((ExportFormat.GPKG, tuple(Layer)), (ExportFormat.PARQUET, (Layer.TRACKS,))):
            req = ExportRequest(caller, AlertFilter(), SortKey.START_ASC, 1000, fmt, layers)
            small = await build_export(engine, req, {layer: 3 for layer in Layer})
            whole = await build_export(engine, req, {layer: 100_000 for layer in Layer})
            try:
                for layer in layers:
                    a, b = ((gpd.read_file(p, layer=str(layer)) if fmt is ExportFormat.GPKG else gpd.read_parquet(p))
                            for p in (small, whole))
                    if layer is not Layer.DETECTIONS:  # several chunks (no real detection is stored yet)
                        assert len(a) > 3
                    assert a.equals(b), layer
            finally:
                discard_export(small)
                discard_export(whole)
    finally:
        await engine.dispose()
