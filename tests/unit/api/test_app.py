"""The app without a database: problem details, authentication, rate limit, OpenAPI document."""

from __future__ import annotations

import httpx
import pytest

from services.api.app import create_app
from services.api.principal import Role
from services.api.settings import ApiSettings
from tests.unit.api.builders import SECRET, token

NO_DB = "postgresql+psycopg://nobody:x@127.0.0.1:1/none"


def client(**kw: object) -> httpx.AsyncClient:
    settings = ApiSettings(database_url=NO_DB, jwt_secret=SECRET, **kw)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings)), base_url="http://t")


async def test_errors_are_problem_details() -> None:
    async with client() as c:
        r = await c.get("/alerts")
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"].endswith("/unauthorized") and "Bearer" in r.headers["www-authenticate"]
        r = await c.get("/nowhere")
        assert r.status_code == 404 and r.json()["status"] == 404
        hdr = {"Authorization": f"Bearer {token(Role.OFFICER)}"}
        r = await c.post("/alerts/abc/close", json={"reason": "bored"}, headers=hdr)
        assert r.status_code == 422 and r.json()["errors"][0]["loc"][-1] == "reason"
        r = await c.post("/alerts/abc/acknowledge", headers={"Authorization": f"Bearer {token(Role.PARTNER)}"})
        assert r.status_code == 403


async def test_an_unknown_kind_is_a_precise_422() -> None:
    hdr = {"Authorization": f"Bearer {token(Role.OFFICER)}"}
    async with client() as c:  # routes that open no connection before validating (the others: integration)
        for path in ("/alerts/stream", "/alerts/export.csv"):
            r = await c.get(path, params={"kind": ["identity_anomaly", "identity_anomly"]}, headers=hdr)
            assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", path
            (err,) = r.json()["errors"]
            assert err["loc"] == ["query", "kind", "1"] and err["type"] == "enum", path
            assert "identity_anomaly" in err["msg"] and "go_fast" in err["msg"], path


async def test_rate_limit_per_principal() -> None:
    async with client(rate_limit_per_s=0.001, rate_limit_burst=2) as c:
        alice = {"Authorization": f"Bearer {token(Role.OFFICER, name='alice')}"}
        bob = {"Authorization": f"Bearer {token(Role.OFFICER, name='bob')}"}
        codes = [(await c.post("/alerts/a/close", json={}, headers=alice)).status_code for _ in range(3)]
        assert codes == [422, 422, 429]
        r = await c.post("/alerts/a/close", json={}, headers=alice)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert (await c.post("/alerts/a/close", json={}, headers=bob)).status_code == 422


async def test_cors_is_explicit() -> None:
    async with client(cors_origins=["https://ops.example"]) as c:
        pre = {"Origin": "https://ops.example", "Access-Control-Request-Method": "GET"}
        r = await c.options("/alerts", headers=pre)
        assert r.headers.get("access-control-allow-origin") == "https://ops.example"
        r = await c.options("/alerts", headers={**pre, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers


@pytest.mark.parametrize("path", ["/alerts", "/alerts/{alert_id}", "/alerts/{alert_id}/acknowledge"])
def test_openapi_documents_problems_and_geojson(path: str) -> None:
    doc = create_app(ApiSettings(database_url=NO_DB, jwt_secret=SECRET)).openapi()
    ops = doc["paths"][path]
    for op in ops.values():
        for code, resp in op["responses"].items():
            if code.startswith("4"):
                assert list(resp["content"]) == ["application/problem+json"], (path, code)
    if path == "/alerts":
        assert "application/geo+json" in ops["get"]["responses"]["200"]["content"]


async def test_the_database_away_is_a_503_with_retry_after_not_a_500() -> None:
    officer = {"Authorization": f"Bearer {token(Role.OFFICER)}"}
    async with client() as c:  # NO_DB: nothing listens there, as while PostgreSQL restarts
        for path in ("/alerts", "/alerts/abc", "/vessels/224000001", "/alerts/export.geojson"):
            r = await c.get(path, headers=officer)
            assert r.status_code == 503, (path, r.status_code, r.text[:200])
            assert r.headers["content-type"] == "application/problem+json" and r.headers["retry-after"] == "5"
            assert r.json()["type"].endswith("/unavailable")
        r = await c.get("/alerts", headers={"X-API-Key": "msa_" + "x" * 40})  # the key lookup needs it too
        assert r.status_code == 503
