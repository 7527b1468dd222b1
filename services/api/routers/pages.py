"""Landing page (OGC API JSON, or the live map for browsers), the live map, the AsyncAPI document."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.api.render import JsonResponseFast

__all__ = ["router"]

router = APIRouter(tags=["pages"])

STATIC = Path(__file__).resolve().parents[1] / "static"
ASYNCAPI = Path(__file__).resolve().parents[3] / "schemas" / "asyncapi.yaml"

_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'")


@functools.cache
def _map_html() -> str:
    return (STATIC / "map.html").read_text(encoding="utf-8")


def _map_response() -> HTMLResponse:
    return HTMLResponse(_map_html(), headers={"Content-Security-Policy": _CSP, "X-Frame-Options": "DENY",
                                              "Referrer-Policy": "no-referrer"})


@router.get("/", summary="Landing page (OGC API) — browsers get the live map",
            responses={200: {"content": {"text/html": {}}}})
async def landing(request: Request, f: Literal["json", "html"] | None = None) -> Response:
    accept = request.headers.get("accept", "")
    if f == "html" or (f is None and "text/html" in accept):
        return _map_response()
    base = str(request.base_url).rstrip("/")
    links: list[dict[str, Any]] = [
        {"rel": "self", "type": "application/json", "href": f"{base}/"},
        {"rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0", "href": f"{base}/openapi.json"},
        {"rel": "service-doc", "type": "text/html", "href": f"{base}/docs"},
        {"rel": "conformance", "type": "application/json", "href": f"{base}/conformance"},
        {"rel": "data", "type": "application/json", "href": f"{base}/collections"},
        {"rel": "alternate", "type": "text/html", "title": "live map", "href": f"{base}/map"},
    ]
    return JsonResponseFast({"title": "MSA alert service",
                             "description": "Maritime situational-awareness alerts", "links": links})


@router.get("/map", response_class=HTMLResponse, summary="Live map for operations-centre officers")
async def live_map() -> HTMLResponse:
    return _map_response()


def _asyncapi() -> dict[str, Any]:
    if ASYNCAPI.exists():
        import yaml

        doc = yaml.safe_load(ASYNCAPI.read_text(encoding="utf-8"))
        if isinstance(doc, dict):
            return doc
    from services.api.asyncapi import fallback_asyncapi

    return fallback_asyncapi()


@router.get("/asyncapi.json", summary="AsyncAPI document of the Kafka topics (partner contract)")
async def asyncapi_json() -> Response:
    return JsonResponseFast(_asyncapi())


@router.get("/asyncapi.yaml", summary="AsyncAPI document (YAML)",
            responses={200: {"content": {"application/yaml": {"schema": {"type": "object"}}}}})
async def asyncapi_yaml() -> Response:
    if ASYNCAPI.exists():
        return Response(ASYNCAPI.read_bytes(), media_type="application/yaml")
    import yaml

    text = yaml.safe_dump(orjson.loads(orjson.dumps(_asyncapi())), sort_keys=False)
    return Response(text, media_type="application/yaml")
