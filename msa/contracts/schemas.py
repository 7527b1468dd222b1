"""Pydantic models of every wire payload; the JSON Schemas in ``schemas/`` are generated from these.

``msa schemas export`` rewrites them; a test fails when the checked-in files drift from the code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from msa.contracts.topics import ALL_TOPICS

__all__ = ["PAYLOADS", "AlertKindName", "asyncapi_document", "export_schemas", "render_schemas"]

Iso = Field(description="ISO 8601 UTC event time, e.g. 2026-11-25T10:00:00Z")

# the wire names of ``msa.domain.AlertKind`` (a unit test keeps the two equal); the API's schemas use it too
AlertKindName = Literal["go_fast", "dark_period", "rendezvous", "dark_vessel", "dark_rendezvous", "identity_anomaly"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PositionPayload(_Strict):
    kind: Literal["position"]
    mmsi: int = Field(ge=1, le=999_999_999)
    ts: str = Iso
    time_source: Literal["tag_block", "wrapper", "csv", "scene", "receipt"]
    lat: float | None = Field(ge=-90, le=90)
    lon: float | None = Field(ge=-180, le=180)
    sog_kn: float | None = Field(None, ge=0, description="speed over ground, knots; null = not available")
    cog_deg: float | None = Field(None, ge=0, lt=360)
    heading_deg: int | None = Field(None, ge=0, lt=360)
    nav_status: int | None = None
    msg_type: int
    ais_class: Literal["A", "B", "LR"]
    source: str
    pos_accuracy: bool | None = None
    utc_second: int | None = None


class StaticPayload(_Strict):
    kind: Literal["static"]
    mmsi: int = Field(ge=1, le=999_999_999)
    ts: str = Iso
    time_source: Literal["tag_block", "wrapper", "csv", "scene", "receipt"]
    msg_type: int
    source: str
    ais_class: Literal["A", "B", "LR"]
    name: str | None = None
    call_sign: str | None = None
    imo: int | None = None
    ship_type: int | None = None
    length_m: float | None = None
    beam_m: float | None = None
    draught_m: float | None = None
    destination: str | None = None
    part: int | None = None


class OtherPayload(_Strict):
    kind: Literal["other"]
    mmsi: int
    ts: str = Iso
    time_source: Literal["tag_block", "wrapper", "csv", "scene", "receipt"]
    msg_type: int
    source: str
    fields: dict[str, Any]


class DetectionPayload(_Strict):
    kind: Literal["detection"]
    detection_id: str
    ts: str = Iso
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    confidence: float = Field(ge=0, le=1)
    sensor: str
    scene_id: str
    length_m: float | None = Field(None, gt=0)


class _Polygon(_Strict):
    type: Literal["Polygon"]
    coordinates: list[list[list[float]]]


class ScenePayload(_Strict):
    kind: Literal["scene"]
    scene_id: str
    ts: str = Iso
    sensor: str
    geometry: _Polygon


class RejectPayload(_Strict):
    kind: Literal["reject"]
    reason: str = Field(description="machine-readable reason, e.g. bad_checksum, orphan_fragment, invalid_mmsi")
    raw: str = Field(description="the raw input line or record, as received")
    source: str
    ts: str | None = None
    detail: str = ""


class VesselPayload(_Strict):
    mmsi: int
    name: str | None = None
    call_sign: str | None = None
    imo: int | None = None
    flag: str | None = None
    ship_type: int | None = None
    length_m: float | None = None


class AlertProperties(_Strict):
    alert_id: str
    kind: AlertKindName
    status: Literal["open", "updated", "closed", "retracted"]
    version: int = Field(ge=1)
    mmsi: list[int]
    start: str = Iso
    end: str | None = None
    updated: str = Iso
    zone: str
    severity: Literal["low", "medium", "high"]
    score: float = Field(ge=0, le=1)
    vessels: list[VesselPayload]
    detection_ids: list[str]
    summary: str
    evidence: dict[str, Any]


class AlertFeature(_Strict):
    """Data of an alert CloudEvent: an RFC 7946 Feature (lon, lat order)."""

    type: Literal["Feature"]
    id: str
    geometry: dict[str, Any]
    properties: AlertProperties


PAYLOADS: dict[str, type[BaseModel]] = {
    "position": PositionPayload,
    "static": StaticPayload,
    "other": OtherPayload,
    "satellite": DetectionPayload,
    "scene": ScenePayload,
    "reject": RejectPayload,
    "alert": AlertFeature,
}


def render_schemas() -> dict[str, str]:
    from msa.evidence import evidence_json_schemas

    out = {}
    for name, model in PAYLOADS.items():
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://msa.example.org/schemas/{name}.schema.json"
        out[f"{name}.schema.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    for kind, schema in evidence_json_schemas().items():  # properties.evidence of an alert, per kind
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://msa.example.org/schemas/evidence/{kind}.schema.json"
        out[f"evidence/{kind}.schema.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    out["asyncapi.json"] = json.dumps(asyncapi_document(), indent=2, sort_keys=True) + "\n"
    out["asyncapi.yaml"] = yaml.safe_dump(asyncapi_document(), sort_keys=True, allow_unicode=True, width=110)
    return out


def asyncapi_document() -> dict[str, Any]:
    from msa.evidence import EVIDENCE_MODELS

    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for spec in ALL_TOPICS:
        msg_name = f"{spec.payload}Message"
        msg: dict[str, Any] = {
            "name": msg_name,
            "payload": {"$ref": f"./{spec.payload}.schema.json"},
            "bindings": {"kafka": {"key": {"type": "string", "description": spec.key}}},
        }
        if spec.payload == "alert":
            msg["contentType"] = "application/geo+json"
            msg["headers"] = {"type": "object", "description": "CloudEvents 1.0 binary mode",
                              "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time"],
                              "properties": {h: {"type": "string"} for h in (
                                  "ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject",
                                  "ce_dataschema", "content-type")}}
        else:
            msg["contentType"] = "application/json"
        messages[msg_name] = msg
        channels[spec.name] = {
            "address": spec.name,
            "description": spec.description + f" Partitions: {spec.partitions}. Key: {spec.key}.",
            "messages": {msg_name: {"$ref": f"#/components/messages/{msg_name}"}},
        }
    channels["alerts.v1.partner.{partner}"] = {
        "address": "alerts.v1.partner.{partner}",
        "description": "Per-partner alert topic: the alerts of the partner's zones and kinds, partner view "
                       "(no officer-only fields). Same CloudEvents contract as alerts.v1.",
        "parameters": {"partner": {"description": "partner name"}},
        "messages": {"alertMessage": {"$ref": "#/components/messages/alertMessage"}},
    }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Maritime situational awareness topics", "version": "1.0.0",
                 "description": "Kafka topics of the msa service. Alerts are CloudEvents (binary mode) whose "
                                "data is a GeoJSON Feature; subscribe to alerts.v1 or your partner topic."},
        "servers": {"local": {"host": "127.0.0.1:9092", "protocol": "kafka"}},
        "channels": channels,
        "components": {"messages": messages, "schemas": {
            f"evidence_{kind}": {"$ref": f"./evidence/{kind}.schema.json",
                                 "description": f"properties.evidence of a {kind} alert (msa.evidence)"}
            for kind in EVIDENCE_MODELS}},
    }


def export_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for fname, text in render_schemas().items():
        path = directory / fname
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written
