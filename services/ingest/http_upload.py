"""HTTP upload of satellite detections: ``POST /detections`` with a GeoJSON FeatureCollection.

The body is validated feature by feature (:mod:`services.ingest.satellite`); valid features are handed to
``publish`` (the Kafka publisher in the worker, a list in tests), rejects too, and the response lists
what was accepted and what was rejected with its reason. 202 when at least one feature was accepted,
422 when none was.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from msa.domain import Record, Reject
from services.ingest.satellite import parse_geojson_bytes

__all__ = ["create_app"]

Publish = Callable[[Sequence[Record | Reject]], Awaitable[None]]
MAX_BODY_BYTES = 20 * 1024 * 1024


def create_app(publish: Publish, *, registry: CollectorRegistry | None = None) -> FastAPI:
    app = FastAPI(title="msa satellite upload", version="1")

    @app.post("/detections", status_code=202, summary="Upload satellite detections (GeoJSON FeatureCollection)")
    async def upload(request: Request) -> JSONResponse:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"detail": "body too large"}, status_code=413)
        source = f"http:{request.client.host if request.client else '-'}"
        records, rejects = parse_geojson_bytes(body, source)
        await publish([*records, *rejects])
        content: dict[str, Any] = {
            "accepted": len(records),
            "rejected": [{"reason": r.reason, "detail": r.detail} for r in rejects],
        }
        return JSONResponse(content, status_code=202 if records else 422)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics")
    async def metrics() -> Response:
        data = generate_latest(registry) if registry is not None else generate_latest()
        return Response(data, media_type=CONTENT_TYPE_LATEST)

    return app
