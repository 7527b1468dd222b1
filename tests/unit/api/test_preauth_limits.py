"""Before authentication: a body-size limit (413, chunked bodies included, never read whole) and a limit per
client address on failed authentications (429 with Retry-After, no token check, no database query)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from services.api.app import create_app
from services.api.principal import Role
from services.api.settings import ApiSettings
from tests.unit.api.builders import SECRET, token

NO_DB = "postgresql+psycopg://nobody:x@127.0.0.1:1/none"


def _client(app: object, host: str = "10.0.0.1") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(host, 40000)),  # type: ignore[arg-type]
                             base_url="http://t")


async def test_a_large_body_is_refused_before_authentication() -> None:
    app = create_app(ApiSettings(database_url=NO_DB, jwt_secret=SECRET, max_body_bytes=1024))  # type: ignore[arg-type]
    async with _client(app) as c:
        r = await c.post("/alerts/abc/comments", content=b"x" * 2000, headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"].endswith("/payload-too-large") and "1024" in r.json()["detail"]

        sent = 0

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: read up to the limit, then refused
            nonlocal sent
            for _ in range(100):
                sent += 512
                yield b"y" * 512

        r = await c.post("/alerts/abc/comments", content=chunks())
        assert r.status_code == 413
        # a small body goes through to authentication (401), and an authenticated one to validation (422)
        r = await c.post("/alerts/abc/comments", json={"text": "ok"})
        assert r.status_code == 401
        r = await c.post("/alerts/abc/close", json={"reason": "bored"},
                         headers={"Authorization": f"Bearer {token(Role.OFFICER)}"})
        assert r.status_code == 422


async def test_an_address_that_keeps_failing_authentication_gets_429_and_others_do_not() -> None:
    app = create_app(ApiSettings(database_url=NO_DB, jwt_secret=SECRET, auth_failures_burst=5,  # type: ignore[arg-type]
                                 auth_failures_per_s=0.01))
    forged = token(Role.ADMIN, ("*",), secret="not-the-servers-secret-but-long-enough-to-sign")
    async with _client(app, "10.0.0.66") as attacker, _client(app, "10.0.0.7") as officer:
        codes = [(await attacker.get("/zones", headers={"Authorization": f"Bearer {forged}"})).status_code
                 for _ in range(8)]
        assert codes == [401] * 5 + [429] * 3
        r = await attacker.get("/zones", headers={"Authorization": f"Bearer {forged}"})
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert r.headers["content-type"] == "application/problem+json"
        good = {"Authorization": f"Bearer {token(Role.OFFICER, ('*',))}"}
        assert (await officer.get("/zones", headers=good)).status_code == 200  # another address: unaffected
        assert (await attacker.get("/zones", headers=good)).status_code == 429  # this one: blocked a while
        assert (await attacker.get("/health/live")).status_code == 200  # no credentials, nothing to check


async def test_metrics_are_for_loopback_and_configured_scrapers_only() -> None:
    app = create_app(ApiSettings(database_url=NO_DB, jwt_secret=SECRET))  # type: ignore[arg-type]
    async with _client(app, "127.0.0.1") as local, _client(app, "10.0.0.9") as peer:
        assert (await local.get("/metrics")).status_code == 200
        r = await peer.get("/metrics")
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    scraped = create_app(ApiSettings(database_url=NO_DB, jwt_secret=SECRET,  # type: ignore[arg-type]
                                     metrics_from=["10.0.0.9"]))
    async with _client(scraped, "10.0.0.9") as prometheus, _client(scraped, "10.0.0.10") as other:
        assert (await prometheus.get("/metrics")).status_code == 200
        assert (await other.get("/metrics")).status_code == 404


def test_the_service_health_and_metrics_servers_listen_on_loopback_by_default() -> None:
    import argparse

    from services.detect.stream.config import DetectorConfig
    from services.ingest.cli import _add_kafka

    assert DetectorConfig("k", "db").health_host == "127.0.0.1"
    p = argparse.ArgumentParser()
    _add_kafka(p)
    assert p.parse_args([]).metrics_host == "127.0.0.1"


async def test_a_nul_character_anywhere_in_the_request_is_a_400_not_a_database_error() -> None:
    from services.api.bodylimit import has_nul

    assert has_nul(b"zone=a%00b") and has_nul(b"/alerts/%00") and not has_nul(b"zone=a%2500")
    assert has_nul(b'{"text": "a\\u0000"}', json_body=True) and has_nul(b'{"t": "\\\\\\u0000"}', json_body=True)
    assert not has_nul(b'{"text": "a\\\\u0000 typed"}', json_body=True)  # the six characters, escaped
    app = create_app(ApiSettings(database_url=NO_DB, jwt_secret=SECRET))  # type: ignore[arg-type]
    officer = {"Authorization": f"Bearer {token(Role.OFFICER)}"}
    async with _client(app) as c:
        for path in ("/alerts?zone=a%00", "/alerts/export.csv?zone=%00&zone=b", "/alerts/a%00b", "/vessels/1%00"):
            r = await c.get(path, headers=officer)
            assert r.status_code == 400 and r.json()["type"].endswith("/bad-request"), path
        r = await c.post("/alerts/abc/comments", content=b'{"text": "\\u0000"}', headers=officer)
        assert r.status_code == 400
        r = await c.post("/alerts/abc/comments", content=b'{"text": "\\\\u0000"}')  # no NUL: on to authentication
        assert r.status_code == 401
