"""OGC API – Features (Part 1 core + GeoJSON) for the ``alerts`` and ``tracks`` collections (QGIS-readable)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from msa.domain import AlertKind
from services.api import queries
from services.api.deps import Caller, Conn
from services.api.filters import AlertFilter, Cursor, CursorError, SortKey, parse_bbox, parse_interval
from services.api.principal import Permission
from services.api.problems import PROBLEM_RESPONSES, Problem
from services.api.render import GEOJSON, JsonResponseFast, alert_feature, feature_collection, view_for
from services.api.rows import ts_text
from services.api.schemas import Feature, FeatureCollection

__all__ = ["router"]

router = APIRouter(tags=["OGC API - Features"], responses=PROBLEM_RESPONSES)

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
_KINDS = ", ".join(str(k) for k in AlertKind)
COLLECTIONS = {
    "alerts": ("Alerts", "Alerts (latest version of each), geometry as the detector drew it. "
                         f"kind= filters by alert kind ({_KINDS}), repeat it for several."),
    "tracks": ("Evidence tracks", "Positions kept as evidence of alerts, one Point per fix. "
                                  "kind= keeps the positions of alerts of that kind."),
}
_FC_REF = {"$ref": "#/components/schemas/FeatureCollection"}
_ITEMS_CONTENT: dict[int | str, dict[str, Any]] = {200: {"content": {GEOJSON: {"schema": _FC_REF}}}}
CollectionId = Annotated[str, Path(pattern="^(alerts|tracks)$")]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _collection(base: str, cid: str) -> dict[str, Any]:
    title, desc = COLLECTIONS[cid]
    return {"id": cid, "title": title, "description": desc, "itemType": "feature",
            "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
            "extent": {"spatial": {"bbox": [[-180.0, -90.0, 180.0, 90.0]]}},
            "links": [{"rel": "self", "type": "application/json", "href": f"{base}/collections/{cid}"},
                      {"rel": "items", "type": GEOJSON, "href": f"{base}/collections/{cid}/items"}]}


@router.get("/conformance", summary="OGC conformance classes")
async def conformance() -> dict[str, list[str]]:
    return {"conformsTo": CONFORMANCE}


@router.get("/collections", summary="Feature collections")
async def collections(request: Request) -> dict[str, Any]:
    base = _base(request)
    return {"collections": [_collection(base, c) for c in COLLECTIONS],
            "links": [{"rel": "self", "type": "application/json", "href": f"{base}/collections"}]}


@router.get("/collections/{collection_id}", summary="One feature collection")
async def collection(request: Request, collection_id: CollectionId) -> dict[str, Any]:
    return _collection(_base(request), collection_id)


def _parse(bbox: str | None, datetime_: str | None) -> tuple[Any, int | None, int | None]:
    try:
        box = parse_bbox(bbox)
        since, until = parse_interval(datetime_)
    except (ValueError, OverflowError) as exc:
        raise Problem(400, "bad-request", str(exc)) from exc
    return box, since, until


@router.get("/collections/{collection_id}/items", response_model=FeatureCollection, responses=_ITEMS_CONTENT,
            summary="Features, filtered by bbox and datetime, with next links")
async def items(request: Request, collection_id: CollectionId, caller: Caller, conn: Conn,
                bbox: Annotated[str | None, Query(max_length=200)] = None,
                datetime_: Annotated[str | None, Query(alias="datetime", max_length=100)] = None,
                limit: Annotated[int, Query(ge=1, le=10000)] = 100,
                cursor: Annotated[str | None, Query(max_length=512)] = None,
                kind: Annotated[list[AlertKind] | None, Query(description="alert kind (repeat for several)")
                                ] = None) -> Response:
    box, since, until = _parse(bbox, datetime_)
    kinds = tuple(dict.fromkeys(str(k) for k in kind or ()))
    links = [{"rel": "self", "type": GEOJSON, "href": str(request.url)}]
    if collection_id == "alerts":
        if not caller.can(Permission.READ_ALERTS):
            raise Problem(403, "forbidden", "may not read alerts")
        try:
            cur = Cursor.decode(cursor, SortKey.UPDATED_DESC) if cursor else None
        except CursorError as exc:
            raise Problem(400, "bad-request", str(exc)) from exc
        flt = AlertFilter(kinds=kinds, bbox=box, since_ms=since, until_ms=until)
        rows, nxt = await queries.list_alerts(conn, caller, flt, SortKey.UPDATED_DESC, cur, limit)
        feats = [alert_feature(view_for(caller, a)) for a in rows]
        next_token = nxt.encode() if nxt else None
    else:
        if not caller.can(Permission.READ_TRACKS):
            raise Problem(403, "forbidden", "may not read tracks")
        after = None
        if cursor:
            if not cursor.isdigit() or len(cursor) > 18:
                raise Problem(400, "bad-request", "cursor is not valid")
            after = int(cursor)
        prow = await queries.list_positions(conn, caller, box, since, until, after, limit, kinds=kinds)
        more = len(prow) > limit
        prow = prow[:limit]
        feats = [_track_feature(r) for r in prow]
        next_token = str(prow[-1].id) if more and prow else None
    if next_token:
        links.append({"rel": "next", "type": GEOJSON, "href": str(request.url.include_query_params(
            cursor=next_token))})
    body = feature_collection(feats, links, numberReturned=len(feats))
    return JsonResponseFast(body, media_type=GEOJSON)


def _track_feature(r: Any) -> dict[str, Any]:
    return {"type": "Feature", "id": r.id, "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
            "properties": {"mmsi": r.mmsi, "ts": ts_text(r.ts), "sog_kn": r.sog_kn, "cog_deg": r.cog_deg,
                           "alert_id": r.alert_id}}


@router.get("/collections/{collection_id}/items/{feature_id}", response_model=Feature,
            responses={200: {"content": {GEOJSON: {}}}}, summary="One feature")
async def item(collection_id: CollectionId, feature_id: Annotated[str, Path(max_length=64)], caller: Caller,
               conn: Conn) -> Response:
    if collection_id == "tracks":
        if not caller.can(Permission.READ_TRACKS):
            raise Problem(403, "forbidden", "may not read tracks")
        if not feature_id.isdigit() or len(feature_id) > 18:
            raise Problem(404, "not-found", "no such feature")
        rows = await queries.list_positions(conn, caller, None, None, None, None, 1, position_id=int(feature_id))
        if not rows:
            raise Problem(404, "not-found", "no such feature")
        return JsonResponseFast(_track_feature(rows[0]), media_type=GEOJSON)
    if not caller.can(Permission.READ_ALERTS):
        raise Problem(404, "not-found", "no such feature")
    alert = await queries.get_alert(conn, caller, feature_id)
    if alert is None:
        raise Problem(404, "not-found", "no such feature")
    return JsonResponseFast(alert_feature(view_for(caller, alert)), media_type=GEOJSON)
