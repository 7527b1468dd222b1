"""One alert as CISE entities (EU Common Information Sharing Environment, data model 1.5.3), in its XML.

The document's root is an ``Anomaly`` (the CISE ``Event`` sub-class for "an unusual event which deserves to
be noted or reported"), with:

* ``Identifier/UUID``: a UUID derived from the alert id (name-based, SHA-1), the same for every version;
  ``GeneratedIn`` = the version's ``updated`` time;
* ``Metadata``: the summary (``Description``), the kind (``Designation``), the alert's facts as
  ``key=value`` (``Comments``), the version's time (``CreationDate``), a reliability level from the score;
* ``NatureType``: ``Estimated`` for a dark period (a silence judged improbable by a reception model),
  ``Observed`` otherwise;
* ``OccurrencePeriod``: start, end and duration (end and duration once the alert has ended);
* ``LocationRel``: the ``Location`` where it started (the alert's first coordinate, never changed between
  versions, with the whole geometry as WKT when it is more than a point) and, for an ended alert drawn as a
  line, where it ended;
* ``InvolvedObjectRel``: a ``Vessel`` (``xsi:type="vessel:Vessel"``) per MMSI — name, flag (``Nationality``),
  call sign, IMO, length, MMSI, CISE ship type, its last evidence position (AIS, declared) and, for a dark
  period, the satellite detections of it (observed); for a dark vessel or a dark rendezvous an unidentified
  ``Vessel`` per satellite detection (position, time, sensor, length);
* ``AnomalyType``: see ``ANOMALY_TYPES`` (docs/exports.md says why each).

Validated in the tests against the data model's published XSD (``schemas/cise/``). Pure: dicts in, bytes out.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

import shapely
from shapely.geometry import shape

from msa.domain import AlertKind, JsonDict, format_ts, parse_ts
from services.api.render import _point as first_coordinate

__all__ = ["ANOMALY_TYPES", "CISE_MEDIA_TYPE", "NATURE_TYPES", "alert_to_cise_xml", "cise_ship_type",
           "cise_uuid", "reliability_level", "sensor_type"]

CISE_MEDIA_TYPE = "application/xml"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
VESSEL_NS = "http://www.cise.eu/datamodel/v1/entity/vessel/"
UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:msa:alert")

ANOMALY_TYPES: dict[AlertKind, str] = {
    AlertKind.GO_FAST: "UnexpectedMovement",
    AlertKind.DARK_PERIOD: "WithoutAISTransmission",
    AlertKind.RENDEZVOUS: "UnexpectedMovement",
    AlertKind.DARK_VESSEL: "WithoutAISTransmission",
    AlertKind.DARK_RENDEZVOUS: "WithoutAISTransmission",
    AlertKind.IDENTITY_ANOMALY: "PerformingAISSpoofing",
}
NATURE_TYPES: dict[AlertKind, str] = {k: "Estimated" if k is AlertKind.DARK_PERIOD else "Observed" for k in AlertKind}
_UNIDENTIFIED = (AlertKind.DARK_VESSEL, AlertKind.DARK_RENDEZVOUS)
# satellite missions by their usual short names (case-insensitive, whole words: "S1A-IW" is Sentinel-1A)
_SAR = re.compile(r"\b(sar|s1[a-d]?|sentinel-?1[a-d]?|rcm|radarsat|iceye|csk|cosmo|tsx|terrasar|capella|umbra|alos|"
                  r"paz)\b", re.IGNORECASE)
_OPTICAL = re.compile(r"\b(s2[a-d]?|sentinel-?2[a-d]?|optical|landsat|msi|worldview|planet|skysat|viirs|eo)\b",
                      re.IGNORECASE)


def cise_uuid(name: str) -> str:
    """A stable UUID for an alert id or detection id (the same across versions and exports)."""
    return str(uuid.uuid5(UUID_NAMESPACE, name))


def reliability_level(score: float) -> str:
    """CISE ``InformationReliabilityLevelType`` from a 0–1 score (alert score or detection confidence)."""
    for floor, level in ((0.95, "VeryHighConfidence"), (0.8, "HighConfidence"), (0.6, "Confident"),
                         (0.4, "LowConfidence")):
        if score >= floor:
            return level
    return "VeryLowConfidence"


def cise_ship_type(ais_ship_type: int | None) -> str | None:
    """CISE ``VesselType`` from the AIS ship type (ITU-R M.1371); None when AIS gives none."""
    if not ais_ship_type:
        return None
    t = ais_ship_type
    if t == 30:
        return "FishingVessel"
    if 40 <= t <= 49:
        return "HighSpeedCraft"
    if 60 <= t <= 69:
        return "PassengerShip"
    if 70 <= t <= 79:
        return "GeneralCargoShip"
    if 80 <= t <= 89:
        return "OilTanker"  # the model's only tanker type; AIS does not say what a tanker carries
    if 31 <= t <= 34 or 50 <= t <= 59:
        return "SpecialPurposeShip"  # towing, dredging, diving; pilot, SAR, tug, tender, law enforcement…
    return "Other"


def sensor_type(sensor: str | None) -> str:
    """CISE ``SensorType`` of a satellite detection's free-text sensor name."""
    name = (sensor or "").replace("_", "-")
    if _SAR.search(name):
        return "SyntheticApertureRadar"
    if _OPTICAL.search(name):
        return "EOIROptronicSystem"
    return "Other"


