"""The coordinator workflow from the live map, in real Chromium (every request routed, loopback only), on alerts
the real detector wrote: keyboard navigation of the list, acknowledge / assign / comment / close as an officer,
reopen and assign to a named officer as a supervisor, the audit trail on the page; a conflict (someone acted
through the API in between) is shown, the view refreshed and the officer's draft kept; what a role may not do is
not offered, and a partner sees no workflow at all."""

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
    detector_alerts,
    guarded_page,
    launched,
    one_per_kind,
    open_map,
    require_vendored,
    screenshot_path,
)
from tests.unit.api.builders import token
from tests.unit.api.live import api_settings, bearer, running_api, seed

pytestmark = [pytest.mark.browser, pytest.mark.integration,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")]
VIEW = {"width": 1500, "height": 900}


@pytest.fixture(scope="session")
def real_alerts() -> list[Alert]:
    return detector_alerts()


async def _seeded(database_url: str, real_alerts: list[Alert], *kinds: str) -> list[Alert]:
    per_kind = one_per_kind(real_alerts, uuid.uuid4().hex[:8])
    chosen = [per_kind[k] for k in kinds]
    await seed(database_url, chosen)
    return chosen


async def _open(page: Any, alert_id: str) -> None:
    await page.click(f'#alerts tr[data-alert-id="{alert_id}"]')
    await page.wait_for_selector(f'#detail[data-alert-id="{alert_id}"]', timeout=10_000)


async def test_workflow_from_the_page_with_keyboard_and_audit_trail(browser_database_url: str,
                                                                    real_alerts: list[Alert]) -> None:
    require_vendored()
    gf, dp = await _seeded(browser_database_url, real_alerts, "go_fast", "dark_period")
    zones = tuple(sorted({gf.zone, dp.zone}))
    officer = token(Role.OFFICER, zones, name="officer.one")
    supervisor = token(Role.SUPERVISOR, zones, name="sup.one")
    async with running_api(api_settings(browser_database_url)) as base, launched() as browser:
        blocked: list[str] = []
        errors: list[str] = []
        async with guarded_page(browser, blocked, errors, viewport=VIEW) as page:
            await open_map(page, base, officer)
            # keyboard: ↓ puts the cursor on the first row, ↓ again on the second, ↑ back, Enter opens it
            rows = await page.eval_on_selector_all("#alerts tr:not([hidden])", "rs => rs.map(r => r.dataset.alertId)")
            assert gf.alert_id in rows and dp.alert_id in rows
            await page.keyboard.press("ArrowDown")
            assert await page.get_attribute("#alerts tr.cursor", "data-alert-id") == rows[0]
            await page.keyboard.press("ArrowDown")
            assert await page.get_attribute("#alerts tr.cursor", "data-alert-id") == rows[1]
            await page.keyboard.press("ArrowUp")
            await page.keyboard.press("Enter")
            await page.wait_for_selector(f'#detail[data-alert-id="{rows[0]}"]', timeout=10_000)
            assert "selected" in (await page.get_attribute(f'#alerts tr[data-alert-id="{rows[0]}"]', "class") or "")

            await _open(page, gf.alert_id)
            assert await page.text_content("#wfstate") == "new"
            # an officer is not offered reopen; R says so instead of sending anything
            assert await page.locator("#wf-reopen").count() == 0
            # A: acknowledge (If-Match = the ETag of the version on screen)
            async with page.expect_request(lambda r: r.url.endswith("/acknowledge")) as req_info:
                await page.keyboard.press("a")
            assert (await req_info.value).headers.get("if-match") == '"1"'
            await page.wait_for_selector('#detail[data-workflow="acknowledged"]', timeout=10_000)
            await page.wait_for_selector('#audit li[data-action="acknowledge"][data-actor="officer.one"]')
            assert await page.locator("#wf-acknowledge").count() == 0  # not offered any more
            # S: an officer assigns to himself only (the field is his name, read-only)
            await page.keyboard.press("s")
            assert await page.is_visible("#f-assign")
            assert await page.input_value("#assignee") == "officer.one"
            assert await page.get_attribute("#assignee", "readonly") is not None
            await page.keyboard.press("Enter")
            await page.wait_for_selector("#wfassignee", timeout=10_000)
            assert await page.inner_text("#wfassignee") == "officer.one"
            assert "officer.one" in await page.inner_text(f'#alerts tr[data-alert-id="{gf.alert_id}"]')
            # C: comment, Ctrl+Enter sends; a refresh of the panel while typing (the live feed) keeps the focus
            await page.keyboard.press("c")
            await page.keyboard.type("Guardia Civil ")
            await page.evaluate("showDetail(state.detail, state.audit)")
            await page.keyboard.type("patrol boat informed")
            assert await page.input_value("#comment") == "Guardia Civil patrol boat informed"
            await page.keyboard.press("Control+Enter")
            await page.wait_for_selector('#audit li[data-action="comment"]', timeout=10_000)
            assert "Guardia Civil patrol boat informed" in await page.inner_text("#audit")
            # R is refused on the page for an officer (and nothing is sent)
            await page.keyboard.press("r")
            assert "not possible" in await page.inner_text("#wfmsg")
            # X: close as false positive with a reason
            await page.keyboard.press("x")
            assert await page.is_visible("#f-close")
            await page.check('#f-close input[value="false_positive"]')
            await page.fill("#closenote", "known fast ferry on trials")
            await page.click('#f-close button[type="submit"]')
            await page.wait_for_selector('#detail[data-workflow="closed"]', timeout=10_000)
            assert "false positive" in await page.inner_text("#wf")
            assert await page.locator("#wf-reopen").count() == 0  # officers do not reopen
            assert await page.locator("#wf-close").count() == 0 and await page.locator("#wf-assign").count() == 0
            assert await page.locator("#wf-comment").count() == 1  # the record can still be completed
            await page.screenshot(path=screenshot_path("workflow-officer-closed.png"))

        async with guarded_page(browser, blocked, errors, viewport=VIEW) as page:
            await open_map(page, base, supervisor)
            await _open(page, gf.alert_id)
            assert await page.text_content("#wfstate") == "closed"
            # R: a supervisor reopens, with a note
            await page.keyboard.press("r")
            await page.fill("#reopennote", "ferry operator denies trials")
            await page.keyboard.press("Enter")
            await page.wait_for_selector('#detail[data-workflow="acknowledged"]', timeout=10_000)
            # S: a supervisor assigns to a named officer (free text)
            await page.keyboard.press("s")
            assert await page.get_attribute("#assignee", "readonly") is None
            await page.fill("#assignee", "officer.two")
            await page.keyboard.press("Enter")
            await page.wait_for_function(
                "() => document.querySelector('#wfassignee') && "
                "document.querySelector('#wfassignee').textContent === 'officer.two'", timeout=10_000)
            await page.wait_for_selector('#audit li[data-action="assign"][data-actor="sup.one"]', timeout=10_000)
            actions = await page.eval_on_selector_all("#audit li",
                                                      "ls => ls.map(l => [l.dataset.actor, l.dataset.action])")
            assert [a for a in actions if a[0] != "detector"] == [
                ["officer.one", "acknowledge"], ["officer.one", "assign"], ["officer.one", "comment"],
                ["officer.one", "close"], ["sup.one", "reopen"], ["sup.one", "assign"]]
            audit_text = await page.inner_text("#audit")
            assert "known fast ferry on trials" in audit_text and "ferry operator denies trials" in audit_text
            assert "to officer.two" in audit_text and "(supervisor)" in audit_text
            await page.screenshot(path=screenshot_path("workflow-supervisor-audit.png"))
        async with httpx.AsyncClient(base_url=base) as client:
            got = (await client.get(f"/alerts/{gf.alert_id}", headers=bearer(supervisor))).json()
            audit = (await client.get(f"/alerts/{gf.alert_id}/audit", headers=bearer(supervisor))).json()
        assert got["workflow"] == {"state": "acknowledged", "assignee": "officer.two", "closed_reason": None,
                                   "version": 7}
        assert [e["action"] for e in audit if e["actor"] != "detector"] == [
            "acknowledge", "assign", "comment", "close", "reopen", "assign"]
        assert blocked == [] and errors == []


async def test_conflict_is_shown_the_view_refreshed_and_the_draft_kept(browser_database_url: str,
                                                                         real_alerts: list[Alert]) -> None:
    require_vendored()
    (dr,) = await _seeded(browser_database_url, real_alerts, "dark_rendezvous")
    me = token(Role.OFFICER, (dr.zone,), name="officer.one")
    other = token(Role.OFFICER, (dr.zone,), name="officer.two")
    async with running_api(api_settings(browser_database_url)) as base, launched() as browser, \
            httpx.AsyncClient(base_url=base) as client:
        blocked: list[str] = []
        errors: list[str] = []
        async with guarded_page(browser, blocked, errors, viewport=VIEW) as page:
            await open_map(page, base, me)
            await _open(page, dr.alert_id)
            assert await page.get_attribute("#detail", "data-version") == "1"
            # the page's live feed is stopped, so that it still shows the version it loaded when the other officer
            # acts (as when the feed lags behind): the page's own action then meets the conflict
            await page.evaluate("state.abort.abort()")
            # someone acknowledges through the API while the page shows version 1 ...
            r = await client.post(f"/alerts/{dr.alert_id}/acknowledge", headers={**bearer(other), "If-Match": '"1"'})
            assert r.status_code == 200
            # ... the page's acknowledge (If-Match "1") gets 412: shown, who did what, view refreshed
            await page.keyboard.press("a")
            await page.wait_for_selector("#wfmsg.conflict", timeout=10_000)
            msg = await page.inner_text("#wfmsg")
            assert "Conflict (412)" in msg and "officer.two" in msg and "acknowledged" in msg
            assert await page.get_attribute("#detail", "data-workflow") == "acknowledged"
            assert await page.locator("#wf-acknowledge").count() == 0
            await page.wait_for_selector('#audit li[data-action="acknowledge"][data-actor="officer.two"]')
            # a comment drafted on the page while the other officer comments through the API: 412, the view is
            # refreshed with the other comment, and the draft is still in the box; sending again works
            await page.keyboard.press("c")
            await page.keyboard.type("vessel seen loitering for two hours")
            version = await page.get_attribute("#detail", "data-version")
            r = await client.post(f"/alerts/{dr.alert_id}/comments", json={"text": "I am on it"},
                                  headers={**bearer(other), "If-Match": f'"{version}"'})
            assert r.status_code == 200
            await page.keyboard.press("Control+Enter")
            await page.wait_for_selector("#wfmsg.conflict", timeout=10_000)
            await page.wait_for_function("() => document.querySelector('#wfmsg').textContent.includes('commented')")
            assert "Your comment is kept" in await page.inner_text("#wfmsg")
            assert await page.input_value("#comment") == "vessel seen loitering for two hours"
            assert "I am on it" in await page.inner_text("#audit")
            await page.screenshot(path=screenshot_path("workflow-conflict.png"))
            await page.focus("#comment")
            await page.keyboard.press("Control+Enter")
            await page.wait_for_selector("#wfmsg.ok", timeout=10_000)
            await page.wait_for_function(
                "() => document.querySelector('#audit').textContent.includes('vessel seen loitering')")
            # a 409 (the state forbids it): closed through the API, then the page tries to assign
            version = await page.get_attribute("#detail", "data-version")
            await page.keyboard.press("s")
            r = await client.post(f"/alerts/{dr.alert_id}/close", json={"reason": "actioned"},
                                  headers={**bearer(other), "If-Match": f'"{version}"'})
            assert r.status_code == 200
            await page.evaluate("state.etag = null")  # no If-Match: the server judges the state alone → 409
            await page.keyboard.press("Enter")
            await page.wait_for_selector("#wfmsg.conflict", timeout=10_000)
            msg = await page.inner_text("#wfmsg")
            assert "Conflict (409)" in msg and "closed" in msg and "no longer possible" in msg
            assert await page.get_attribute("#detail", "data-workflow") == "closed"
        assert blocked == [] and errors == []


async def test_roles_see_only_what_they_may_do(browser_database_url: str, real_alerts: list[Alert]) -> None:
    require_vendored()
    (gf,) = await _seeded(browser_database_url, real_alerts, "go_fast")
    async with running_api(api_settings(browser_database_url)) as base, launched() as browser:
        blocked: list[str] = []
        errors: list[str] = []
        # a partner: the alert and its figures, no track (no track permission), no workflow, audit, vessel history
        async with guarded_page(browser, blocked, errors, viewport=VIEW) as page:
            await open_map(page, base, token(Role.PARTNER, (gf.zone,), name="partner.pt"))
            await _open(page, gf.alert_id)
            await page.wait_for_selector(f'#map[data-evidence="{gf.alert_id}"]', state="attached", timeout=10_000)
            assert await page.locator("path.ev-track").count() == 0 and await page.locator("path.ev-fix").count() == 0
            assert "Max speed" in await page.inner_text("#detail")
            assert await page.locator("#wf").count() == 0 and await page.locator("#audit").count() == 0
            assert await page.locator(".vtrack-btn").count() == 0
            assert "new" not in await page.inner_text(f'#alerts tr[data-alert-id="{gf.alert_id}"] td.wf')
            await page.keyboard.press("a")  # nothing to act on: no request, no error
            await page.screenshot(path=screenshot_path("role-partner.png"))
        # a tester: reads the workflow and the audit trail, is offered no action
        async with guarded_page(browser, blocked, errors, viewport=VIEW) as page:
            await open_map(page, base, token(Role.TESTER, (gf.zone,), name="tester.t"))
            await _open(page, gf.alert_id)
            assert await page.locator("#wf").count() == 1 and await page.locator("#wf button").count() == 0
            assert "Read-only role" in await page.inner_text("#wf")
            assert await page.locator("#audit li").count() >= 1
        assert blocked == [] and errors == []
