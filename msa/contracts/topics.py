"""Versioned topic names. A breaking change to a payload gets a new ``.vN`` topic, never an edit.

These are the contract topics (partners read or write them). The detector's own derived topics are in
``services.detect.stream.detector_topics``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ALL_TOPICS", "TopicSpec", "partner_topic"]

AIS_POSITIONS = "ais.positions.v1"
AIS_STATIC = "ais.static.v1"
AIS_OTHER = "ais.other.v1"
AIS_REJECTS = "ais.rejects.v1"
SAT_DETECTIONS = "sat.detections.v1"
ALERTS = "alerts.v1"
ALERT_REJECTS = "alerts.rejects.v1"
ROUTER_REJECTS = "alerts.partner-router-rejects.v1"
DETECTOR_REJECTS = "detect.rejects.v1"
PARTNER_PREFIX = "alerts.v1.partner."


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int
    key: str
    payload: str  # name of the JSON Schema in schemas/
    description: str
    compacted: bool = False
    retention_ms: int | None = None  # None: the broker's default


ALL_TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(AIS_POSITIONS, 6, "MMSI (decimal string)", "position",
              "Normalised AIS position reports (types 1/2/3, 18, 19, 27, CSV rows)."),
    TopicSpec(AIS_STATIC, 6, "MMSI (decimal string)", "static",
              "Normalised static and voyage data (types 5, 24, CSV rows)."),
    TopicSpec(AIS_OTHER, 3, "MMSI (decimal string)", "other",
              "Other AIS messages kept as they are (4, 9, 21, 8…)."),
    TopicSpec(AIS_REJECTS, 3, "source", "reject",
              "Input that could not become data: reason, source and raw text."),
    TopicSpec(SAT_DETECTIONS, 3, "scene_id", "satellite",
              "Satellite vessel detections and scene footprints."),
    TopicSpec(ALERTS, 6, "alert_id", "alert",
              "Alerts as CloudEvents (binary mode); data is a GeoJSON Feature."),
    TopicSpec(ALERT_REJECTS, 1, "source topic[partition]@offset", "reject",
              "Alert records the sink refused (not an alert, evidence not following its kind's contract, or a "
              "record the database refuses): reason, detail, source and the raw record."),
    TopicSpec(DETECTOR_REJECTS, 1, "source topic[partition]@offset", "reject",
              "Input records the detector could not decode (positions, static data, satellite products, its own "
              "derived topics): reason, detail, source and the raw record."),
    TopicSpec(ROUTER_REJECTS, 1, "source topic[partition]@offset", "reject",
              "Alert records the partner router could not route (not an alert, or not renderable as a partner "
              "event): reason, detail, source and the raw record."),
)


def partner_topic(partner: str) -> str:
    return f"{PARTNER_PREFIX}{partner}"