def _sub(parent: ET.Element, tag: str, text: Any = None) -> ET.Element:
    el = ET.SubElement(parent, tag)
    if text is not None:
        el.text = _text(text)
    return el


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):  # fixed notation, at most 6 decimals (~0.1 m in latitude), never 1e-05
        text = f"{v:.6f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    return str(v)


def _instant(parent: ET.Element, tag: str, ts_ms: int) -> None:
    """A ``period:Period`` that is one instant."""
    date, time = format_ts(ts_ms).split("T")
    period = _sub(parent, tag)
    _sub(period, "StartDate", date)
    _sub(period, "StartTime", time)


def _duration(ms: int) -> str:
    s, frac = divmod(ms, 1000)
    return f"PT{s}.{frac:03d}S" if frac else f"PT{s}S"


def _period(parent: ET.Element, tag: str, start_ms: int, end_ms: int | None) -> None:
    period = _sub(parent, tag)
    if end_ms is not None:
        _sub(period, "Duration", _duration(max(0, end_ms - start_ms)))
        date, time = format_ts(end_ms).split("T")
        _sub(period, "EndDate", date)
        _sub(period, "EndTime", time)
    date, time = format_ts(start_ms).split("T")
    _sub(period, "StartDate", date)
    _sub(period, "StartTime", time)


def _location(parent: ET.Element, lon: float, lat: float, wkt: str | None = None) -> None:
    geometry = _sub(_sub(parent, "Location"), "Geometry")
    _sub(geometry, "Latitude", float(lat))
    _sub(geometry, "Longitude", float(lon))
    if wkt:
        _sub(geometry, "WKT", wkt)


def _event_location(anomaly: ET.Element, lon: float, lat: float, ts_ms: int, role: str, wkt: str | None) -> None:
    rel = _sub(anomaly, "LocationRel")
    _location(rel, lon, lat, wkt)
    _instant(rel, "DateTime", ts_ms)
    _sub(rel, "LocationRole", role)


def _object_location(obj: ET.Element, lon: float, lat: float, ts_ms: int, *, source: str, sensor: str,
                     sog_kn: float | None = None, cog_deg: float | None = None) -> None:
    rel = _sub(obj, "LocationRel")
    _location(rel, lon, lat)
    if cog_deg is not None:
        _sub(rel, "COG", float(cog_deg))
    _instant(rel, "PeriodOfTime", ts_ms)
    _sub(rel, "SourceType", source)
    _sub(rel, "SensorType", sensor)
    if sog_kn is not None:
        _sub(rel, "SOG", float(sog_kn))


def _involved_vessel(anomaly: ET.Element) -> tuple[ET.Element, ET.Element]:
    """(the relation, its ``Object`` typed ``vessel:Vessel``); the role goes after the object's content."""
    rel = _sub(anomaly, "InvolvedObjectRel")
    obj = _sub(rel, "Object")
    obj.set(f"{{{XSI}}}type", "vessel:Vessel")
    return rel, obj


def _ais_vessel(anomaly: ET.Element, mmsi: int, identity: JsonDict, last_fix: JsonDict | None,
                sightings: Sequence[JsonDict]) -> None:
    rel, obj = _involved_vessel(anomaly)
    if identity.get("name"):
        _sub(obj, "Name", identity["name"])
    if last_fix is not None:
        _object_location(obj, last_fix["lon"], last_fix["lat"], parse_ts(last_fix["ts"]), source="Declaration",
                         sensor="AutomaticIdentificationSystem", sog_kn=last_fix.get("sog_kn"),
                         cog_deg=last_fix.get("cog_deg"))
    for d in sightings:
        _object_location(obj, d["lon"], d["lat"], parse_ts(d["ts"]), source="Observation",
                         sensor=sensor_type(d.get("sensor")))
    if identity.get("flag"):
        _sub(obj, "Nationality", identity["flag"])
    if identity.get("call_sign"):
        _sub(obj, "CallSign", identity["call_sign"])
    if identity.get("imo"):
        _sub(obj, "IMONumber", int(identity["imo"]))
    if identity.get("length_m"):
        _sub(obj, "Length", float(identity["length_m"]))
    _sub(obj, "MMSI", int(mmsi))
    ship_type = cise_ship_type(identity.get("ship_type"))
    if ship_type:
        _sub(obj, "ShipType", ship_type)
    _sub(rel, "ObjectRole", "Participant")


