"""Authorisation matrix: every role × every route × own / foreign / missing object — no unexpected 2xx.
Every role × the collection routes (lists, exports, OGC alerts and tracks) and the live feed: nothing of a
foreign zone (admin: everything). Partners never see officer-only fields, exports or tracks."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import httpx
import pytest

from msa.domain import Alert
from services.api.admin_store import create_api_key
from services.api.db import make_engine
from services.api.principal import Role
from tests.unit.api.builders import alert, token
from tests.unit.api.live import api_settings, bearer, read_sse, running_api, seed

pytestmark = pytest.mark.integration

ALL = {"officer", "supervisor", "partner", "tester", "admin", "partner-key"}
STAFF = {"officer", "supervisor", "tester", "admin"}
WRITERS = {"officer", "supervisor", "admin"}

# route name → (method, path for an alert a, body, who may get a 2xx on an object in scope)
Route = tuple[str, Callable[[Alert], str], dict[str, object] | None, set[str]]
ROUTES: dict[str, Route] = {
    "get": ("GET", lambda a: f"/alerts/{a.alert_id}", None, ALL),
    "geojson": ("GET", lambda a: f"/alerts/{a.alert_id}?f=geojson", None, ALL),
    "ogc_item": ("GET", lambda a: f"/collections/alerts/items/{a.alert_id}", None, ALL),
    "audit": ("GET", lambda a: f"/alerts/{a.alert_id}/audit", None, STAFF),
    "vessel": ("GET", lambda a: f"/vessels/{a.mmsi[0]}", None, STAFF),
    "acknowledge": ("POST", lambda a: f"/alerts/{a.alert_id}/acknowledge", None, WRITERS),
    "assign_self": ("POST", lambda a: f"/alerts/{a.alert_id}/assign", {"assignee": "$me"}, WRITERS),
    "assign_other": ("POST", lambda a: f"/alerts/{a.alert_id}/assign", {"assignee": "someone"},
                     {"supervisor", "admin"}),
    "comment": ("POST", lambda a: f"/alerts/{a.alert_id}/comments", {"text": "seen"}, WRITERS),
    "close": ("POST", lambda a: f"/alerts/{a.alert_id}/close", {"reason": "actioned"}, WRITERS),
    "reopen": ("POST", lambda a: f"/alerts/{a.alert_id}/reopen", None, {"supervisor", "admin"}),
}


async def test_authorisation_matrix(migrated_database_url: str) -> None:
    zone = f"z{uuid.uuid4().hex[:8]}"
    foreign_zone = zone + "-foreign"
    n = 0

    def fresh(z: str) -> Alert:
        nonlocal n
        n += 1
        return alert(zone=z, mmsi=(260000000 + n,), extra=str(n))

    roles = ["officer", "supervisor", "partner", "tester", "admin", "partner-key"]
    own = {(r, name): fresh(zone) for r in roles for name in ROUTES}
    foreign = {(r, name): fresh(foreign_zone) for r in roles for name in ROUTES}
    await seed(migrated_database_url, [*own.values(), *foreign.values()])
    engine = make_engine(migrated_database_url, pool_size=1)
    async with engine.begin() as conn:
        key = await create_api_key(conn, f"coastguard-{zone}", Role.PARTNER, [zone])
    await engine.dispose()
    headers = {r: bearer(token(Role(r), ("*",) if r == "admin" else (zone,), name=f"{r}-user"))
               for r in roles if r != "partner-key"}
    headers["partner-key"] = {"X-API-Key": key}
    admin = headers["admin"]
    unexpected: list[str] = []
    async with running_api(api_settings(migrated_database_url)) as base, httpx.AsyncClient(base_url=base) as c:
        for (_r, name), a in [*own.items(), *foreign.items()]:  # reopen needs a closed alert
            if name == "reopen":
                res = await c.post(f"/alerts/{a.alert_id}/close", json={"reason": "actioned"}, headers=admin)
                assert res.status_code == 200
        missing = alert(zone=zone, mmsi=(269999999,), extra="never-stored")
        for r in roles:
            for name, (method, path, body, allowed) in ROUTES.items():
                if body and body.get("assignee") == "$me":
                    body = {"assignee": f"{r}-user"}
                for obj, a in (("own", own[r, name]), ("foreign", foreign[r, name]), ("missing", missing)):
                    res = await c.request(method, path(a), json=body, headers=headers[r])
                    in_scope = obj == "own" or (obj == "foreign" and r == "admin")
                    may = in_scope and r in allowed
                    ok = res.is_success
                    if ok != may:
                        unexpected.append(f"{r} {name} {obj}: {res.status_code}")
                    if not ok and res.status_code not in (401, 403, 404):
                        unexpected.append(f"{r} {name} {obj}: unexpected status {res.status_code}")
                    if obj != "own" and not in_scope and res.status_code not in (403, 404):
                        unexpected.append(f"{r} {name} {obj}: leaks existence ({res.status_code})")
                    if ok and r.startswith("partner"):
                        text = res.text
                        if '"workflow"' in text or '"comments"' in text or '"assignee"' in text:
                            unexpected.append(f"{r} {name}: officer-only field in partner response")
        # unauthenticated and garbage credentials
        for name, (method, path, body, _) in ROUTES.items():
            for h in ({}, bearer("garbage"), {"X-API-Key": "msa_not-a-key"}):
                res = await c.request(method, path(own["officer", name]), json=body, headers=h)
                if res.status_code != 401:
                    unexpected.append(f"anonymous {name} {h}: {res.status_code}")

        # lists, exports and OGC items: partners get their zone only and no officer-only field
        for r in ("partner", "partner-key"):
            for path in ("/alerts?limit=1000", "/alerts?f=geojson&limit=1000", "/alerts/export.geojson",
                         "/collections/alerts/items?limit=1000", "/zones"):
                res = await c.get(path, headers=headers[r])
                if path.startswith("/alerts/export"):
                    if res.status_code != 403:
                        unexpected.append(f"{r} {path}: {res.status_code}")
                    continue
                assert res.status_code == 200, (r, path, res.text)
                text = res.text
                if foreign_zone in text or '"workflow"' in text or '"assignee"' in text:
                    unexpected.append(f"{r} {path}: foreign or officer-only data")
            assert (await c.get("/collections/tracks/items", headers=headers[r])).status_code == 403
        # every role × the collection routes and the live feed: only what its zones allow (admin: everything)
        foreign_ids = {a.alert_id for a in foreign.values()}
        own_ids = {a.alert_id for a in own.values()}
        for r in roles:
            for path in ("/alerts?limit=1000", "/alerts?f=geojson&limit=1000", "/alerts/export.geojson",
                         "/alerts/export.csv", "/collections/alerts/items?limit=1000",
                         "/collections/tracks/items?limit=1000"):
                res = await c.get(path, headers=headers[r])
                if res.status_code == 403 and r.startswith("partner") and "/alerts?" not in path \
                        and "/collections/alerts" not in path:
                    continue  # partners: no exports, no tracks
                if res.status_code != 200:
                    unexpected.append(f"{r} {path}: {res.status_code}")
                    continue
                leaked = {i for i in foreign_ids if i in res.text}
                if r != "admin" and leaked:
                    unexpected.append(f"{r} {path}: {len(leaked)} foreign alert(s)")
                if "tracks" not in path and not any(i in res.text for i in own_ids):
                    unexpected.append(f"{r} {path}: none of its own alerts")
            mine, theirs = fresh(zone), fresh(foreign_zone)
            async with c.stream("GET", "/alerts/stream", headers=headers[r]) as feed:
                await asyncio.sleep(0.2)
                await seed(migrated_database_url, [theirs, mine])
                events = await read_sse(feed, 2 if r == "admin" else 1, timeout_s=5)
            got = {e["data"]["alert"]["alert_id"] for e in events}  # type: ignore[index]
            want = {mine.alert_id, theirs.alert_id} if r == "admin" else {mine.alert_id}
            if got != want:
                unexpected.append(f"{r} feed: {got} instead of {want}")
        officer_list = (await c.get("/alerts?limit=1000", headers=headers["officer"])).json()["items"]
        assert {a["zone"] for a in officer_list} == {zone}
        assert all("workflow" in a for a in officer_list)
        admin_list = (await c.get(f"/alerts?limit=1000&zone={foreign_zone}", headers=admin)).json()["items"]
        assert len(admin_list) == len(foreign) + len(roles)  # (+ one per role from the feed checks)
    assert unexpected == []
