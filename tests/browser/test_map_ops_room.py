"""Ops-room use of the live map in real Chromium (every request routed, loopback only): the dark theme by default
and the light one on demand (remembered), the optional sound on new high-severity alerts (off by default),
relative ages beside UTC times, the keyboard help, and legibility at 1280×720 and 3840×2160."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from msa.domain import AlertKind, Severity
from services.api.principal import Role
from tests.browser.support import CHROMIUM, guarded_page, launched, open_map, require_vendored, screenshot_path
from tests.unit.api.builders import alert, token
from tests.unit.api.live import api_settings, running_api, seed

pytestmark = [pytest.mark.browser, pytest.mark.integration,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")]


async def test_theme_sound_ages_and_help(browser_database_url: str) -> None:
    require_vendored()
    zone = f"z{uuid.uuid4().hex[:8]}"
    await seed(browser_database_url, [alert(zone=zone, mmsi=(282000001,), severity=Severity.LOW)])
    tok = token(Role.OFFICER, (zone,), name="officer.ops")
    async with running_api(api_settings(browser_database_url)) as base, launched() as browser:
        blocked: list[str] = []
        errors: list[str] = []
        async with guarded_page(browser, blocked, errors, viewport={"width": 1500, "height": 900}) as page:
            await open_map(page, base, tok)
            assert await page.get_attribute("html", "data-theme") == "dark"
            bg = await page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert bg == "rgb(13, 17, 23)"
            # relative ages beside the UTC times
            row_text = await page.inner_text("#alerts tr")
            assert "2026-01-01 00:00Z" in row_text and " ago)" in row_text
            # sound is off by default: a new high-severity alert makes no sound
            assert not await page.is_checked("#sound")
            first = alert(zone=zone, mmsi=(282000002,), severity=Severity.HIGH, kind=AlertKind.GO_FAST)
            await seed(browser_database_url, [first])
            await page.wait_for_selector(f'tr[data-alert-id="{first.alert_id}"]', timeout=10_000)
            assert await page.get_attribute("body", "data-beeps") is None
            # on: a new high one beeps (WebAudio), a medium one does not
            await page.check("#sound")
            high = alert(zone=zone, mmsi=(282000003,), severity=Severity.HIGH, kind=AlertKind.RENDEZVOUS)
            medium = alert(zone=zone, mmsi=(282000004,), severity=Severity.MEDIUM, kind=AlertKind.DARK_PERIOD)
            await seed(browser_database_url, [high, medium])
            await page.wait_for_selector(f'tr[data-alert-id="{medium.alert_id}"]', timeout=10_000)
            await page.wait_for_selector('body[data-beeps="1"]', timeout=5_000)
            assert await page.evaluate("state.audio && state.audio.state !== 'closed'")
            # keyboard help
            await page.keyboard.press("?")
            assert await page.is_visible("#helpdlg")
            assert "reopen" in await page.inner_text("#helpdlg")
            await page.keyboard.press("Escape")
            assert await page.is_hidden("#helpdlg")
            # light theme on demand, remembered after a reload
            await page.click("#theme")
            assert await page.get_attribute("html", "data-theme") == "light"
            await page.screenshot(path=screenshot_path("theme-light.png"))
            await page.reload()
            await page.wait_for_selector('body[data-live="1"]', timeout=15_000)
            assert await page.get_attribute("html", "data-theme") == "light"
            await page.click("#theme")
            assert await page.get_attribute("html", "data-theme") == "dark"
        assert blocked == [] and errors == []


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (3840, 2160)])
async def test_legible_at_ops_room_sizes(width: int, height: int, browser_database_url: str) -> None:
    require_vendored()
    zone = f"z{uuid.uuid4().hex[:8]}"
    alerts = [alert(zone=zone, mmsi=(283000000 + i,), severity=(Severity.HIGH, Severity.MEDIUM, Severity.LOW)[i % 3],
                    kind=list(AlertKind)[i % len(AlertKind)], lon=-5.6 + 0.3 * i, lat=35.9 + 0.05 * i,
                    start_ms=1_767_225_600_000 + i * 60_000) for i in range(8)]
    await seed(browser_database_url, alerts)
    tok = token(Role.OFFICER, (zone,), name="officer.wall")
    async with running_api(api_settings(browser_database_url)) as base, launched() as browser:
        blocked: list[str] = []
        errors: list[str] = []
        async with guarded_page(browser, blocked, errors, viewport={"width": width, "height": height}) as page:
            await open_map(page, base, tok)
            await page.keyboard.press("ArrowDown")
            await page.keyboard.press("Enter")
            await page.wait_for_selector("#detail[data-alert-id]", timeout=10_000)
            # nothing overflows the window; the list, the details and the map all have room
            assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            assert await page.evaluate("document.documentElement.scrollHeight <= window.innerHeight")
            sizes = await page.evaluate("""() => ({
                font: parseFloat(getComputedStyle(document.documentElement).fontSize),
                list: document.getElementById('list').getBoundingClientRect().height,
                detail: document.getElementById('detail').getBoundingClientRect().height,
                map: document.getElementById('map').getBoundingClientRect().width,
                marker: document.querySelector('.amk').getBoundingClientRect().width })""")
            assert sizes["list"] >= 100 and sizes["detail"] >= 200 and sizes["map"] >= width * 0.55
            if width >= 3000:  # a 4K wall: text and markers scale up
                assert sizes["font"] >= 22 and sizes["marker"] >= 30
            else:
                assert sizes["font"] == 14 and not await page.evaluate("document.getElementById('legend').open")
            await page.screenshot(path=screenshot_path(f"size-{width}x{height}.png"))
        assert blocked == [] and errors == []
