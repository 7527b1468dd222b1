"""The live map in real Chromium: log in with a token from the URL fragment, a new alert appears live."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from services.api.principal import Role
from tests.unit.api.builders import alert, token
from tests.unit.api.live import api_settings, running_api, seed

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.integration,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")]
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


async def test_new_alert_appears_on_the_map(migrated_database_url: str) -> None:
    from playwright.async_api import async_playwright

    zone = f"z{uuid.uuid4().hex[:8]}"
    old, new = alert(zone=zone, mmsi=(280000001,)), alert(zone=zone, mmsi=(280000002,), lon=-5.3, lat=36.1)
    await seed(migrated_database_url, [old])
    tok = token(Role.OFFICER, (zone,))
    async with running_api(api_settings(migrated_database_url)) as base, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(f"{base}/map#token={tok}")
            await page.wait_for_selector(f'tr[data-alert-id="{old.alert_id}"]', timeout=10_000)
            await page.wait_for_selector('body[data-live="1"]', timeout=10_000)
            assert "#token" not in page.url  # the token is removed from the address bar
            await seed(migrated_database_url, [new])
            row = await page.wait_for_selector(f'tr[data-alert-id="{new.alert_id}"]', timeout=10_000)
            assert row is not None and "go_fast" in (await row.inner_text())
            marker = await page.wait_for_selector(f'circle[data-alert-id="{new.alert_id}"]', state="attached")
            assert marker is not None and await marker.get_attribute("cx") == "-5.3"
            assert errors == []
        finally:
            await browser.close()
