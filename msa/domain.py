"""The shared, pure domain model.

Every service imports these types; none of them imports Kafka, a database or asyncio.
Units are in the names (``sog_kn``, ``length_m``, ``ts_ms``). Times are event times in
milliseconds since the Unix epoch, UTC. AIS "not available" values (lat 91, lon 181,
SOG 102.3, COG 360, heading 511, second 60) never reach this model: ingest turns them
into ``None``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, TypeAlias

__all__ = [
    "AisClass",
    "AisOther",
    "Alert",
    "AlertKind",
    "AlertStatus",
    "JsonDict",
    "PositionReport",
    "Record",
    "Reject",
    "SatelliteDetection",
    "SceneFootprint",
    "Severity",
    "StaticVesselData",
    "TimeSource",
    "VesselIdentity",
    "format_ts",
    "make_alert_id",
    "parse_ts",
]

JsonDict: TypeAlias = dict[str, Any]


class TimeSource(StrEnum):
    """Where a record's event time came from, best first."""

    TAG_BLOCK = "tag_block"  # NMEA 4 tag block ``c:`` (receiver time)
    WRAPPER = "wrapper"  # Gatehouse $PGHP, USCG trailing epoch, other wrappers
    CSV = "csv"  # timestamp column of a CSV export
    SCENE = "scene"  # satellite acquisition time
    RECEIPT = "receipt"  # time the line was received (live feeds) — least trusted


class AisClass(StrEnum):
    A = "A"  # types 1, 2, 3 (and 5)
    B = "B"  # types 18, 19 (and 24)
    LONG_RANGE = "LR"  # type 27, satellite long-range broadcast


@dataclass(frozen=True, slots=True)
class PositionReport:
    """One position of one vessel at one event time (AIS types 1/2/3, 18, 19, 27, or CSV)."""

    mmsi: int
    ts_ms: int
    lat: float | None
    lon: float | None
    sog_kn: float | None = None
    cog_deg: float | None = None
    heading_deg: int | None = None
    nav_status: int | None = None
    msg_type: int = 1
    ais_class: AisClass = AisClass.A
    source: str = ""
    time_source: TimeSource = TimeSource.RECEIPT
    pos_accuracy: bool | None = None
    utc_second: int | None = None  # the report's own UTC second field, None when 60-63

    @property
    def has_position(self) -> bool:
        return self.lat is not None and self.lon is not None

    def __reduce__(self) -> tuple[type[PositionReport], tuple[object, ...]]:
        # checkpoints hold many of these (the grace period's worth): a plain tuple pickles ~3× faster than
        # the dataclass default (``fields()`` on every object)
        return (PositionReport, (self.mmsi, self.ts_ms, self.lat, self.lon, self.sog_kn, self.cog_deg,
                                 self.heading_deg, self.nav_status, self.msg_type, self.ais_class, self.source,
                                 self.time_source, self.pos_accuracy, self.utc_second))


@dataclass(frozen=True, slots=True)
class StaticVesselData:
    """Identity and dimensions (AIS types 5 and 24, or CSV). Fields absent from a part are None."""

    mmsi: int
    ts_ms: int
    msg_type: int = 5
    source: str = ""
    time_source: TimeSource = TimeSource.RECEIPT
    name: str | None = None
    call_sign: str | None = None
    imo: int | None = None
    ship_type: int | None = None
    length_m: float | None = None
    beam_m: float | None = None
    draught_m: float | None = None
    destination: str | None = None
    ais_class: AisClass = AisClass.A
    part: int | None = None  # type 24 part number (0 = A, 1 = B)


@dataclass(frozen=True, slots=True)
class AisOther:
    """Any other AIS message (4 base station, 9 SAR aircraft, 21 aid to navigation, 8 binary…), kept as is."""

    mmsi: int
    ts_ms: int
    msg_type: int
    source: str = ""
    time_source: TimeSource = TimeSource.RECEIPT
    fields: JsonDict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SatelliteDetection:
    """A vessel seen by a satellite sensor (SAR or optical), with or without AIS."""

    detection_id: str
    ts_ms: int
    lat: float
    lon: float
    confidence: float
    sensor: str
    scene_id: str
    length_m: float | None = None


@dataclass(frozen=True, slots=True)
class SceneFootprint:
    """The area a satellite scene covered: a detection can only be missing where a scene looked."""

    scene_id: str
    ts_ms: int
    sensor: str
    # GeoJSON Polygon coordinates: rings of (lon, lat)
    rings: tuple[tuple[tuple[float, float], ...], ...]


@dataclass(frozen=True, slots=True)
class Reject:
    """A line or record that could not become data, with why. Nothing is dropped silently."""

    reason: str
    raw: str
    source: str = ""
    ts_ms: int | None = None
    detail: str = ""


Record: TypeAlias = PositionReport | StaticVesselData | AisOther | SatelliteDetection | SceneFootprint


class AlertKind(StrEnum):
    GO_FAST = "go_fast"
    DARK_PERIOD = "dark_period"
    RENDEZVOUS = "rendezvous"
    DARK_VESSEL = "dark_vessel"
    DARK_RENDEZVOUS = "dark_rendezvous"
    IDENTITY_ANOMALY = "identity_anomaly"


class AlertStatus(StrEnum):
    OPEN = "open"
    UPDATED = "updated"
    CLOSED = "closed"
    RETRACTED = "retracted"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class VesselIdentity:
    mmsi: int
    name: str | None = None
    call_sign: str | None = None
    imo: int | None = None
    flag: str | None = None  # ISO 3166 alpha-2 from the MMSI's MID, when the MID is allocated
    ship_type: int | None = None
    length_m: float | None = None


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert's state at one version. ``alert_id`` is a hash of (kind, sorted MMSIs, start, zone)."""

    alert_id: str
    kind: AlertKind
    status: AlertStatus
    version: int
    mmsi: tuple[int, ...]
    start_ms: int
    end_ms: int | None
    updated_ms: int  # event time of this version
    zone: str
    severity: Severity
    score: float
    geometry: JsonDict  # RFC 7946 geometry (Point, LineString, MultiPoint…), lon/lat order
    vessels: tuple[VesselIdentity, ...] = ()
    detection_ids: tuple[str, ...] = ()
    summary: str = ""
    evidence: JsonDict = field(default_factory=dict)


def make_alert_id(kind: AlertKind | str, mmsis: tuple[int, ...] | list[int], start_ms: int, zone: str,
                  extra: str = "") -> str:
    """Content hash: the same event replayed gives the same id. ``extra`` disambiguates MMSI-less alerts
    (a dark vessel is identified by its detection id)."""
    key = f"{kind}|{','.join(str(m) for m in sorted(mmsis))}|{start_ms}|{zone}|{extra}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


@lru_cache(maxsize=4096)
def _format_second(ts_s: int) -> str:
    return datetime.fromtimestamp(ts_s, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")


def format_ts(ts_ms: int) -> str:
    """ISO 8601 UTC with a ``Z``; milliseconds only when non-zero. Deterministic."""
    ts_s, ms = divmod(ts_ms, 1000)
    base = _format_second(ts_s)
    return f"{base}.{ms:03d}Z" if ms else f"{base}Z"


def parse_ts(text: str) -> int:
    """Parse ISO 8601 (``Z`` or offset; naive means UTC) to epoch milliseconds."""
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return round(dt.timestamp() * 1000)

