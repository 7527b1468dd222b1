"""The live map in real Chromium (every request routed: anything not on loopback fails the test): log in with a
token from the URL fragment, a new alert appears live with its vessel name, clicking it opens the details and
draws the evidence track, acknowledging changes its workflow; an identity anomaly has its legend entry and
shows its places and hops.
The alerts are the detector's (builders: ``samples.py``) moved into a zone of the test's own; the whole
simulate → detect → sink path is in test_map_evidence.py / test_map_workflow.py."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from msa.domain import Alert, AlertKind, AlertStatus, Severity
from services.api.app import create_app
from services.api.principal import Role
from tests.browser.support import CHROMIUM, guarded_page, launched, require_vendored, screenshot_path, settle
from tests.unit.api.builders import T0_MS, alert, identity_anomaly, token
from tests.unit.api.live import api_settings, bearer, free_port, running_api, seed

pytestmark = [pytest.mark.browser, pytest.mark.integration,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")]


def _dark_vessel(zone: str) -> tuple[str, Alert]:
    det_id = f"d-{uuid.uuid4().hex[:10]}"
    a = alert(kind=AlertKind.DARK_VESSEL, zone=zone, mmsi=(), lon=-3.9, lat=36.3, severity=Severity.MEDIUM,
              detection_ids=(det_id,), extra=det_id)
    assert a.evidence["detection"]["detection_id"] == det_id
    return det_id, a


async def test_new_alert_details_track_and_acknowledge(browser_database_url: str) -> None:
    require_vendored()
    zone = f"z{uuid.uuid4().hex[:8]}"
    old = alert(zone=zone, mmsi=(280000001,), kind=AlertKind.DARK_PERIOD, severity=Severity.LOW, lon=-6.5, lat=35.8)
    det_id, dark = _dark_vessel(zone)
    ident = identity_anomaly(zone=zone, mmsi=280000004, start_ms=T0_MS - 12 * 3_600_000,  # listed after `new`
                             places=((-5.0, 35.95), (-9.3, 38.6)), fixes_per_segment=4, status=AlertStatus.CLOSED)
    new = alert(zone=zone, mmsi=(280000002,), lon=-5.3, lat=36.1, version=3)
    gf = new.evidence
    n_fixes = len(gf["track"])
    assert gf["max_speed_kn"] >= 35 and n_fixes >= 5
    await seed(browser_database_url, [old, dark, ident])
    tok = token(Role.OFFICER, (zone,))
    async with running_api(api_settings(browser_database_url)) as base, launched() as browser:
        blocked: list[str] = []
        errors: list[str] = []
        async with guarded_page(browser, blocked, errors, viewport={"width": 1500, "height": 900}) as page:
            await page.goto(f"{base}/map#token={tok}")
            await page.wait_for_selector(f'tr[data-alert-id="{old.alert_id}"]', timeout=10_000)
            await page.wait_for_selector('body[data-live="1"]', timeout=10_000)
            assert "#token" not in page.url  # the token is removed from the address bar
            assert "live" in await page.inner_text("#status")
            await page.wait_for_selector("path.land", state="attached", timeout=10_000)  # Natural Earth land
            await settle(page)

            # a new alert arrives on the live feed: row with vessel name, kind label, newest first, marker
            await seed(browser_database_url, [new])
            row = page.locator(f'tr[data-alert-id="{new.alert_id}"]')
            await row.wait_for(timeout=10_000)
            text = await row.inner_text()
            assert "VESSEL 280000002" in text and "Go-fast boat" in text and "MMSI 280000002" in text
            assert "2026-01-01 00:00Z" in text and "new" in text
            first = page.locator("#alerts tr").first
            assert await first.get_attribute("data-alert-id") == new.alert_id  # newest first
            assert "fresh" in (await row.get_attribute("class") or "")
            marker = page.locator(f'.amk[data-alert-id="{new.alert_id}"]')
            assert await marker.get_attribute("data-lon") == "-5.3"
            assert await page.inner_text('#counts [data-kind="go_fast"] b') == "1"

            # filters (client side): by kind hides the others, back to all
            await page.select_option("#fkind", "dark_vessel")
            assert await row.is_hidden() and await page.locator(f'tr[data-alert-id="{dark.alert_id}"]').is_visible()
            await page.select_option("#fkind", "")
            assert await row.is_visible()

            # click: details (summary, evidence figures), track drawn as a line, map zoomed to the alert
            await page.evaluate("map.setView([36, -8], 5, { animate: false })")
            zoom_before = await page.evaluate("map.getZoom()")
            await row.click()
            await page.wait_for_selector(f'#detail[data-alert-id="{new.alert_id}"]', timeout=10_000)
            detail = await page.inner_text("#detail")
            assert f'{gf["mean_speed_kn"]:g} kn' in detail and f'{gf["max_speed_kn"]:g} kn' in detail
            assert f'{gf["distance_m"] / 1852:.1f} NM' in detail and f'{round(gf["duration_s"] / 60)} min' in detail
            assert "VESSEL 280000002" in detail and "gofast_min_speed_kn" in await page.inner_html("#detail")
            # 42 kn: one run in the 35–45 kn colour, every fix, time labels at the ends, the speed chart
            await page.wait_for_selector(f'#map[data-evidence="{new.alert_id}"]', state="attached")
            track = page.locator("path.ev-track")
            assert await track.count() == 1 and await track.get_attribute("data-points") == str(n_fixes)
            assert await track.get_attribute("data-speed-bucket") == "4"
            assert await page.locator("path.ev-fix").count() == n_fixes
            # time labels at both ends, and at the quarters of a track of more than 8 fixes
            assert await page.locator(".leaflet-tooltip.ev-time").count() == (5 if n_fixes > 8 else 2)
            th = f'{gf["threshold_kn"]:g}'
            assert await page.locator(f'#chart-speed line.threshold[data-value="{th}"]').count() == 1
            await settle(page)
            assert await page.evaluate("map.getZoom()") > zoom_before + 3
            await page.screenshot(path=screenshot_path("map-detail.png"))

            # acknowledge: If-Match from the ETag; workflow state changes in the panel, the row and the server
            async with page.expect_request(lambda r: r.url.endswith("/acknowledge")) as req_info:
                await page.click("#wf-acknowledge")
            req = await req_info.value
            assert req.method == "POST" and req.headers.get("if-match") == '"1"'  # the ETag of the version shown
            await page.wait_for_selector('#detail[data-workflow="acknowledged"]', timeout=10_000)
            assert "acknowledged" in await row.inner_text()
            assert await page.locator("#wf-acknowledge").count() == 0  # no longer offered
            async with httpx.AsyncClient(base_url=base) as client:
                got = (await client.get(f"/alerts/{new.alert_id}", headers=bearer(tok))).json()
            assert got["workflow"]["state"] == "acknowledged"

            # a satellite-detection alert: its detection is drawn as a marker
            await page.click(f'tr[data-alert-id="{dark.alert_id}"]')
            await page.wait_for_selector(f'#detail[data-alert-id="{dark.alert_id}"]', timeout=10_000)
            await page.wait_for_selector(f'.ev-det[data-detection-id="{det_id}"]', state="attached", timeout=5_000)

            # identity anomaly: its own legend entry, marker shape and colour, chip and filter option
            legend = page.locator("#legendbody > div", has_text="Identity anomaly")
            assert await legend.count() == 1 and await legend.locator("svg.kicon path").count() == 1
            shapes = {k: await page.locator(f'.amk[data-kind="{k}"] path.shape').first.get_attribute("d")
                      for k in ("identity_anomaly", "go_fast", "dark_period", "dark_vessel")}
            assert shapes["identity_anomaly"] not in {v for k, v in shapes.items() if k != "identity_anomaly"}
            colours = await page.evaluate("""() => Object.fromEntries(["go_fast", "dark_period", "rendezvous",
                "dark_vessel", "dark_rendezvous", "identity_anomaly"].map((k) => [k,
                getComputedStyle(document.body).getPropertyValue("--" + k).trim()]))""")
            assert colours["identity_anomaly"] and len(set(colours.values())) == 6
            assert await page.inner_text('#counts [data-kind="identity_anomaly"] b') == "1"
            assert await page.locator('#fkind option[value="identity_anomaly"]').count() == 1

            # selected: the segments (fixes, time span) and the hops (distance, implied speed) in the panel,
            # each segment drawn in its colour with its numbered centroid, hops dashed between them, no single track
            await page.click(f'tr[data-alert-id="{ident.alert_id}"]')
            await page.wait_for_selector(f'#detail[data-alert-id="{ident.alert_id}"]', timeout=10_000)
            ev = ident.evidence
            seg_rows = page.locator("#segments tbody tr")
            assert await seg_rows.count() == 2
            for i, seg in enumerate(ev["clusters"]):
                cells = [c.strip() for c in (await seg_rows.nth(i).inner_text()).split("\t")]
                assert cells[:3] == [str(i), str(seg["fixes"]),
                                     f'{seg["first"][:16].replace("T", " ")}Z – {seg["last"][:16].replace("T", " ")}Z']
            hop_rows = page.locator("#hops tbody tr")
            assert await hop_rows.count() == len(ev["hops"]) >= 7
            first_hop = await hop_rows.first.inner_text()
            assert "0 → 1" in first_hop and f'{ev["hops"][0]["implied_speed_kn"]:g} kn' in first_hop
            assert f'{ev["hops"][0]["distance_m"] / 1852:.1f} NM' in first_hop
            detail = await page.inner_text("#detail")
            assert ev["pattern"].replace("_", " ") in detail and f'{ev["max_implied_speed_kn"]:g} kn' in detail
            assert "Transitions between places" in detail
            assert "id_hop_min_kn" in await page.inner_html("#detail")  # the thresholds it was judged with
            await page.wait_for_selector(".ev-centroid", state="attached", timeout=5_000)
            assert await page.locator(".ev-centroid").count() == 2
            assert [await page.locator("path.ev-cluster").nth(i).get_attribute("data-points") for i in range(2)] == \
                [str(len(c["positions"])) for c in ev["clusters"]]
            assert await page.locator("path.ev-clusterfix").count() == sum(len(c["positions"]) for c in ev["clusters"])
            assert await page.locator('path.ev-hop[data-from="0"][data-to="1"]').count() == 1
            assert await page.locator("path.ev-track").count() == 0
            await settle(page)
            west, east = await page.evaluate("[map.getBounds().getWest(), map.getBounds().getEast()]")
            assert west < -9.3 and east > -5.0  # zoomed to show both places
            await page.screenshot(path=screenshot_path("map-identity.png"))

            await page.click("#zfit")
            await page.screenshot(path=screenshot_path("map-overview.png"))
        assert blocked == [] and errors == []


@contextlib.asynccontextmanager
async def _serve(database_url: str, port: int) -> AsyncIterator[str]:
    """Like ``running_api`` but on a given port, so a test can stop and restart the API behind an open page."""
    server = uvicorn.Server(uvicorn.Config(create_app(api_settings(database_url)), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on", timeout_graceful_shutdown=1))
    task = asyncio.create_task(server.serve())
    for _ in range(250):
        if server.started:
            break
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def test_reconnects_with_last_event_id_and_misses_nothing(browser_database_url: str) -> None:
    require_vendored()
    zone = f"z{uuid.uuid4().hex[:8]}"
    first = alert(zone=zone, mmsi=(281000001,))
    during = alert(zone=zone, mmsi=(281000002,), lon=-2.0, lat=36.5)
    tok = token(Role.OFFICER, (zone,))
    port = free_port()
    blocked: list[str] = []
    errors: list[str] = []
    async with launched() as browser, guarded_page(browser, blocked, errors) as page:
        async with _serve(browser_database_url, port) as base:
            await page.goto(f"{base}/map#token={tok}")
            await page.wait_for_selector('body[data-live="1"]', timeout=10_000)
            await seed(browser_database_url, [first])
            await page.wait_for_selector(f'tr[data-alert-id="{first.alert_id}"]', timeout=10_000)
        # the API is down: the page says so and which event it will resume after
        await page.wait_for_selector("#status.reconnecting", timeout=10_000)
        status = await page.inner_text("#status")
        assert "reconnecting" in status and "resume after #" in status
        await seed(browser_database_url, [during])  # happens while the page is disconnected
        async with _serve(browser_database_url, port):
            await page.wait_for_selector('body[data-live="1"]', timeout=20_000)
            row = await page.wait_for_selector(f'tr[data-alert-id="{during.alert_id}"]', timeout=10_000)
            assert row is not None and "VESSEL 281000002" in await row.inner_text()
    # the API stopped under the open stream, then refused connections: the browser logs net::ERR_…, nothing else
    assert blocked == [] and [e for e in errors if "net::ERR_" not in e] == []
