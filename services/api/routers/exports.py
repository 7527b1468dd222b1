"""File exports other tools open: GeoPackage, GeoParquet (``/alerts/export.*``) and one alert as CISE XML.

Included before the alerts router, so ``/alerts/export.gpkg`` is never taken for an alert id.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from services.api import queries
from services.api.cise import CISE_MEDIA_TYPE, alert_to_cise_xml
from services.api.deps import Conn, Exporter, ReadAlerts, State
from services.api.export_layers import Layer
from services.api.exports import ExportFormat, ExportRequest, build_export, discard_export
from services.api.filters import SortKey
from services.api.problems import PROBLEM_RESPONSES, Problem
from services.api.query_params import Filter
from services.api.render import view_for
from services.api.routers.alerts import EXPORT_MAX, AlertId

__all__ = ["router"]

router = APIRouter(prefix="/alerts", tags=["exports"], responses=PROBLEM_RESPONSES)

Limit = Annotated[int, Query(ge=1, le=EXPORT_MAX, description="alerts exported (their tracks and detections "
                                                               "come with them)")]


def _binary(media_type: str, what: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {media_type: {"schema": {"type": "string", "format": "binary"}}}, "description": what}}


async def _send(state: State, req: ExportRequest) -> FileResponse:
    path = await build_export(state.engine, req)
    return FileResponse(path, media_type=req.fmt.media_type, filename=req.file_name(),
                        background=BackgroundTask(discard_export, path))


@router.get("/export.gpkg", summary="Export alerts, evidence tracks and detections as one GeoPackage",
            response_class=FileResponse,
            responses=_binary(ExportFormat.GPKG.media_type, "GeoPackage, layers alerts, tracks, detections"))
async def export_gpkg(caller: Exporter, state: State, flt: Filter, sort: SortKey = SortKey.UPDATED_DESC,
                      limit: Limit = 10_000) -> FileResponse:
    return await _send(state, ExportRequest(caller, flt, sort, limit, ExportFormat.GPKG, tuple(Layer)))


@router.get("/export.parquet", summary="Export one layer (alerts, tracks or detections) as GeoParquet",
            response_class=FileResponse,
            responses=_binary(ExportFormat.PARQUET.media_type, "GeoParquet 1.1, one layer"))
async def export_parquet(caller: Exporter, state: State, flt: Filter, sort: SortKey = SortKey.UPDATED_DESC,
                         limit: Limit = 10_000,
                         layer: Annotated[Layer, Query(description="which layer this file holds")] = Layer.ALERTS
                         ) -> FileResponse:
    return await _send(state, ExportRequest(caller, flt, sort, limit, ExportFormat.PARQUET, (layer,)))


@router.get("/{alert_id}/cise.xml", summary="One alert as CISE entities (Anomaly, Vessel, Location) in XML",
            response_class=Response, responses=_binary(CISE_MEDIA_TYPE, "CISE data model 1.5.3 Anomaly"))
async def alert_cise(alert_id: AlertId, caller: ReadAlerts, conn: Conn, state: State) -> Response:
    alert = await queries.get_alert(conn, caller, alert_id)
    if alert is None:
        raise Problem(404, "not-found", "no such alert")
    track = await queries.alert_track(conn, alert, state.settings.track_limit)
    detections = await queries.alert_detections(conn, alert["detection_ids"])
    body = alert_to_cise_xml(view_for(caller, alert), track, detections)
    return Response(body, media_type=CISE_MEDIA_TYPE,
                    headers={"Content-Disposition": f'inline; filename="{alert_id}.cise.xml"'})
