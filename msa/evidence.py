"""The evidence contract: what an alert's ``evidence`` holds, per kind — one set of classes, written by the
detector and read by the sink and the API.

Every kind carries the same two lists an officer's map draws:

* ``track`` — AIS fixes (``mmsi``, ``ts`` ISO 8601 UTC, ``lat``, ``lon``, ``sog_kn``, ``cog_deg``) of the
  vessels involved: the go-fast run; the track before a dark period and the fix it reappeared at; both
  vessels through a rendezvous; the AIS vessels near a satellite detection at its scene time; the clusters of
  a shared identity;
* ``detections`` — the satellite detections the alert rests on (dark vessel, dark rendezvous, a dark period
  seen by SAR).

and per kind what its charts need (``threshold_kn``, ``expected_path``, ``distance_series``, ``nearby``,
``clusters``). Other keys the detector records (thresholds applied, reception figures…) are allowed and kept:
the contract fixes the shape of what readers rely on, not every figure. ``parse_evidence`` validates; the sink
refuses (dead-letters) an alert whose evidence does not validate. Alerts written before this contract (evidence
version 1: ``positions``, ``satellite_detections``, ``segments``) are still read by the API's
``services.api.evidence_view`` for the records already stored.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

__all__ = [
    "EVIDENCE_MODELS",
    "EVIDENCE_VERSION",
    "FOOTPRINT_MAX_VERTICES",
    "DarkPeriodEvidence",
    "DarkVesselEvidence",
    "DistancePoint",
    "Evidence",
    "EvidenceDetection",
    "EvidenceError",
    "EvidenceFix",
    "Footprint",
    "GoFastEvidence",
    "IdentityAnomalyEvidence",
    "NearbyVessel",
    "ReceptionBucket",
    "RendezvousEvidence",
    "evidence_json_schemas",
    "parse_evidence",
]

EVIDENCE_VERSION = 2
FOOTPRINT_MAX_VERTICES = 200  # a scene footprint in evidence is simplified to at most this many vertices


class EvidenceError(ValueError):
    """Evidence that does not follow the contract of its kind (``detail``: what and where)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind} evidence: {detail}")
        self.kind = kind
        self.detail = detail


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EvidenceFix(_Strict):
    """One AIS fix of a vessel involved."""

    mmsi: int = Field(ge=0, le=999_999_999)
    ts: str = Field(min_length=20, max_length=32, pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    sog_kn: float | None = Field(default=None, ge=0, le=102.3)
    cog_deg: float | None = Field(default=None, ge=0, lt=360)


class EvidenceDetection(BaseModel):
    """A satellite detection as the record wire format writes it (plus matching figures, allowed)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    detection_id: str = Field(min_length=1, max_length=128)
    ts: str = Field(min_length=20, max_length=32)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    confidence: float = Field(ge=0, le=1)
    sensor: str = Field(max_length=64)
    scene_id: str = Field(max_length=128)
    length_m: float | None = Field(default=None, gt=0)


class NearbyVessel(_Strict):
    """An AIS vessel near a satellite detection at the scene time (where AIS says it was then)."""

    mmsi: int = Field(ge=0, le=999_999_999)
    ts: str = Field(min_length=20, max_length=32)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    distance_m: float = Field(ge=0)
    method: str


class DistancePoint(_Strict):
    ts: str = Field(min_length=20, max_length=32)
    distance_m: float = Field(ge=0)


class ReceptionBucket(_Strict):
    """A 10-min bucket of a silence: were other vessels heard near where the silent one should have been."""

    ts: str = Field(min_length=20, max_length=32)
    heard: bool


class Cluster(BaseModel):
    """One place a shared MMSI was heard from (identity anomaly)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    positions: list[EvidenceFix]


class Evidence(BaseModel):
    """What every kind carries."""

    model_config = ConfigDict(extra="allow", frozen=True)

    evidence_version: Literal[2] = 2
    track: list[EvidenceFix] = Field(default_factory=list, max_length=2000)
    detections: list[EvidenceDetection] = Field(default_factory=list, max_length=500)


class GoFastEvidence(Evidence):
    kind: Literal["go_fast"]
    profile: str
    threshold_kn: float = Field(gt=0)


class DarkPeriodEvidence(Evidence):
    kind: Literal["dark_period"]
    regime: Literal["terrestrial", "satellite"]
    threshold_s: int = Field(ge=0)
    reception: dict[str, float | int]
    expected_path: dict[str, Any] | None = None  # GeoJSON LineString across the silence (once it ended)
    neighbour_buckets: list[ReceptionBucket] = Field(default_factory=list, max_length=288)


class RendezvousEvidence(Evidence):
    kind: Literal["rendezvous"]
    meetings: list[dict[str, str | None]]
    distance_series: list[DistancePoint] = Field(default_factory=list, max_length=500)


class Footprint(_Strict):
    """The area a satellite scene covered (GeoJSON Polygon, rings of [lon, lat]; at most ``FOOTPRINT_MAX_VERTICES``
    vertices, simplified when the product had more)."""

    type: Literal["Polygon"]
    coordinates: list[list[tuple[float, float]]] = Field(min_length=1)


class DarkVesselEvidence(Evidence):
    kind: Literal["dark_vessel", "dark_rendezvous"]
    detection: EvidenceDetection
    nearby: list[NearbyVessel] = Field(default_factory=list)
    footprint: Footprint | None = None  # absent when the scene's footprint was not delivered


class IdentityAnomalyEvidence(Evidence):
    kind: Literal["identity_anomaly"]
    clusters: list[Cluster] = Field(default_factory=list)  # once closed: ≥ 2 places


EVIDENCE_MODELS: dict[str, type[Evidence]] = {
    "go_fast": GoFastEvidence, "dark_period": DarkPeriodEvidence, "rendezvous": RendezvousEvidence,
    "dark_vessel": DarkVesselEvidence, "dark_rendezvous": DarkVesselEvidence,
    "identity_anomaly": IdentityAnomalyEvidence,
}


def parse_evidence(kind: str, evidence: dict[str, Any]) -> Evidence:
    """The evidence of an alert of ``kind`` as its contract class; ``EvidenceError`` when it does not follow
    it (version 1 evidence — without ``evidence_version`` — is read as the base class, for stored alerts)."""
    model = EVIDENCE_MODELS.get(kind)
    if model is None:
        raise EvidenceError(kind, "unknown alert kind")
    if "evidence_version" not in evidence and "kind" not in evidence:
        model = Evidence  # written before this contract: only what every version shares is checked
        evidence = {k: v for k, v in evidence.items() if k not in ("track", "detections")}
    elif evidence.get("kind") != kind:
        raise EvidenceError(kind, f"kind {evidence.get('kind')!r} does not match the alert's")
    try:
        return model.model_validate(evidence)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise EvidenceError(kind, f"{where}: {first['msg']} ({exc.error_count()} error(s))") from None


def evidence_json_schemas() -> dict[str, dict[str, Any]]:
    """A JSON Schema per kind (``schemas/evidence/<kind>.schema.json``)."""
    return {kind: TypeAdapter(model).json_schema() for kind, model in EVIDENCE_MODELS.items()}
