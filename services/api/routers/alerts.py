"""``/alerts``: list (filters, sort, cursor pages, JSON or GeoJSON), one alert with its evidence, audit, exports."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response, StreamingResponse

from services.api import queries
from services.api.deps import Conn, Exporter, ReadAlerts, ReadAudit, State
from services.api.filters import Cursor, CursorError, SortKey
from services.api.principal import Permission
from services.api.problems import PROBLEM_RESPONSES, Problem
from services.api.query_params import Filter
from services.api.render import (
    GEOJSON,
    JsonResponseFast,
    alert_csv,
    alert_feature,
    feature_collection,
    view_for,
    wants_geojson,
)
from services.api.schemas import AlertDetail, AlertPage, AuditEntry, FeatureCollection

__all__ = ["router"]

router = APIRouter(prefix="/alerts", tags=["alerts"], responses=PROBLEM_RESPONSES)

AlertId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-:.]+$")]
EXPORT_MAX = 100_000

_LIST_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {"content": {GEOJSON: {"schema": {"$ref": "#/components/schemas/FeatureCollection"}}},
          "description": "a page of alerts (JSON) or a FeatureCollection (GeoJSON)"},
}


def _etag(version: int) -> str:
    return f'"{version}"'


@router.get("", response_model=AlertPage, responses=_LIST_CONTENT, summary="List alerts")
async def list_alerts(request: Request, caller: ReadAlerts, conn: Conn, flt: Filter,
                      sort: SortKey = SortKey.UPDATED_DESC,
                      cursor: Annotated[str | None, Query(max_length=512)] = None,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                      f: Literal["json", "geojson"] | None = None) -> Response:
    try:
        cur = Cursor.decode(cursor, sort) if cursor else None
    except CursorError as exc:
        raise Problem(400, "bad-request", str(exc)) from exc
    items, nxt = await queries.list_alerts(conn, caller, flt, sort, cur, limit)
    views = [view_for(caller, a) for a in items]
    next_cursor = nxt.encode() if nxt else None
    next_url = str(request.url.include_query_params(cursor=next_cursor)) if next_cursor else None
    if wants_geojson(request, f):
        links = [{"rel": "self", "href": str(request.url), "type": GEOJSON}]
        if next_url:
            links.append({"rel": "next", "href": next_url, "type": GEOJSON})
        body = feature_collection([alert_feature(a) for a in views], links, next_cursor=next_cursor)
        return JsonResponseFast(body, media_type=GEOJSON)
    return JsonResponseFast({"items": views, "next_cursor": next_cursor, "next": next_url})


@router.get("/export.csv", summary="Export alerts as CSV",
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV"}})
async def export_csv(caller: Exporter, state: State, flt: Filter, sort: SortKey = SortKey.UPDATED_DESC,
                     limit: Annotated[int, Query(ge=1, le=EXPORT_MAX)] = 10_000) -> Response:
    async with state.engine.connect() as conn:
        items, _ = await queries.list_alerts(conn, caller, flt, sort, None, limit)
    return StreamingResponse(alert_csv(items, caller.officer_view), media_type="text/csv",
                             headers={"Content-Disposition": 'attachment; filename="alerts.csv"'})


@router.get("/export.geojson", summary="Export alerts as GeoJSON", response_model=FeatureCollection,
            responses={200: {"content": {GEOJSON: {"schema": {"$ref": "#/components/schemas/FeatureCollection"}}}}})
async def export_geojson(caller: Exporter, conn: Conn, flt: Filter, sort: SortKey = SortKey.UPDATED_DESC,
                         limit: Annotated[int, Query(ge=1, le=EXPORT_MAX)] = 10_000) -> Response:
    items, _ = await queries.list_alerts(conn, caller, flt, sort, None, limit, evidence=True)
    body = feature_collection([alert_feature(view_for(caller, a)) for a in items])
    return JsonResponseFast(body, media_type=GEOJSON,
                            headers={"Content-Disposition": 'attachment; filename="alerts.geojson"'})


@router.get("/{alert_id}", response_model=AlertDetail, summary="One alert with its evidence track",
            responses={200: {"content": {GEOJSON: {}}}})
async def get_alert(request: Request, alert_id: AlertId, caller: ReadAlerts, conn: Conn, state: State,
                    f: Literal["json", "geojson"] | None = None) -> Response:
    alert = await queries.get_alert(conn, caller, alert_id)
    if alert is None:
        raise Problem(404, "not-found", "no such alert")
    detail = dict(view_for(caller, alert))
    detail["track"] = (await queries.alert_track(conn, alert, state.settings.track_limit)
                       if caller.can(Permission.READ_TRACKS) else [])
    detail["detections"] = await queries.alert_detections(conn, alert["detection_ids"])
    if caller.officer_view:
        detail["comments"] = await queries.alert_comments(conn, alert_id)
    headers = {"ETag": _etag(alert["workflow"]["version"])} if caller.officer_view else {}
    if wants_geojson(request, f):
        return JsonResponseFast(alert_feature(detail), media_type=GEOJSON, headers=headers)
    return JsonResponseFast(detail, headers=headers)


@router.get("/{alert_id}/audit", response_model=list[AuditEntry], summary="Append-only audit trail")
async def get_audit(alert_id: AlertId, caller: ReadAudit, conn: Conn) -> Response:
    if await queries.get_alert(conn, caller, alert_id) is None:
        raise Problem(404, "not-found", "no such alert")
    return JsonResponseFast(await queries.alert_audit(conn, alert_id))
