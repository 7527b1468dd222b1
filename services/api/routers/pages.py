"""Landing page (OGC API JSON, or the live map for browsers), the live map and its static files (the page's
script and style, the vendored Leaflet and Natural Earth land of ``make web``), the AsyncAPI document."""

from __future__ import annotations

import functools
import gzip
from pathlib import Path
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

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


# what /static/ serves (by suffix; anything else is 404), e.g. the vendored LICENSE files as text; not HTML:
# the page itself is /map, with its security headers
_STATIC_TYPES = {".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8", ".json": "application/json",
                 ".geojson": "application/geo+json", ".png": "image/png", ".svg": "image/svg+xml",
                 ".txt": "text/plain; charset=utf-8", "": "text/plain; charset=utf-8"}


_COMPRESSIBLE = {".js", ".css", ".json", ".geojson", ".svg", ".txt", ""}


@functools.lru_cache(maxsize=64)
def _gzipped(path: str, mtime_ns: int, size: int) -> bytes:
    """A text file gzip-compressed once per version (the key has its mtime and size)."""
    return gzip.compress(Path(path).read_bytes(), compresslevel=6, mtime=0)


@router.get("/static/{path:path}", include_in_schema=False)
async def static_file(path: str, request: Request) -> Response:
    """The live map's files from ``services/api/static`` (no directory listing, no dot files). gzip when the
    browser accepts it: the ``.gz`` sibling ``make web`` writes beside each GeoJSON, else compressed here once per
    file version. ETag + ``no-cache``: the browser revalidates and gets a 304 while the file is unchanged."""
    parts = path.split("/")
    if not path or any(not p or p.startswith(".") for p in parts):
        return Response(status_code=404)
    file = STATIC.joinpath(*parts)
    suffix = file.suffix.lower()
    if suffix not in _STATIC_TYPES or not file.is_file() or not file.resolve().is_relative_to(STATIC.resolve()):
        return Response(status_code=404)
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", "Vary": "Accept-Encoding"}
    gzip_ok = "gzip" in request.headers.get("accept-encoding", "")
    gz = file.with_name(file.name + ".gz")
    if gzip_ok and gz.is_file():
        file, headers["Content-Encoding"] = gz, "gzip"
    st = file.stat()
    inline_gzip = gzip_ok and "Content-Encoding" not in headers and suffix in _COMPRESSIBLE and st.st_size > 1024
    etag = f'"{st.st_mtime_ns:x}-{st.st_size:x}{"-gz" if gzip_ok and (file is gz or inline_gzip) else ""}"'
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers={**headers, "ETag": etag})
    if inline_gzip:
        body = _gzipped(str(file), st.st_mtime_ns, st.st_size)
        return Response(body, media_type=_STATIC_TYPES[suffix],
                        headers={**headers, "ETag": etag, "Content-Encoding": "gzip"})
    return FileResponse(file, media_type=_STATIC_TYPES[suffix], headers={**headers, "ETag": etag}, stat_result=st)


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
