"""Query parameters shared by the alert list, the live feed and the exports, parsed into an AlertFilter."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Query

from msa.domain import AlertKind, AlertStatus, Severity
from services.api.filters import AlertFilter, parse_bbox
from services.api.problems import Problem
from services.api.workflow import WorkflowState

__all__ = ["Filter"]

BBOX_DOC = "minLon,minLat,maxLon,maxLat (WGS84)"


def _ms(dt: datetime | None) -> int | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return round(dt.timestamp() * 1000)


def alert_filter(
    kind: Annotated[list[AlertKind] | None, Query(description="alert kind (repeat for several)")] = None,
    zone: Annotated[list[str] | None, Query(description="zone name (repeat for several)",
                                            max_length=128)] = None,
    status: Annotated[list[AlertStatus] | None, Query(description="detector status")] = None,
    severity: Annotated[list[Severity] | None, Query()] = None,
    workflow: Annotated[list[WorkflowState] | None, Query(description="workflow state (officers only)")] = None,
    mmsi: Annotated[int | None, Query(ge=0, le=999_999_999)] = None,
    since: Annotated[datetime | None, Query(description="alerts active at or after (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="alerts started at or before (ISO 8601)")] = None,
    bbox: Annotated[str | None, Query(description=BBOX_DOC, max_length=200)] = None,
) -> AlertFilter:
    try:
        box = parse_bbox(bbox)
    except ValueError as exc:
        raise Problem(400, "bad-request", f"bbox: {exc}") from exc
    since_ms, until_ms = _ms(since), _ms(until)
    if since_ms is not None and until_ms is not None and since_ms > until_ms:
        raise Problem(400, "bad-request", "since is after until")
    return AlertFilter(
        kinds=tuple(dict.fromkeys(str(k) for k in kind or ())),
        zones=tuple(dict.fromkeys(zone or ())),
        statuses=tuple(dict.fromkeys(str(s) for s in status or ())),
        workflow=tuple(dict.fromkeys(str(w) for w in workflow or ())),
        severities=tuple(dict.fromkeys(str(s) for s in severity or ())),
        mmsi=mmsi, since_ms=since_ms, until_ms=until_ms, bbox=box,
    )


Filter = Annotated[AlertFilter, Depends(alert_filter)]