def _unidentified_vessel(anomaly: ET.Element, detection: JsonDict) -> None:
    rel, obj = _involved_vessel(anomaly)
    ident = _sub(obj, "Identifier")
    _sub(ident, "UUID", cise_uuid(str(detection["detection_id"])))
    if detection.get("confidence") is not None or detection.get("sensor"):
        meta = _sub(obj, "Metadata")
        _sub(meta, "Description", f"unidentified vessel: satellite detection {detection['detection_id']}"
                                  + (f" ({detection['sensor']}, scene {detection.get('scene_id')})"
                                     if detection.get("sensor") else ""))
        if detection.get("confidence") is not None:
            _sub(meta, "InformationReliabilityLevel", reliability_level(float(detection["confidence"])))
    _object_location(obj, detection["lon"], detection["lat"], parse_ts(detection["ts"]), source="Observation",
                     sensor=sensor_type(detection.get("sensor")))
    if detection.get("length_m"):
        _sub(obj, "Length", float(detection["length_m"]))
    _sub(rel, "ObjectRole", "Participant")


def _last_fixes(track: Sequence[JsonDict], until_ms: int) -> dict[int, JsonDict]:
    """Each vessel's latest evidence fix at or before ``until_ms``."""
    last: dict[int, JsonDict] = {}
    for fix in track:
        t, m = parse_ts(fix["ts"]), int(fix["mmsi"])
        if t <= until_ms and (m not in last or parse_ts(last[m]["ts"]) <= t):
            last[m] = fix
    return last


def _wkt(geometry: JsonDict | None) -> str | None:
    if not geometry or geometry.get("type") == "Point":
        return None
    return str(shapely.to_wkt(shape(geometry), rounding_precision=6, trim=True))


def _end_coordinate(geometry: JsonDict | None) -> tuple[float, float] | None:
    if not geometry or geometry.get("type") != "LineString" or len(geometry.get("coordinates", ())) < 2:
        return None
    lon, lat = geometry["coordinates"][-1][:2]
    return float(lon), float(lat)


def alert_to_cise_xml(alert: JsonDict, track: Sequence[JsonDict] = (), detections: Sequence[JsonDict] = ()
                      ) -> bytes:
    """The alert (``GET /alerts/{id}``'s dict: partner or officer view), its evidence ``track`` and the
    satellite ``detections`` it references, as one CISE ``Anomaly`` document (UTF-8 XML)."""
    kind = AlertKind(alert["kind"])
    start_ms = parse_ts(alert["start"])
    end_ms = parse_ts(alert["end"]) if alert.get("end") else None
    updated_ms = parse_ts(alert["updated"])
    anomaly = ET.Element("Anomaly")
    anomaly.set("xmlns:vessel", VESSEL_NS)

    ident = _sub(anomaly, "Identifier")
    _sub(ident, "GeneratedIn", format_ts(updated_ms))
    _sub(ident, "UUID", cise_uuid(alert["alert_id"]))
    meta = _sub(anomaly, "Metadata")
    facts = {"alert_id": alert["alert_id"], "kind": kind, "status": alert["status"], "version": alert["version"],
             "severity": alert["severity"], "score": alert["score"], "zone": alert["zone"],
             "mmsi": ",".join(str(m) for m in alert.get("mmsi", [])),
             "detection_ids": ",".join(alert.get("detection_ids", []))}
    _sub(meta, "Comments", "; ".join(f"{k}={v}" for k, v in facts.items()))
    _sub(meta, "CreationDate", format_ts(updated_ms))
    if alert.get("summary"):
        _sub(meta, "Description", alert["summary"])
    _sub(meta, "Designation", f"msa {kind} alert")
    _sub(meta, "InformationReliabilityLevel", reliability_level(float(alert["score"])))
    _sub(meta, "Language", "en")
    _sub(anomaly, "NatureType", NATURE_TYPES[kind])
    _period(anomaly, "OccurrencePeriod", start_ms, end_ms)

    lon, lat = first_coordinate(alert.get("geometry"))
    if lon is not None and lat is not None:
        _event_location(anomaly, lon, lat, start_ms, "StartPlace", _wkt(alert.get("geometry")))
    end = _end_coordinate(alert.get("geometry"))
    if end is not None and end_ms is not None:
        _event_location(anomaly, end[0], end[1], end_ms, "EndPlace", None)

    identities = {int(v["mmsi"]): v for v in alert.get("vessels", []) if v.get("mmsi") is not None}
    last = _last_fixes(track, end_ms if end_ms is not None else updated_ms)
    own_sightings = detections if kind is AlertKind.DARK_PERIOD else ()
    for m in alert.get("mmsi", []):
        _ais_vessel(anomaly, int(m), identities.get(int(m), {}), last.get(int(m)), own_sightings)
    if kind in _UNIDENTIFIED:
        seen = list(detections)
        if not seen and lon is not None and lat is not None:
            # the detection is not stored (yet): the alert's point is the detection's, its start the scene time
            seen = [{"detection_id": (alert.get("detection_ids") or [alert["alert_id"]])[0], "lon": lon,
                     "lat": lat, "ts": alert["start"]}]
        for d in seen:
            _unidentified_vessel(anomaly, d)
    _sub(anomaly, "AnomalyType", ANOMALY_TYPES[kind])
    ET.indent(anomaly)
    document: bytes = ET.tostring(anomaly, encoding="utf-8", xml_declaration=True)
    return document
