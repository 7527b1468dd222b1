"""``GET /vessels/{mmsi}``: identity, last position, recent track and alert history (in-scope only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from services.api import queries
from services.api.deps import Conn, ReadVessels, State
from services.api.problems import PROBLEM_RESPONSES, Problem
from services.api.render import JsonResponseFast
from services.api.schemas import VesselOut

__all__ = ["router"]

router = APIRouter(prefix="/vessels", tags=["vessels"], responses=PROBLEM_RESPONSES)


@router.get("/{mmsi}", response_model=VesselOut, summary="A vessel seen in alerts you may see")
async def get_vessel(mmsi: Annotated[int, Path(ge=0, le=999_999_999)], caller: ReadVessels, conn: Conn,
                     state: State) -> Response:
    v = await queries.get_vessel(conn, caller, mmsi, state.settings.track_limit)
    if v is None:
        raise Problem(404, "not-found", "no such vessel")
    return JsonResponseFast(v)
