"""The live map on real geography, in real Chromium, every request routed (anything not on loopback fails):
vendored Leaflet and Natural Earth land served by the API with their content types, 1:10m coastlines of the
Strait of Gibraltar when zoomed in, the scale bar and the distance measure; each alert kind, as the REAL
detector wrote it (``msa simulate`` + ``msa detect``), opens with its evidence drawn.

The per-kind evidence contract of ``msa/evidence.py`` (track, detections, threshold, expected path and reception
buckets, distance series, nearby vessels, clusters; a scene footprint when there is one) is checked, drawn, in
``test_evidence_contract_drawn``."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from msa.domain import Alert
from services.api.principal import Role
from tests.browser.support import (
    CHROMIUM,
    KINDS,
    detector_alerts,
    guarded_page,
    launched,
    one_per_kind,
    open_map,
    require_vendored,
    screenshot_path,
    settle,
)
from tests.unit.api.builders import token
from tests.unit.api.live import api_settings, bearer, running_api, seed

pytestmark = [pytest.mark.browser, pytest.mark.integration,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")]


@pytest.fixture(scope="session")
def real_alerts() -> list[Alert]:
    return detector_alerts()


async def test_real_geography_served_offline_with_scale_and_measure(browser_database_url: str) -> None:
    require_vendored()
    tok = token(Role.OFFICER, ("Strait of Gibraltar and Alboran Sea",), name="officer.geo")
    async with running_api(api_settings(browser_database_url)) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            types = {}
            for path in ("/static/vendor/leaflet/leaflet.js", "/static/vendor/leaflet/leaflet.css", "/static/map.js",
                         "/static/map.css", "/static/vendor/geo/land-50m.geojson",
                         "/static/vendor/geo/land-10m/index.json"):
                r = await client.get(path, headers={"Accept-Encoding": "gzip"})
                assert r.status_code == 200, path
                types[path.rsplit(".", 1)[-1]] = r.headers["content-type"]
                again = await client.get(path, headers={"If-None-Match": r.headers["etag"], "Accept-Encoding": "gzip"})
                assert again.status_code == 304
            assert types["js"].startswith("text/javascript") and types["css"].startswith("text/css")
            assert types["geojson"] == "application/geo+json" and types["json"] == "application/json"
            gz = await client.get("/static/vendor/geo/land-50m.geojson", headers={"Accept-Encoding": "gzip"})
            assert gz.headers["content-encoding"] == "gzip" and gz.json()["type"] == "FeatureCollection"
            for bad in ("/static/vendor/.stamp", "/static/../routers/pages.py", "/static/%2e%2e/app.py",
                        "/static/map.html", "/static/vendor/", "/static/nothing.js"):
                assert (await client.get(bad)).status_code == 404, bad
        async with launched() as browser:
            blocked: list[str] = []
            errors: list[str] = []
            async with guarded_page(browser, blocked, errors, viewport={"width": 1500, "height": 900}) as page:
                await open_map(page, base, tok)
                await page.evaluate("map.setView([36, -10], 4, { animate: false })")
                await page.wait_for_selector('#map[data-land="50m"]', timeout=10_000)
                assert await page.locator("path.land-50m").count() == 1
                await page.screenshot(path=screenshot_path("overview-50m.png"))
                # the Strait of Gibraltar zoomed in: the 1:10m tile with land and coastline replaces the overview
                await page.evaluate("map.setView([35.95, -5.55], 10, { animate: false })")
                await page.wait_for_selector('#map[data-land="10m"]', timeout=10_000)
                assert await page.locator("path.land-10m").count() >= 1
                assert await page.locator("path.coast-10m").count() >= 1
                assert await page.locator("path.land-50m").count() == 0
                coast_d = await page.locator("path.coast-10m").first.get_attribute("d") or ""
                assert coast_d.count("L") > 100  # a real coastline, not a sketch
                # scale bar in km and nautical miles
                scale = await page.inner_text(".leaflet-control-scale")
                assert "km" in scale and "NM" in scale
                # two bars, one under the other, each wide enough for its label, both legible on the dark sea
                bars = await page.evaluate("""() => [...document.querySelectorAll('.leaflet-control-scale-line')]
                    .map((e) => { const r = e.getBoundingClientRect(), s = getComputedStyle(e);
                                  return { top: r.top, bottom: r.bottom, width: r.width, text: e.scrollWidth,
                                           bg: s.backgroundColor, color: s.color }; })""")
                assert len(bars) == 2 and bars[1]["top"] >= bars[0]["bottom"] - 2.5, bars
                assert all(b["text"] <= b["width"] + 1 and b["bg"] == "rgba(255, 255, 255, 0.8)"
                           and b["color"] == "rgb(17, 17, 17)" for b in bars), bars
                await page.locator(".leaflet-control-scale").screenshot(path=screenshot_path("scale-bar.png"))
                await page.screenshot(path=screenshot_path("gibraltar-10m.png"))
                # distance measure: M, two clicks, the readout matches the great-circle distance between them
                await page.keyboard.press("m")
                box = await page.locator("#map").bounding_box()
                assert box is not None
                p1 = (box["x"] + 200, box["y"] + 300)
                p2 = (box["x"] + 600, box["y"] + 450)
                await page.mouse.click(*p1)
                await page.mouse.click(*p2)
                await page.wait_for_selector('#measureout[data-points="2"]', timeout=5_000)
                want = await page.evaluate(
                    """([a, b]) => map.distance(map.containerPointToLatLng(a), map.containerPointToLatLng(b))""",
                    [[200, 300], [600, 450]])
                got = float(await page.get_attribute("#measureout", "data-meters") or "0")
                assert abs(got - want) < 2 and 10_000 < got < 100_000
                text = await page.inner_text("#measureout")
                assert "NM" in text and "km" in text and "bearing" in text
                assert await page.locator("path.measure-line").count() == 1
                await page.screenshot(path=screenshot_path("gibraltar-measure.png"))
                await page.keyboard.press("Escape")
                assert await page.locator("path.measure-line").count() == 0
            assert blocked == [] and errors == []


def _check_kind(kind: str, detail: dict[str, Any]) -> list[tuple[str, int]]:
    """What must be on the map for each kind with the evidence the detector writes today: (selector, minimum)."""
    return {
        "go_fast": [("path.ev-track", 1), (".leaflet-tooltip.ev-time", 2), ("#chart-speed path.series", 1),
                    ("#chart-speed line.threshold", 1)],
        "dark_period": [(".ev-lastfix", 1)],
        "rendezvous": [(".amk.selected", 1)],
        "dark_vessel": [(".ev-det", 1), ("#nearby tbody tr", 1)],
        "dark_rendezvous": [(".ev-det", 1), ("#nearby tbody tr", 1)],
        "identity_anomaly": [(".ev-centroid", 2), ("#segments tbody tr", 2)],
    }[kind]


async def test_every_kind_opens_with_its_evidence(browser_database_url: str, real_alerts: list[Alert]) -> None:
    require_vendored()
    alerts = one_per_kind(real_alerts, uuid.uuid4().hex[:8])
    assert sorted(alerts) == sorted(KINDS)  # the detector raised one of each on its scenarios
    await seed(browser_database_url, list(alerts.values()))
    tok = token(Role.OFFICER, tuple(sorted({a.zone for a in alerts.values()})), name="officer.kinds")
    async with running_api(api_settings(browser_database_url)) as base, launched() as browser:
        blocked: list[str] = []
        errors: list[str] = []
        async with guarded_page(browser, blocked, errors, viewport={"width": 1500, "height": 900}) as page:
            await open_map(page, base, tok)
            await page.screenshot(path=screenshot_path("list.png"))
            async with httpx.AsyncClient(base_url=base) as client:
                for kind, a in alerts.items():
                    detail = (await client.get(f"/alerts/{a.alert_id}", headers=bearer(tok))).json()
                    await page.click(f'#alerts tr[data-alert-id="{a.alert_id}"]')
                    await page.wait_for_selector(f'#detail[data-alert-id="{a.alert_id}"]', timeout=10_000)
                    await page.wait_for_selector(f'#map[data-evidence="{a.alert_id}"]', state="attached",
                                                 timeout=5_000)
                    await settle(page)
                    for sel, least in _check_kind(kind, detail):
                        n = await page.locator(sel).count()
                        assert n >= least, f"{kind}: {sel} drawn {n} times, want at least {least}"
                    text = await page.inner_text("#detail")
                    assert a.summary in text and "ago)" in text
                    await page.screenshot(path=screenshot_path(f"kind-{kind}.png"))
            # the vessel's recent stored track on demand (GET /vessels/{mmsi}), then off again
            gf = alerts["go_fast"]
            await page.click(f'#alerts tr[data-alert-id="{gf.alert_id}"]')
            await page.wait_for_selector(f'#detail[data-alert-id="{gf.alert_id}"]', timeout=10_000)
            await page.click(f"#vtrack-{gf.mmsi[0]}")
            await page.wait_for_selector(f'path.vessel-track[data-mmsi="{gf.mmsi[0]}"]', state="attached",
                                         timeout=5_000)
            assert int(await page.get_attribute("path.vessel-track", "data-points") or "0") >= 10
            await page.keyboard.press("t")
            await page.wait_for_selector("path.vessel-track", state="detached", timeout=5_000)
        assert blocked == [] and errors == []


# ---- the per-kind evidence contract (msa/evidence.py), as the detector writes it --------------------------------

def _contract(kind: str, d: dict[str, Any]) -> list[tuple[str, int]]:
    """(selector, count; -1 = at least one) that must be drawn for each kind under the evidence contract."""
    ev = d["evidence"]
    assert ev["evidence_version"] == 2 and ev["kind"] == kind
    track_mmsi = sorted({p["mmsi"] for p in d["track"]})
    dets = len(d["detections"])
    if kind == "go_fast":
        assert ev["threshold_kn"] > 0
        return [("path.ev-track", -1), (".leaflet-tooltip.ev-time", -1),
                ("#chart-speed line.threshold", 1)]
    if kind == "dark_period":
        assert d["track"] and ev["expected_path"]["type"] == "LineString"
        assert {"p_heard", "opportunities", "p_silent"} <= set(ev["reception"])
        return [("path.ev-track", -1), ("path.ev-expected", 1),
                ("#chart-reception rect.bucket", len(ev["neighbour_buckets"]))]
    if kind == "rendezvous":
        assert len(track_mmsi) == 2
        return [*[(f'path.ev-track[data-mmsi="{m}"]', -1) for m in track_mmsi],
                (f'#chart-distance path.series[data-points="{len(ev["distance_series"])}"]', 1)]
    if kind in ("dark_vessel", "dark_rendezvous"):
        assert dets >= 1 and "nearby" in ev
        near = [n for n in ev["nearby"] if n.get("lat") is not None]
        # the scene footprint is drawn when the alert has one (the detector does not write it yet)
        return [(".ev-det", dets), ("path.ev-nearby", len(near)),
                ("path.ev-footprint", 1 if ev.get("footprint") else 0)]
    # identity anomaly: its places as clusters once closed; while open, the places of its geometry
    assert d["track"]
    if ev.get("clusters"):
        return [("path.ev-cluster", sum(1 for c in ev["clusters"] if len(c["positions"]) > 1)),
                (".ev-centroid", len(ev["clusters"]))]
    return [(".ev-centroid", len(d["geometry"]["coordinates"]))]


@pytest.mark.parametrize("kind", KINDS)
async def test_evidence_contract_drawn(kind: str, browser_database_url: str, real_alerts: list[Alert]) -> None:
    require_vendored()
    a = one_per_kind(real_alerts, uuid.uuid4().hex[:8])[kind]
    await seed(browser_database_url, [a])
    tok = token(Role.OFFICER, (a.zone,), name="officer.contract")
    async with running_api(api_settings(browser_database_url)) as base, launched() as browser:
        async with httpx.AsyncClient(base_url=base) as client:
            detail = (await client.get(f"/alerts/{a.alert_id}", headers=bearer(tok))).json()
        blocked: list[str] = []
        errors: list[str] = []
        async with guarded_page(browser, blocked, errors, viewport={"width": 1500, "height": 900}) as page:
            await open_map(page, base, tok)
            await page.click(f'#alerts tr[data-alert-id="{a.alert_id}"]')
            await page.wait_for_selector(f'#map[data-evidence="{a.alert_id}"]', state="attached", timeout=10_000)
            await settle(page)
            expected = _contract(kind, detail)
            if kind == "go_fast":  # the threshold drawn is the evidence's own
                drawn = float(await page.get_attribute("#chart-speed line.threshold", "data-value") or "nan")
                assert drawn == detail["evidence"]["threshold_kn"]
            for sel, want in expected:
                n = await page.locator(sel).count()
                assert (n >= 1) if want < 0 else (n == want), f"{kind}: {sel} drawn {n} times, want {want}"
            await page.screenshot(path=screenshot_path(f"contract-{kind}.png"))
        assert blocked == [] and errors == []
