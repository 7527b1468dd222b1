"""REST API against the real PostGIS: filters, pages, GeoJSON, exports, OGC API, vessels, problems, health."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid

import httpx
import pytest
from shapely.geometry import box, shape

from msa.domain import AlertKind, AlertStatus, Severity, parse_ts
from services.api.filters import Cursor, SortKey
from services.api.principal import Role
from tests.unit.api.builders import T0_MS, alert, identity_anomaly, token
from tests.unit.api.live import api_settings, bearer, read_sse, running_api, seed

pytestmark = pytest.mark.integration


@pytest.fixture
def zone() -> str:
    return f"z{uuid.uuid4().hex[:8]}"


async def test_list_filters_sorts_and_pages(migrated_database_url: str, zone: str) -> None:
    other = zone + "x"
    alerts = [alert(zone=zone, mmsi=(200000000 + i,), start_ms=T0_MS + i * 60_000,
                    kind=AlertKind.GO_FAST if i % 2 else AlertKind.DARK_PERIOD,
                    severity=Severity.HIGH if i < 3 else Severity.LOW, lon=-5 + i * 0.1) for i in range(7)]
    alerts.append(alert(zone=other, mmsi=(299999999,)))
    assert set(await seed(migrated_database_url, alerts)) == {"created"}
    tok = token(Role.OFFICER, (zone,))
    async with running_api(api_settings(migrated_database_url)) as base, httpx.AsyncClient(base_url=base) as c:
        r = await c.get("/alerts", params={"limit": 3, "sort": "start"}, headers=bearer(tok))
        assert r.status_code == 200, r.text
        page = r.json()
        seen = [a["alert_id"] for a in page["items"]]
        while page["next_cursor"]:
            page = (await c.get("/alerts", params={"limit": 3, "sort": "start", "cursor": page["next_cursor"]},
                                headers=bearer(tok))).json()
            seen += [a["alert_id"] for a in page["items"]]
        assert seen == [a.alert_id for a in alerts[:7]]  # ascending start, no foreign zone, no duplicates
        assert "evidence" not in page["items"][0]  # lists stay small; one alert carries its evidence

        r = await c.get("/alerts", params={"kind": "go_fast", "severity": "high"}, headers=bearer(tok))
        assert [a["mmsi"] for a in r.json()["items"]] == [[200000001]]
        r = await c.get("/alerts", params={"mmsi": 200000004}, headers=bearer(tok))
        assert [a["alert_id"] for a in r.json()["items"]] == [alerts[4].alert_id]
        r = await c.get("/alerts", params={"bbox": "-4.75,35,-4.45,37"}, headers=bearer(tok))
        inside = sorted(a.mmsi[0] for a in alerts[:7] if shape(a.geometry).intersects(box(-4.75, 35, -4.45, 37)))
        assert 200000004 in inside and 200000000 not in inside  # the detector's geometries, not just points
        assert sorted(a["mmsi"][0] for a in r.json()["items"]) == inside
        r = await c.get("/alerts", params={"until": "2026-01-01T00:01:00Z", "sort": "start"}, headers=bearer(tok))
        assert [a["mmsi"][0] for a in r.json()["items"]] == [200000000, 200000001]

        r = await c.get("/alerts", params={"f": "geojson", "limit": 2}, headers=bearer(tok))
        assert r.headers["content-type"].startswith("application/geo+json")
        fc = r.json()
        assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 2
        assert any(link["rel"] == "next" for link in fc["links"])

        r = await c.get("/alerts/export.csv", headers=bearer(tok))
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert r.status_code == 200 and len(rows) == 7 and {row["zone"] for row in rows} == {zone}


async def test_detail_vessel_ogc_and_problems(migrated_database_url: str, zone: str) -> None:
    a = alert(kind=AlertKind.DARK_PERIOD, zone=zone, mmsi=(224111222,), status=AlertStatus.UPDATED, version=2,
              detection_ids=(f"det-{zone}",))
    own = [f for f in a.evidence["track"] if f["mmsi"] == 224111222]
    assert len(own) >= 5 and a.evidence["detections"][0]["detection_id"] == f"det-{zone}"
    await seed(migrated_database_url, [a])
    tok = token(Role.OFFICER, (zone,))
    foreign = token(Role.OFFICER, (zone + "-other",))
    async with running_api(api_settings(migrated_database_url)) as base, httpx.AsyncClient(base_url=base) as c:
        r = await c.get(f"/alerts/{a.alert_id}", headers=bearer(tok))
        assert r.status_code == 200
        d = r.json()
        assert len(d["track"]) == len(own) and d["detections"][0]["detection_id"] == f"det-{zone}"
        assert [x["detection_id"] for x in d["detections"]] == [x["detection_id"] for x in a.evidence["detections"]]
        assert d["evidence"] == a.evidence
        assert d["workflow"]["state"] == "new" and r.headers["etag"] == '"1"' and d["comments"] == []

        v = (await c.get("/vessels/224111222", headers=bearer(tok))).json()
        assert v["identity"]["name"] == "VESSEL 224111222" and len(v["track"]) == len(own)
        last = max(own, key=lambda f: f["ts"])
        assert (v["last_position"]["lat"], v["last_position"]["lon"]) == (pytest.approx(last["lat"]),
                                                                          pytest.approx(last["lon"]))
        assert [x["alert_id"] for x in v["alerts"]] == [a.alert_id]

        # out of scope and missing look the same
        r1 = await c.get(f"/alerts/{a.alert_id}", headers=bearer(foreign))
        r2 = await c.get("/alerts/doesnotexist", headers=bearer(tok))
        assert r1.status_code == r2.status_code == 404
        assert r1.headers["content-type"] == "application/problem+json"
        assert {k: v for k, v in r1.json().items() if k != "instance"} == \
            {k: v for k, v in r2.json().items() if k != "instance"}
        assert (await c.get("/vessels/224111222", headers=bearer(foreign))).status_code == 404

        r = await c.get("/alerts", params={"limit": 0}, headers=bearer(tok))
        assert r.status_code == 422 and r.json()["type"].endswith("validation-error") and r.json()["errors"]
        crafted = [Cursor(SortKey.UPDATED_DESC, "yesterday", a.alert_id).encode(),  # type: ignore[arg-type]
                   Cursor(SortKey.UPDATED_DESC, 10**17, a.alert_id).encode()]
        for path in ("/alerts", "/collections/alerts/items"):
            for cur in crafted:  # a database error (500) before the cursors were checked
                r = await c.get(path, params={"cursor": cur}, headers=bearer(tok))
                assert r.status_code == 400 and "cursor" in r.json()["detail"], (path, r.text[:200])
        r = await c.get("/alerts", params={"bbox": "1,2,3"}, headers=bearer(tok))
        assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
        assert (await c.get("/alerts")).status_code == 401

        land = (await c.get("/")).json()
        assert {link["rel"] for link in land["links"]} >= {"service-desc", "conformance", "data"}
        assert "core" in (await c.get("/conformance")).json()["conformsTo"][0]
        r = await c.get("/collections/alerts/items",
                        params={"bbox": "-5,35,-3,37", "datetime": "2026-01-01T00:00:00Z/..", "limit": 1},
                        headers=bearer(tok))
        assert r.status_code == 200 and [f["id"] for f in r.json()["features"]] == [a.alert_id]
        r = await c.get("/collections/tracks/items", params={"limit": 2}, headers=bearer(tok))
        body = r.json()
        assert len(body["features"]) == 2 and any(link["rel"] == "next" for link in body["links"])
        nxt = next(link["href"] for link in body["links"] if link["rel"] == "next")
        assert len((await c.get(nxt, headers=bearer(tok))).json()["features"]) == 2

        assert (await c.get("/health/live")).json()["status"] == "ok"
        ready = await c.get("/health/ready")
        assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
        metrics = (await c.get("/metrics")).text
        assert "msa_api_requests_total" in metrics
        assert (await c.get("/asyncapi.json")).json()["asyncapi"].startswith(("2.", "3."))
        html = await c.get("/map")
        assert html.status_code == 200 and "EventSource" not in html.text and "/alerts/stream" in html.text


async def test_identity_anomaly_is_a_kind_like_the_others(migrated_database_url: str, zone: str) -> None:
    """kind filter on the list, the live feed, the exports and the OGC collections; its segments' positions are
    its evidence track; a misspelt kind is a 422 naming the parameter and the kinds that exist."""
    ident = identity_anomaly(zone=zone, mmsi=224777001, places=((-4.5, 36.0), (-15.4, 28.1)), fixes_per_segment=4,
                             status=AlertStatus.CLOSED)
    centroids = ident.geometry["coordinates"]
    n_track = len(ident.evidence["track"])
    others = [alert(zone=zone, mmsi=(224777002,)), alert(zone=zone, mmsi=(224777003,), kind=AlertKind.DARK_PERIOD)]
    tok = bearer(token(Role.OFFICER, (zone,)))
    async with running_api(api_settings(migrated_database_url)) as base, \
            httpx.AsyncClient(base_url=base, timeout=30) as c:
        async with c.stream("GET", "/alerts/stream", params={"kind": "identity_anomaly"}, headers=tok) as feed:
            await asyncio.sleep(0.2)
            await seed(migrated_database_url, [others[0], ident, others[1]])
            got = await read_sse(feed, 3, timeout_s=3)
        assert [e["data"]["alert"]["alert_id"] for e in got] == [ident.alert_id]  # type: ignore[index]

        r = await c.get("/alerts", params={"kind": "identity_anomaly"}, headers=tok)
        assert r.status_code == 200, r.text
        (item,) = r.json()["items"]
        assert item["alert_id"] == ident.alert_id and item["kind"] == "identity_anomaly"
        assert item["geometry"] == {"type": "MultiPoint", "coordinates": centroids}
        assert centroids[0] == pytest.approx([-4.5, 36.0], abs=0.05) and centroids[1] == pytest.approx([-15.4, 28.1],
                                                                                                         abs=0.01)
        r = await c.get("/alerts", params={"kind": ["identity_anomaly", "go_fast"]}, headers=tok)
        assert sorted(a["alert_id"] for a in r.json()["items"]) == sorted([ident.alert_id, others[0].alert_id])
        r = await c.get("/alerts", params={"bbox": "-16,27.5,-15,28.5"}, headers=tok)  # round the second place
        assert [a["alert_id"] for a in r.json()["items"]] == [ident.alert_id]
        r = await c.get("/alerts", params={"bbox": "-10,30,-8,32"}, headers=tok)  # between the places: nothing
        assert r.json()["items"] == []

        for path in ("/alerts", "/collections/alerts/items", "/collections/tracks/items"):
            r = await c.get(path, params={"kind": "identity_anomly"}, headers=tok)
            assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", path
            (err,) = r.json()["errors"]
            assert err["loc"] == ["query", "kind", "0"] and "identity_anomaly" in err["msg"], path

        d = (await c.get(f"/alerts/{ident.alert_id}", headers=tok)).json()
        clusters = d["evidence"]["clusters"]
        assert len(clusters) == 2 and clusters[1]["fixes"] == 4 and len(d["evidence"]["hops"]) >= 7
        assert sum(len(c["positions"]) for c in clusters) == n_track
        # the detail's track: the stored evidence fixes from an hour before the start to an hour after the end
        window = (ident.start_ms - 3_600_000, (ident.end_ms or ident.updated_ms) + 3_600_000)
        near = sorted(f["ts"] for f in ident.evidence["track"] if window[0] <= parse_ts(f["ts"]) <= window[1])
        assert 4 < len(near) < n_track and sorted(p["ts"] for p in d["track"]) == near
        assert len({round(p["lon"]) for p in d["track"]}) == 2  # both places
        assert {p["mmsi"] for p in d["track"]} == {224777001}

        r = await c.get("/collections/alerts/items", params={"kind": "identity_anomaly"}, headers=tok)
        assert [f["id"] for f in r.json()["features"]] == [ident.alert_id]
        r = await c.get("/collections/tracks/items", params={"kind": "identity_anomaly"}, headers=tok)
        feats = r.json()["features"]
        assert len(feats) == min(n_track, 100) and {f["properties"]["alert_id"] for f in feats} == {ident.alert_id}
        assert "identity_anomaly" in (await c.get("/collections/alerts")).json()["description"]

        rows = list(csv.DictReader(io.StringIO(
            (await c.get("/alerts/export.csv", params={"kind": "identity_anomaly"}, headers=tok)).text)))
        assert [(row["kind"], float(row["lon"]), float(row["lat"])) for row in rows] == \
            [("identity_anomaly", *centroids[0])]
        fc = (await c.get("/alerts/export.geojson", params={"kind": "identity_anomaly"}, headers=tok)).json()
        (feat,) = fc["features"]
        assert feat["geometry"]["type"] == "MultiPoint"
        assert feat["properties"]["evidence"]["pattern"] == ident.evidence["pattern"]
