"""``GET /zones``: the zones you may see, as a GeoJSON FeatureCollection."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from services.api.deps import ReadAlerts, State
from services.api.problems import PROBLEM_RESPONSES
from services.api.render import GEOJSON, JsonResponseFast
from services.api.schemas import FeatureCollection
from services.api.zone_scope import zones_for

__all__ = ["router"]

router = APIRouter(tags=["zones"], responses=PROBLEM_RESPONSES)


@router.get("/zones", response_model=FeatureCollection, summary="Zones in your scope",
            responses={200: {"content": {GEOJSON: {}}}})
async def list_zones(caller: ReadAlerts, state: State) -> Response:
    return JsonResponseFast(zones_for(state.zones, caller), media_type=GEOJSON)
