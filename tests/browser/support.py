"""Shared by the browser tests: Chromium, a page whose every request is routed (anything not on loopback fails
the test), and alerts written by the REAL detector (``msa simulate`` + ``msa detect``) for seeding the database."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from msa.contracts.codec import alert_from_dict
from msa.domain import Alert
from msa.evidence import parse_evidence

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"]
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
VENDOR = REPO / "services" / "api" / "static" / "vendor"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
# Chromium logs every 4xx of fetch(); a workflow conflict (409/412) is an expected answer the page shows
_EXPECTED_CONSOLE = re.compile(r"Failed to load resource: the server responded with a status of 4(09|12)\b")

# one simulated scenario per alert kind; `msa detect` runs once over all of them
SCENARIOS = ("alboran_gofast", "strait_dark", "offshore_rendezvous", "dark_vessel", "dark_rendezvous",
             "identity_shared")
KINDS = ("go_fast", "dark_period", "rendezvous", "dark_vessel", "dark_rendezvous", "identity_anomaly")


def is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return (parts.hostname or "") in LOOPBACK or (parts.hostname or "").startswith("127.")


@contextlib.asynccontextmanager
async def guarded_page(browser: Any, blocked: list[str], errors: list[str], **context_kw: Any) -> AsyncIterator[Any]:
    """A new context + page; every request goes through a route: loopback continues, anything else is aborted
    and recorded in ``blocked`` (the test asserts it stays empty). Page errors go to ``errors``."""
    context = await browser.new_context(**context_kw)

    async def guard(route: Any) -> None:
        url = route.request.url
        if is_loopback(url):
            await route.continue_()
        else:
            blocked.append(url)
            await route.abort()

    await context.route("**/*", guard)
    page = await context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}")
            if m.type == "error" and not _EXPECTED_CONSOLE.search(m.text) else None)
    try:
        yield page
    finally:
        await context.close()


def _source_hash() -> str:
    """What the detector's output depends on: its code, the simulator and the geography."""
    h = hashlib.sha256(",".join(SCENARIOS).encode())
    for root in ("msa", "services/detect", "geo"):
        for p in sorted((REPO / root).rglob("*")):
            if p.is_file() and p.suffix in (".py", ".json", ".geojson", ".csv", ".gz", ".bin", ".npz"):
                h.update(str(p.relative_to(REPO)).encode())
                h.update(p.read_bytes())
    return h.hexdigest()[:16]


def detector_alerts() -> list[Alert]:
    """Alerts of the real detector on one simulated scenario per kind (seed 1): the final state of each alert,
    as ``msa detect`` writes it. Cached under the temp directory by a hash of the detector's sources."""
    cache = Path(tempfile.gettempdir()) / f"msa-map-alerts-{_source_hash()}"
    out = cache / "alerts.jsonl"
    if not out.exists():
        cache.mkdir(parents=True, exist_ok=True)
        script = Path(sys.executable).parent / "msa"
        msa = [str(script)] if script.exists() else [sys.executable, "-c", "from msa.cli import main; main()"]
        nmea, sat = [], []
        procs = []
        for sc in SCENARIOS:
            d = cache / sc
            procs.append(subprocess.Popen([*msa, "simulate", "--scenario", sc, "--seed", "1", "--out", str(d)],
                                          stdout=subprocess.DEVNULL, cwd=REPO))
            nmea.append(str(d / "ais.nmea"))
            sat.append(str(d / "sat.geojson"))
            if len(procs) >= max(1, (os.cpu_count() or 2)):
                for p in procs:
                    assert p.wait(300) == 0, "msa simulate failed"
                procs = []
        for p in procs:
            assert p.wait(300) == 0, "msa simulate failed"
        tmp = cache / "alerts.jsonl.tmp"
        subprocess.run([*msa, "detect", *nmea, "--sat", *sat, "--out", str(tmp)], check=True, cwd=REPO,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
        tmp.rename(out)
    alerts = [alert_from_dict(json.loads(line)) for line in out.read_text().splitlines() if line.strip()]
    for a in alerts:  # what the sink would refuse is not seeded: the detector's output follows the contract
        parse_evidence(str(a.kind), a.evidence)
    return alerts


def one_per_kind(alerts: Iterable[Alert], suffix: str) -> dict[str, Alert]:
    """The first alert of each kind, its id suffixed so that each test has its own rows (and workflow)."""
    out: dict[str, Alert] = {}
    for a in alerts:
        if str(a.kind) not in out:
            out[str(a.kind)] = dataclasses.replace(a, alert_id=f"{a.alert_id[:40]}-{suffix}")
    return out


def screenshot_path(name: str) -> str:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return str(SCREENSHOTS / name)


@contextlib.asynccontextmanager
async def launched() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def open_map(page: Any, base: str, tok: str) -> None:
    """Log in with the token in the URL fragment and wait for the live feed and the land (1:50m, or 1:10m tiles
    when the zones in scope are small enough for the page to open zoomed in)."""
    await page.goto(f"{base}/map#token={tok}")
    await page.wait_for_selector('body[data-live="1"]', timeout=15_000)
    await page.wait_for_selector("path.land", state="attached", timeout=15_000)
    await settle(page)


async def settle(page: Any) -> None:
    """Wait until the map's pan/zoom animation (fit to zones, zoom to an alert) is over."""
    await page.wait_for_timeout(100)
    await page.wait_for_function("() => !map._animatingZoom && !(map._panAnim && map._panAnim._inProgress)",
                                 timeout=5_000)
    # two frames and a little more, so that a screenshot shows the repainted map, not the frame before
    await page.evaluate("() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)))")
    await page.wait_for_timeout(250)


def require_vendored() -> None:
    """The page needs `make web`'s output: fail (not skip) with the command to run."""
    if not (VENDOR / ".stamp").exists():
        raise AssertionError(f"{VENDOR} is missing: run `make web` (make test does it)")
