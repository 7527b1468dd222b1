"""API keys on the real database: they expire and can be revoked (``msa apikeys revoke``); a flood of unknown
keys costs a bounded number of queries (the client address is refused with 429 after its failure budget) and
grows no cache."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from msa.cli import main
from services.api import deps
from services.api.admin_store import create_api_key, revoke_api_keys
from services.api.app import create_app
from services.api.db import make_engine
from services.api.principal import Role
from tests.unit.api.live import api_settings

pytestmark = pytest.mark.integration


async def _key(url: str, name: str, ttl_days: float = 365.0) -> str:
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            return await create_api_key(conn, name, Role.PARTNER, ["*"], ttl_days)
    finally:
        await engine.dispose()


def _client(app: Any, host: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(host, 50000)), base_url="http://t")


async def test_unknown_keys_cost_a_bounded_number_of_queries_and_no_memory(migrated_database_url: str) -> None:
    app = create_app(api_settings(migrated_database_url, auth_failures_burst=20, auth_failures_per_s=0.01))
    state = app.state.msa
    queries: list[str] = []
    event.listen(state.engine.sync_engine, "before_cursor_execute",
                 lambda *a: queries.append(str(a[2])) if "api_keys" in str(a[2]) else None)
    async with _client(app, "10.1.0.66") as c:
        codes = [(await c.get("/zones", headers={"X-API-Key": f"msa_{uuid.uuid4().hex}{i}"})).status_code
                 for i in range(300)]
    assert codes[:20] == [401] * 20 and set(codes[20:]) == {429}
    assert len(queries) == 20, len(queries)  # before: one query per bogus key, 300
    assert len(state.api_key_cache) == 0  # before: 300 entries that never went away


async def test_a_key_works_until_revoked_or_expired(migrated_database_url: str, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(deps, "API_KEY_CACHE_S", 0.0)  # see revocations at once (30 s in production)
    name = f"partner-{uuid.uuid4().hex[:8]}"
    key = await _key(migrated_database_url, name)
    expired = await _key(migrated_database_url, f"{name}-old", ttl_days=1e-9)
    app = create_app(api_settings(migrated_database_url))
    async with _client(app, "10.1.0.7") as c:
        assert (await c.get("/zones", headers={"X-API-Key": key})).status_code == 200
        assert (await c.get("/zones", headers={"X-API-Key": expired})).status_code == 401
        monkeypatch.setenv("MSA_DATABASE_URL", migrated_database_url)
        assert await asyncio.to_thread(main, ["apikeys", "revoke", name]) == 0
        assert "revoked 1 key(s)" in capsys.readouterr().out
        r = await c.get("/zones", headers={"X-API-Key": key})
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    assert await asyncio.to_thread(main, ["apikeys", "revoke", name]) == 1  # nothing active left
    engine = make_engine(migrated_database_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            assert await revoke_api_keys(conn, f"{name}-old") == [expired[:12]]
    finally:
        await engine.dispose()
