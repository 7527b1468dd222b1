"""Decoded AIS message (pyais) → :mod:`msa.domain` records.

Decisions pinned by tests:

* AIS "not available" values become ``None`` (:mod:`msa.ais.bits`): lat 91, lon 181 (and anything outside
  ±90/±180), SOG 102.3 kn (type 27: 63 kn), COG 360 (type 27: 511), heading 511 (and 360–510), UTC second
  60–63, nav status 15, IMO 0, ship type 0, dimensions 0, draught 0.
* Text is cut at the first ``@`` (the padding character) and stripped, like gpsd; pyais only strips trailing
  ``@``. Empty text is ``None``.
* MMSI must be in [2 000 000, 999 999 999] (base stations 00MIDxxxx are the smallest valid form).
* Type 24 with a part number other than 0/1 is rejected (``type24_bad_part``); gpsd ignores it, pyais raises.
* Messages must have their type's bit length (``bad_bit_count``); like gpsd, types 1–3 may lack the
  last 5 radio bits (163–168) and type 21 may carry up to 368 bits.
* Type 19 gives a position report and a static record (name, ship type, dimensions).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from msa.ais.bits import (
    LAT_NOT_AVAILABLE_DEG,
    LON_NOT_AVAILABLE_DEG,
    NAV_STATUS_NOT_DEFINED,
    SECOND_NOT_AVAILABLE,
    SOG_NOT_AVAILABLE_KN,
    TYPE27_SOG_NOT_AVAILABLE_KN,
)
from msa.domain import AisClass, AisOther, JsonDict, PositionReport, StaticVesselData, TimeSource

__all__ = ["BIT_LENGTHS", "MMSI_MAX", "MMSI_MIN", "NormaliseError", "clean_text", "normalise"]

MMSI_MIN = 2_000_000
MMSI_MAX = 999_999_999

# accepted payload bit lengths (inclusive) per message type; other types are not checked
BIT_LENGTHS: dict[int, tuple[int, int]] = {
    1: (163, 168), 2: (163, 168), 3: (163, 168), 4: (168, 168), 5: (420, 426), 9: (168, 168),
    18: (168, 168), 19: (312, 312), 21: (272, 368), 24: (160, 168), 27: (96, 168),
}

Output = PositionReport | StaticVesselData | AisOther


class NormaliseError(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


def clean_text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.split("@", 1)[0].strip()
    return text or None


def _lat(v: Any) -> float | None:
    return v if v is not None and -90.0 <= v <= 90.0 else None


def _lon(v: Any) -> float | None:
    return v if v is not None and -180.0 <= v <= 180.0 else None


def _sog(v: Any) -> float | None:
    return round(v, 1) if v is not None and v < SOG_NOT_AVAILABLE_KN - 0.05 else None  # 102.3 as a float


def _cog(v: Any) -> float | None:
    return round(v, 1) if v is not None and v < 360.0 else None


def _heading(v: Any) -> int | None:
    return int(v) if v is not None and v < 360 else None


def _second(v: Any) -> int | None:
    return int(v) if v is not None and v < SECOND_NOT_AVAILABLE else None


def _status(v: Any) -> int | None:
    return int(v) if v is not None and int(v) != NAV_STATUS_NOT_DEFINED else None


def _pos_int(v: Any) -> int | None:
    return int(v) if v else None


def _dims(bow: Any, stern: Any, port: Any, starboard: Any) -> tuple[float | None, float | None]:
    length = (bow or 0) + (stern or 0)
    beam = (port or 0) + (starboard or 0)
    return (float(length) if length else None), (float(beam) if beam else None)


def normalise(msg: Any, bits: int, ts_ms: int, source: str, time_source: TimeSource) -> list[Output]:
    """Turn one decoded pyais message into records; raises :class:`NormaliseError` with a reason."""
    t = msg.msg_type
    mmsi = msg.mmsi
    if mmsi is None or not MMSI_MIN <= mmsi <= MMSI_MAX:
        raise NormaliseError("invalid_mmsi", str(mmsi))
    lim = BIT_LENGTHS.get(t)
    if lim is not None and not lim[0] <= bits <= lim[1]:
        raise NormaliseError("bad_bit_count", f"type {t}: {bits} bits, expected {lim[0]}–{lim[1]}")
    if t == 1 or t == 2 or t == 3:
        return [PositionReport(mmsi, ts_ms, _lat(msg.lat), _lon(msg.lon), _sog(msg.speed), _cog(msg.course),
                               _heading(msg.heading), _status(msg.status), t, AisClass.A, source, time_source,
                               bool(msg.accuracy), _second(msg.second))]
    if t == 18 or t == 19:
        pos = PositionReport(mmsi, ts_ms, _lat(msg.lat), _lon(msg.lon), _sog(msg.speed), _cog(msg.course),
                             _heading(msg.heading), None, t, AisClass.B, source, time_source,
                             bool(msg.accuracy), _second(msg.second))
        if t == 18:
            return [pos]
        length, beam = _dims(msg.to_bow, msg.to_stern, msg.to_port, msg.to_starboard)
        return [pos, StaticVesselData(mmsi, ts_ms, 19, source, time_source, name=clean_text(msg.shipname),
                                      ship_type=_pos_int(msg.ship_type), length_m=length, beam_m=beam,
                                      ais_class=AisClass.B)]
    if t == 27:
        speed = msg.speed
        course = msg.course
        return [PositionReport(mmsi, ts_ms, _lat(msg.lat), _lon(msg.lon),
                               float(speed) if speed is not None and speed < TYPE27_SOG_NOT_AVAILABLE_KN else None,
                               float(course) if course is not None and course < 360 else None,  # 511: n/a
                               None, _status(msg.status), 27, AisClass.LONG_RANGE, source, time_source,
                               bool(msg.accuracy), None)]
    if t == 5:
        length, beam = _dims(msg.to_bow, msg.to_stern, msg.to_port, msg.to_starboard)
        draught = msg.draught
        return [StaticVesselData(mmsi, ts_ms, 5, source, time_source, name=clean_text(msg.shipname),
                                 call_sign=clean_text(msg.callsign), imo=_pos_int(msg.imo),
                                 ship_type=_pos_int(msg.ship_type), length_m=length, beam_m=beam,
                                 draught_m=float(draught) if draught else None,
                                 destination=clean_text(msg.destination), ais_class=AisClass.A)]
    if t == 24:
        part = msg.partno
        if part == 0:
            return [StaticVesselData(mmsi, ts_ms, 24, source, time_source, name=clean_text(msg.shipname),
                                     ais_class=AisClass.B, part=0)]
        length, beam = _dims(getattr(msg, "to_bow", 0), getattr(msg, "to_stern", 0),
                             getattr(msg, "to_port", 0), getattr(msg, "to_starboard", 0))
        return [StaticVesselData(mmsi, ts_ms, 24, source, time_source, call_sign=clean_text(msg.callsign),
                                 ship_type=_pos_int(msg.ship_type), length_m=length, beam_m=beam,
                                 ais_class=AisClass.B, part=1)]
    return [AisOther(mmsi, ts_ms, t, source, time_source, other_fields(msg))]


_NULL_IF = {"lat": LAT_NOT_AVAILABLE_DEG, "lon": LON_NOT_AVAILABLE_DEG}


def other_fields(msg: Any) -> JsonDict:
    """Every field of the message as JSON-able values (bytes as hex), position sentinels as null."""
    fields: JsonDict = {}
    for key, value in msg.asdict().items():
        if key in ("msg_type", "mmsi"):
            continue
        fields[key] = _jsonable(value)
    for key in ("lat", "lon"):
        v = fields.get(key)
        if isinstance(v, (int, float)) and not -_NULL_IF[key] < v < _NULL_IF[key]:
            fields[key] = None
    for key in ("shipname", "name", "name_ext", "callsign", "text", "destination"):
        if key in fields:
            fields[key] = clean_text(fields[key])
    return fields


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)
