"""HTTP upload of satellite detections: ``POST /detections`` with a GeoJSON FeatureCollection.

Only for a provider holding the upload key (``Authorization: Bearer <MSA_SAT_UPLOAD_KEY>``, at least 32
bytes; the worker refuses to start without one): anything else is a 401 before the body is read. The body is
size-checked as it streams (a declared ``Content-Length`` over the limit is refused at once, a chunked body
as soon as it goes over: never read whole). It is validated feature by feature
(:mod:`msa.formats.satellite`); valid features are handed to ``publish`` (the Kafka publisher in the
worker, a list in tests), rejects too, and the response lists what was accepted and what was rejected with its
reason. 202 when at least one feature was accepted, 422 when none was.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from msa.domain import Record, Reject
from msa.formats.satellite import parse_geojson_bytes

__all__ = ["MIN_UPLOAD_KEY_BYTES", "UploadKeyError", "check_upload_key", "create_app"]

Publish = Callable[[Sequence[Record | Reject]], Awaitable[None]]
MAX_BODY_BYTES = 20 * 1024 * 1024
MIN_UPLOAD_KEY_BYTES = 32


class UploadKeyError(ValueError):
    """No upload key of adequate strength: the endpoint would take anyone's detections."""


def check_upload_key(key: str | None) -> str:
    if not key or len(key.encode()) < MIN_UPLOAD_KEY_BYTES:
        raise UploadKeyError(
            "set MSA_SAT_UPLOAD_KEY to at least 32 random bytes (the providers send it as 'Authorization: Bearer "
            "<key>'), e.g. MSA_SAT_UPLOAD_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')")
    return key


def _problem(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"status": status, "detail": detail}, status_code=status, headers=headers,
                        media_type="application/problem+json")


def create_app(publish: Publish, *, upload_key: str, registry: CollectorRegistry | None = None,
               max_body_bytes: int = MAX_BODY_BYTES) -> FastAPI:
    key = check_upload_key(upload_key).encode()
    app = FastAPI(title="msa satellite upload", version="1")

    @app.post("/detections", status_code=202, summary="Upload satellite detections (GeoJSON FeatureCollection)")
    async def upload(request: Request) -> JSONResponse:
        auth = request.headers.get("authorization", "")
        given = auth[7:].strip().encode() if auth[:7].lower() == "bearer " else b""
        if not hmac.compare_digest(given, key):
            return _problem(401, "upload key required: Authorization: Bearer <key>",
                            {"WWW-Authenticate": 'Bearer realm="msa-sat-upload"'})
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_body_bytes):
            return _problem(413, f"body larger than {max_body_bytes} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_body_bytes:
                return _problem(413, f"body larger than {max_body_bytes} bytes")
            chunks.append(chunk)
        body = b"".join(chunks)
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
