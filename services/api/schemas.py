"""Public response and request schemas (pydantic), separate from the tables. They drive the OpenAPI document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from msa.contracts.schemas import AlertKindName

__all__ = ["AcceptedAction", "AlertDetail", "AlertOut", "AlertPage", "AssignIn", "AuditEntry", "CloseIn",
           "CommentIn", "CommentOut", "Feature", "FeatureCollection", "Health", "ProblemDetails", "VesselOut",
           "WorkflowOut"]


class ProblemDetails(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None


class WorkflowOut(BaseModel):
    state: Literal["new", "acknowledged", "closed"]
    assignee: str | None
    closed_reason: Literal["actioned", "false_positive"] | None
    version: int = Field(description="workflow version: send it back as If-Match or expected_version")


class VesselIdentityOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    mmsi: int
    name: str | None = None
    call_sign: str | None = None
    imo: int | None = None
    flag: str | None = None
    ship_type: int | None = None
    length_m: float | None = None


class AlertOut(BaseModel):
    """An alert as the detector sent it (latest version). ``workflow`` is officer-only (absent for partners)."""

    alert_id: str
    kind: AlertKindName
    status: Literal["open", "updated", "closed", "retracted"]
    version: int
    mmsi: list[int]
    start: str
    end: str | None
    updated: str
    zone: str
    severity: Literal["low", "medium", "high"]
    score: float
    geometry: dict[str, Any] | None
    vessels: list[VesselIdentityOut]
    detection_ids: list[str]
    summary: str
    evidence: dict[str, Any] | None = Field(None, description="in one alert and the GeoJSON export, not in lists")
    workflow: WorkflowOut | None = None


class TrackPoint(BaseModel):
    mmsi: int | None = None
    ts: str
    lat: float
    lon: float
    sog_kn: float | None = None
    cog_deg: float | None = None


class DetectionOut(BaseModel):
    detection_id: str
    ts: str
    lat: float
    lon: float
    confidence: float
    sensor: str
    scene_id: str
    length_m: float | None = None


class CommentOut(BaseModel):
    id: int
    at: str
    author: str
    text: str


class AlertDetail(AlertOut):
    track: list[TrackPoint]
    detections: list[DetectionOut]
    comments: list[CommentOut] | None = None


class AlertPage(BaseModel):
    items: list[AlertOut]
    next_cursor: str | None
    next: str | None = Field(None, description="URL of the next page")


class AuditEntry(BaseModel):
    id: int
    at: str
    actor: str
    action: str
    detail: dict[str, Any]


class LastPosition(BaseModel):
    ts: str
    lat: float
    lon: float


class VesselOut(BaseModel):
    identity: VesselIdentityOut
    last_position: LastPosition | None
    track: list[TrackPoint]
    alerts: list[AlertOut]


class Feature(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: Literal["Feature"]
    id: str | int | None = None
    geometry: dict[str, Any] | None
    properties: dict[str, Any] | None


class FeatureCollection(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: Literal["FeatureCollection"]
    features: list[Feature]


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expected_version: int | None = Field(None, ge=1, description="alternative to the If-Match header")


class AcknowledgeIn(ActionIn):
    pass


class AssignIn(ActionIn):
    assignee: str = Field(min_length=1, max_length=128)


class CommentIn(ActionIn):
    text: str = Field(min_length=1, max_length=4000)


class CloseIn(ActionIn):
    reason: Literal["actioned", "false_positive"]
    note: str | None = Field(None, max_length=4000)


class ReopenIn(ActionIn):
    note: str | None = Field(None, max_length=4000)


class AcceptedAction(BaseModel):
    alert_id: str
    action: str
    state: Literal["new", "acknowledged", "closed"]
    version: int


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = Field(default_factory=dict)
