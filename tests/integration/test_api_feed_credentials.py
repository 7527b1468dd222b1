"""The live feed ends when its credentials do: a token at its ``exp``, an API key when revoked (checked every
30 s in production), each with an event saying why and where to resume."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from msa.cli import main
from services.api.principal import Role
from services.api.routers import stream
from tests.integration.test_api_keys import _key
from tests.unit.api.builders import alert, token
from tests.unit.api.live import api_settings, bearer, read_sse, running_api, seed

pytestmark = pytest.mark.integration


async def test_the_feed_closes_when_the_token_expires(migrated_database_url: str) -> None:
    zone = f"z{uuid.uuid4().hex[:8]}"
    short = token(Role.OFFICER, (zone,), ttl_s=3)
    async with running_api(api_settings(migrated_database_url)) as base, \
            httpx.AsyncClient(base_url=base, timeout=30) as c:
        async with c.stream("GET", "/alerts/stream", headers=bearer(short)) as feed:
            assert feed.status_code == 200
            await asyncio.sleep(0.3)
            await seed(migrated_database_url, [alert(zone=zone, mmsi=(234000001,))])
            events = await read_sse(feed, 2, timeout_s=10)
            assert [e["event"] for e in events] == ["alert", "expired"]
            assert events[1]["data"]["last_event_id"] == int(str(events[0]["id"]))  # type: ignore[index]
        r = await c.get("/alerts/stream", headers=bearer(short))
        assert r.status_code == 401  # reconnecting with it is refused


async def test_the_feed_closes_when_its_api_key_is_revoked(migrated_database_url: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream, "KEY_RECHECK_S", 0.5)
    from services.api import deps

    monkeypatch.setattr(deps, "API_KEY_CACHE_S", 0.0)
    name = f"partner-{uuid.uuid4().hex[:8]}"
    key = await _key(migrated_database_url, name)
    async with running_api(api_settings(migrated_database_url, sse_keepalive_s=0.2)) as base, \
            httpx.AsyncClient(base_url=base, timeout=30) as c, \
            c.stream("GET", "/alerts/stream", headers={"X-API-Key": key}) as feed:
        assert feed.status_code == 200
        monkeypatch.setenv("MSA_DATABASE_URL", migrated_database_url)
        assert await asyncio.to_thread(main, ["apikeys", "revoke", name]) == 0
        events = await read_sse(feed, 1, timeout_s=10)
        assert [e["event"] for e in events] == ["revoked"]


async def test_a_revoked_token_is_refused_and_its_feed_ends(migrated_database_url: str,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(stream, "KEY_RECHECK_S", 0.5)
    zone = f"z{uuid.uuid4().hex[:8]}"
    doomed, other = token(Role.OFFICER, (zone,), name="leaked"), token(Role.OFFICER, (zone,), name="kept")
    settings = api_settings(migrated_database_url, sse_keepalive_s=0.2, token_revocation_refresh_s=0.1)
    async with running_api(settings) as base, httpx.AsyncClient(base_url=base, timeout=30) as c, \
            c.stream("GET", "/alerts/stream", headers=bearer(doomed)) as feed:
        assert feed.status_code == 200
        assert (await c.get("/alerts", headers=bearer(doomed))).status_code == 200
        monkeypatch.setenv("MSA_DATABASE_URL", migrated_database_url)
        assert await asyncio.to_thread(main, ["tokens", "revoke", "--token", doomed, "--reason", "leaked"]) == 0
        assert "revoked" in capsys.readouterr().out
        events = await read_sse(feed, 1, timeout_s=10)
        assert [e["event"] for e in events] == ["revoked"]
        await asyncio.sleep(0.2)
        r = await c.get("/alerts", headers=bearer(doomed))
        assert r.status_code == 401 and "revoked" in r.json()["detail"]
        assert (await c.get("/alerts", headers=bearer(other))).status_code == 200  # only that token
        assert await asyncio.to_thread(main, ["tokens", "revoke", "--token", doomed]) == 0  # idempotent
        assert "already revoked" in capsys.readouterr().out
