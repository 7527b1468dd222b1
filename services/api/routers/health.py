"""Operations: liveness, readiness (database and broker), Prometheus metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from services.api.deps import State
from services.api.problems import Problem
from services.api.render import JsonResponseFast
from services.api.schemas import Health

__all__ = ["router"]

router = APIRouter(tags=["operations"])


@router.get("/health/live", response_model=Health, summary="The process is up")
async def live() -> Response:
    return JsonResponseFast({"status": "ok", "checks": {}})


async def _broker_ok(bootstrap: str) -> bool:
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host or "127.0.0.1", int(port)), 2.0)
    except (OSError, TimeoutError, ValueError):
        return False
    writer.close()
    return True


@router.get("/health/ready", response_model=Health, summary="Database and broker reachable",
            responses={503: {"model": Health, "description": "a dependency is down"}})
async def ready(state: State) -> Response:
    checks: dict[str, str] = {}
    try:
        async with state.engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), 2.0)
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready
        checks["database"] = f"error: {type(exc).__name__}"
    checks["broker"] = "ok" if await _broker_ok(state.settings.kafka_bootstrap) else "error: unreachable"
    ok = all(v == "ok" for v in checks.values())
    return JsonResponseFast({"status": "ok" if ok else "unavailable", "checks": checks},
                            status_code=200 if ok else 503)


_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


@router.get("/metrics", summary="Prometheus metrics (from loopback unless MSA_METRICS_FROM is set)",
            response_class=Response,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
                       404: {"description": "asked from an address not allowed to scrape"}})
async def metrics(request: Request, state: State) -> Response:
    client = request.client.host if request.client is not None else ""
    allowed = _LOOPBACK | frozenset(state.settings.metrics_from)
    if client not in allowed and "*" not in allowed:  # what the service does is not for every network peer
        raise Problem(404, "not-found", "no such resource")
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
