"""Coordinator workflow on the real database: audit trail, optimistic concurrency, one winner."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from services.api.principal import Role
from tests.unit.api.builders import alert, token
from tests.unit.api.live import api_settings, bearer, running_api, seed

pytestmark = pytest.mark.integration


async def test_every_step_is_audited(migrated_database_url: str) -> None:
    zone = f"z{uuid.uuid4().hex[:8]}"
    a = alert(zone=zone)
    await seed(migrated_database_url, [a])
    alice = bearer(token(Role.OFFICER, (zone,), name="alice"))
    boss = bearer(token(Role.SUPERVISOR, (zone,), name="boss"))
    url = f"/alerts/{a.alert_id}"
    async with running_api(api_settings(migrated_database_url)) as base, httpx.AsyncClient(base_url=base) as c:
        r = await c.post(f"{url}/acknowledge", headers={**alice, "If-Match": '"1"'})
        assert r.status_code == 200 and r.json() == {"alert_id": a.alert_id, "action": "acknowledge",
                                                     "state": "acknowledged", "version": 2}
        assert (await c.post(f"{url}/assign", json={"assignee": "bob"}, headers=alice)).status_code == 403
        r = await c.post(f"{url}/assign", json={"assignee": "bob", "expected_version": 2}, headers=boss)
        assert r.status_code == 200 and r.headers["etag"] == '"3"'
        r = await c.post(f"{url}/comments", json={"text": "RHIB heading to the beach"}, headers=alice)
        assert r.status_code == 200
        # a stale If-Match is refused with 412 and changes nothing
        r = await c.post(f"{url}/close", json={"reason": "actioned"}, headers={**alice, "If-Match": '"2"'})
        assert r.status_code == 412 and r.json()["current_version"] == 4
        r = await c.post(f"{url}/close", json={"reason": "false_positive", "note": "fishing boat"},
                         headers={**alice, "If-Match": '"4"'})
        assert r.status_code == 200 and r.json()["state"] == "closed"
        assert (await c.post(f"{url}/close", json={"reason": "actioned"}, headers=alice)).status_code == 409
        assert (await c.post(f"{url}/reopen", headers=alice)).status_code == 403
        assert (await c.post(f"{url}/reopen", headers=boss)).json()["state"] == "acknowledged"

        detail = (await c.get(url, headers=alice)).json()
        assert detail["workflow"] == {"state": "acknowledged", "assignee": "bob", "closed_reason": None,
                                      "version": 6}
        assert [x["text"] for x in detail["comments"]] == ["RHIB heading to the beach"]
        audit = (await c.get(f"{url}/audit", headers=alice)).json()
        assert [(e["actor"], e["action"]) for e in audit] == [
            ("detector", "created"), ("alice", "acknowledge"), ("boss", "assign"), ("alice", "comment"),
            ("alice", "close"), ("boss", "reopen")]
        assert audit[4]["detail"]["reason"] == "false_positive" and audit[4]["detail"]["from"] == "acknowledged"
        ids = [e["id"] for e in audit]
        assert ids == sorted(ids)


async def test_concurrent_acknowledgements_have_exactly_one_winner(migrated_database_url: str) -> None:
    zone = f"z{uuid.uuid4().hex[:8]}"
    a = alert(zone=zone)
    await seed(migrated_database_url, [a])
    officers = [bearer(token(Role.OFFICER, (zone,), name=f"officer{i}")) for i in range(8)]
    async with running_api(api_settings(migrated_database_url)) as base, httpx.AsyncClient(base_url=base) as c:
        rs = await asyncio.gather(*[c.post(f"/alerts/{a.alert_id}/acknowledge", headers=h) for h in officers])
        codes = sorted(r.status_code for r in rs)
        assert codes == [200] + [409] * 7
        # the same race with If-Match: one 200, the rest 409/412, never two winners
        b = alert(zone=zone, mmsi=(1, 2))
        await seed(migrated_database_url, [b])
        rs = await asyncio.gather(*[c.post(f"/alerts/{b.alert_id}/acknowledge",
                                           headers={**h, "If-Match": '"1"'}) for h in officers])
        assert [r.status_code for r in rs].count(200) == 1
        assert {r.status_code for r in rs} <= {200, 409, 412}
        audit = (await c.get(f"/alerts/{a.alert_id}/audit", headers=officers[0])).json()
        assert [e["action"] for e in audit].count("acknowledge") == 1
