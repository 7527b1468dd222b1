"""Running the real API (uvicorn, in the test's event loop) and seeding the real database, for integration tests."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import httpx
import orjson
import uvicorn

from msa.domain import Alert
from services.api.app import create_app
from services.api.db import make_engine
from services.api.settings import ApiSettings
from services.api.sinkstore import upsert_alert
from tests.unit.api.builders import SECRET


def api_settings(database_url: str, kafka_bootstrap: str | None = None, **kw: object) -> ApiSettings:
    """Settings of an API under test; the broker is the session's (``MSA_KAFKA_BOOTSTRAP``), never a default
    port another installation on this machine may be listening on."""
    if kafka_bootstrap is None:
        from msa.settings import Settings

        kafka_bootstrap = Settings().kafka_bootstrap
    base: dict[str, object] = {"database_url": database_url, "kafka_bootstrap": kafka_bootstrap,
                               "jwt_secret": SECRET, "sse_poll_s": 0.05, "sse_keepalive_s": 0.5,
                               "rate_limit_per_s": 10_000.0, "rate_limit_burst": 10_000, "auth_failures_burst": 10_000}
    base.update(kw)
    return ApiSettings(**base)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def running_api(settings: ApiSettings) -> AsyncIterator[str]:
    """Serve ``create_app(settings)`` on a free port; yields the base URL."""
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning",
                            lifespan="on", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def seed(database_url: str, alerts: list[Alert]) -> list[str]:
    engine = make_engine(database_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            return [await upsert_alert(conn, a) for a in alerts]
    finally:
        await engine.dispose()


def bearer(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}"}


async def read_sse(response: httpx.Response, want: int, timeout_s: float = 10.0) -> list[dict[str, object]]:
    """Read ``want`` ``alert`` events from an open SSE response (id, event, parsed data)."""
    events: list[dict[str, object]] = []

    async def go() -> None:
        buf = ""
        async for chunk in response.aiter_text():
            buf += chunk
            while "\n\n" in buf:
                frame, buf = buf.split("\n\n", 1)
                fields: dict[str, str] = {}
                for line in frame.split("\n"):
                    if line.startswith(":") or ": " not in line:
                        continue
                    k, v = line.split(": ", 1)
                    fields[k] = fields.get(k, "") + v
                if fields.get("event") in ("alert", "overflow", "expired", "revoked"):
                    events.append({"id": fields.get("id"), "event": fields["event"],
                                   "data": orjson.loads(fields["data"])})
                    if len(events) >= want:
                        return

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(go(), timeout_s)
    return events
