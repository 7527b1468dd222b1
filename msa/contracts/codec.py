"""JSON wire format of every record (Kafka values, ``msa decode`` lines, ``msa detect`` output).

One object per record, with a ``kind`` discriminator and ``ts`` as ISO 8601 UTC. Encoding is
deterministic (sorted keys, fixed float formatting by orjson) so that the same input gives
byte-identical output.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import orjson

from msa.domain import (
    AisClass,
    AisOther,
    Alert,
    AlertKind,
    AlertStatus,
    JsonDict,
    PositionReport,
    Record,
    Reject,
    SatelliteDetection,
    SceneFootprint,
    Severity,
    StaticVesselData,
    TimeSource,
    VesselIdentity,
    format_ts,
    parse_ts,
)

__all__ = [
    "alert_from_dict",
    "alert_to_dict",
    "dumps",
    "loads",
    "record_from_dict",
    "record_to_dict",
    "reject_to_dict",
]

_STATIC_FIELDS = ("name", "call_sign", "imo", "ship_type", "length_m", "beam_m", "draught_m", "destination",
                  "part")


def dumps(obj: Any) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)


def record_to_dict(rec: Record) -> JsonDict:
    if isinstance(rec, PositionReport):
        return {
            "kind": "position", "mmsi": rec.mmsi, "ts": format_ts(rec.ts_ms), "time_source": str(rec.time_source),
            "lat": rec.lat, "lon": rec.lon, "sog_kn": rec.sog_kn, "cog_deg": rec.cog_deg,
            "heading_deg": rec.heading_deg, "nav_status": rec.nav_status, "msg_type": rec.msg_type,
            "ais_class": str(rec.ais_class), "source": rec.source, "pos_accuracy": rec.pos_accuracy,
            "utc_second": rec.utc_second,
        }
    if isinstance(rec, StaticVesselData):
        d: JsonDict = {
            "kind": "static", "mmsi": rec.mmsi, "ts": format_ts(rec.ts_ms), "time_source": str(rec.time_source),
            "msg_type": rec.msg_type, "source": rec.source, "ais_class": str(rec.ais_class),
        }
        for name in _STATIC_FIELDS:
            d[name] = getattr(rec, name)
        return d
    if isinstance(rec, AisOther):
        return {"kind": "other", "mmsi": rec.mmsi, "ts": format_ts(rec.ts_ms), "time_source": str(rec.time_source),
                "msg_type": rec.msg_type, "source": rec.source, "fields": rec.fields}
    if isinstance(rec, SatelliteDetection):
        return {"kind": "detection", "detection_id": rec.detection_id, "ts": format_ts(rec.ts_ms),
                "lat": rec.lat, "lon": rec.lon, "confidence": rec.confidence, "sensor": rec.sensor,
                "scene_id": rec.scene_id, "length_m": rec.length_m}
    if isinstance(rec, SceneFootprint):
        return {"kind": "scene", "scene_id": rec.scene_id, "ts": format_ts(rec.ts_ms), "sensor": rec.sensor,
                "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring] for ring in rec.rings]}}
    raise TypeError(f"not a record: {type(rec).__name__}")


def record_from_dict(d: JsonDict) -> Record:
    kind = d.get("kind")
    if kind == "position":
        return PositionReport(
            mmsi=int(d["mmsi"]), ts_ms=parse_ts(d["ts"]), lat=d.get("lat"), lon=d.get("lon"),
            sog_kn=d.get("sog_kn"), cog_deg=d.get("cog_deg"), heading_deg=d.get("heading_deg"),
            nav_status=d.get("nav_status"), msg_type=int(d.get("msg_type", 1)),
            ais_class=AisClass(d.get("ais_class", "A")), source=d.get("source", ""),
            time_source=TimeSource(d.get("time_source", "receipt")), pos_accuracy=d.get("pos_accuracy"),
            utc_second=d.get("utc_second"),
        )
    if kind == "static":
        return StaticVesselData(
            mmsi=int(d["mmsi"]), ts_ms=parse_ts(d["ts"]), msg_type=int(d.get("msg_type", 5)),
            source=d.get("source", ""), time_source=TimeSource(d.get("time_source", "receipt")),
            ais_class=AisClass(d.get("ais_class", "A")),
            **{name: d.get(name) for name in _STATIC_FIELDS},
        )
    if kind == "other":
        return AisOther(mmsi=int(d["mmsi"]), ts_ms=parse_ts(d["ts"]), msg_type=int(d["msg_type"]),
                        source=d.get("source", ""), time_source=TimeSource(d.get("time_source", "receipt")),
                        fields=dict(d.get("fields") or {}))
    if kind == "detection":
        return SatelliteDetection(detection_id=str(d["detection_id"]), ts_ms=parse_ts(d["ts"]),
                                  lat=float(d["lat"]), lon=float(d["lon"]), confidence=float(d["confidence"]),
                                  sensor=str(d["sensor"]), scene_id=str(d["scene_id"]),
                                  length_m=None if d.get("length_m") is None else float(d["length_m"]))
    if kind == "scene":
        coords = d["geometry"]["coordinates"]
        rings = tuple(tuple((float(p[0]), float(p[1])) for p in ring) for ring in coords)
        return SceneFootprint(scene_id=str(d["scene_id"]), ts_ms=parse_ts(d["ts"]), sensor=str(d["sensor"]),
                              rings=rings)
    raise ValueError(f"unknown record kind: {kind!r}")


def reject_to_dict(rej: Reject) -> JsonDict:
    return {"kind": "reject", "reason": rej.reason, "raw": rej.raw, "source": rej.source,
            "ts": None if rej.ts_ms is None else format_ts(rej.ts_ms), "detail": rej.detail}


def alert_to_dict(a: Alert) -> JsonDict:
    """The flat alert object of ``msa detect --out`` and of the API."""
    return {
        "alert_id": a.alert_id, "kind": str(a.kind), "status": str(a.status), "version": a.version,
        "mmsi": list(a.mmsi), "start": format_ts(a.start_ms),
        "end": None if a.end_ms is None else format_ts(a.end_ms), "updated": format_ts(a.updated_ms),
        "zone": a.zone, "severity": str(a.severity), "score": round(a.score, 4), "geometry": a.geometry,
        "vessels": [asdict(v) for v in a.vessels], "detection_ids": list(a.detection_ids),
        "summary": a.summary, "evidence": a.evidence,
    }


def alert_from_dict(d: JsonDict) -> Alert:
    return Alert(
        alert_id=str(d["alert_id"]), kind=AlertKind(d["kind"]), status=AlertStatus(d["status"]),
        version=int(d["version"]), mmsi=tuple(int(m) for m in d["mmsi"]), start_ms=parse_ts(d["start"]),
        end_ms=None if d.get("end") is None else parse_ts(d["end"]), updated_ms=parse_ts(d["updated"]),
        zone=str(d["zone"]), severity=Severity(d["severity"]), score=float(d["score"]),
        geometry=dict(d["geometry"]), vessels=tuple(VesselIdentity(**v) for v in d.get("vessels", [])),
        detection_ids=tuple(d.get("detection_ids", [])), summary=str(d.get("summary", "")),
        evidence=dict(d.get("evidence", {})),
    )
