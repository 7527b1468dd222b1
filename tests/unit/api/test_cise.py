"""An alert as CISE entities: the anomaly type per kind, the vessels, locations and period, and the document
validated against the published CISE data model 1.5.3 XSD (``schemas/cise/``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import xmlschema
from xmlschema.loaders import LocationSchemaLoader

from msa.contracts.cloudevents import alert_feature
from msa.contracts.codec import record_to_dict
from msa.domain import Alert, AlertKind, AlertStatus, format_ts, parse_ts
from services.api.cise import (
    ANOMALY_TYPES,
    alert_to_cise_xml,
    cise_ship_type,
    cise_uuid,
    reliability_level,
    sensor_type,
)
from services.api.evidence_view import extract_detections, extract_fixes
from services.api.rows import partner_view
from tests.unit.api.builders import alert, identity_anomaly

SCHEMA = Path(__file__).resolve().parents[3] / "schemas" / "cise" / "msa-anomaly.xsd"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


@cache
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMA), loader_class=LocationSchemaLoader)


def api_dict(a: Alert) -> dict[str, Any]:
    f = alert_feature(a)
    return {**f["properties"], "geometry": f["geometry"]}


def served(a: Alert) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """(alert, track, detections) as ``GET /alerts/{id}`` serves them: the sink's extraction of the detector's
    evidence (``services.api.evidence_view``), in the API's row format."""
    fixes, _ = extract_fixes(a)
    dets, _ = extract_detections(a)
    track = [{"mmsi": f.mmsi, "ts": format_ts(f.ts_ms), "lat": f.lat, "lon": f.lon, "sog_kn": f.sog_kn,
              "cog_deg": f.cog_deg} for f in fixes]
    return api_dict(a), track, [record_to_dict(d) for d in dets]


def one_of_each() -> dict[AlertKind, tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]]:
    """(alert, track, detections) per kind, from the detector's alerts (``builders``)."""
    return {
        AlertKind.GO_FAST: served(alert(kind=AlertKind.GO_FAST, status=AlertStatus.CLOSED)),
        AlertKind.DARK_PERIOD: served(alert(kind=AlertKind.DARK_PERIOD, mmsi=(224000002,),
                                            detection_ids=("d-own",))),
        AlertKind.RENDEZVOUS: served(alert(kind=AlertKind.RENDEZVOUS, mmsi=(224000003, 538000004))),
        AlertKind.DARK_VESSEL: served(alert(kind=AlertKind.DARK_VESSEL, mmsi=(), lon=-7.5, lat=35.9, extra="d-1",
                                            detection_ids=("d-1",))),
        AlertKind.DARK_RENDEZVOUS: served(alert(kind=AlertKind.DARK_RENDEZVOUS, mmsi=(224000005,), lon=-3.9,
                                                lat=36.4, extra="d-2", detection_ids=("d-2",))),
        AlertKind.IDENTITY_ANOMALY: served(identity_anomaly(mmsi=224000000)),  # a placeholder MMSI
    }


@pytest.mark.parametrize("kind", list(AlertKind))
def test_every_kind_is_a_valid_cise_anomaly_of_its_type(kind: AlertKind) -> None:
    a, track, dets = one_of_each()[kind]
    xml = alert_to_cise_xml(a, track, dets)
    schema().validate(xml)
    doc = ET.fromstring(xml)
    assert doc.tag == "Anomaly" and doc.findtext("AnomalyType") == ANOMALY_TYPES[kind]
    assert doc.findtext("NatureType") == ("Estimated" if kind is AlertKind.DARK_PERIOD else "Observed")
    assert doc.findtext("Identifier/UUID") == cise_uuid(a["alert_id"])
    assert [int(m.text or "") for m in doc.iter("MMSI")] == a["mmsi"]
    assert all(o.get(XSI_TYPE) == "vessel:Vessel" for o in doc.iter("Object"))
    start = doc.find("LocationRel[LocationRole='StartPlace']/Location/Geometry")
    assert start is not None
    lon, lat = a["geometry"]["coordinates"][0] if a["geometry"]["type"] != "Point" else a["geometry"]["coordinates"]
    assert (float(start.findtext("Longitude") or ""), float(start.findtext("Latitude") or "")) == (lon, lat)


def test_the_mapping_covers_every_kind_with_a_type_the_model_defines() -> None:
    enumeration = set(schema().maps.types["{http://www.cise.eu/datamodel/v1/entity/anomaly/}AnomalyType"].enumeration)
    assert set(ANOMALY_TYPES) == set(AlertKind)
    assert set(ANOMALY_TYPES.values()) <= enumeration
    assert ANOMALY_TYPES[AlertKind.DARK_PERIOD] == "WithoutAISTransmission"
    assert ANOMALY_TYPES[AlertKind.IDENTITY_ANOMALY] == "PerformingAISSpoofing"


def test_a_go_fast_carries_its_period_its_path_and_the_vessels_last_ais_fix() -> None:
    a, track, dets = one_of_each()[AlertKind.GO_FAST]
    doc = ET.fromstring(alert_to_cise_xml(a, track, dets))
    period = doc.find("OccurrencePeriod")
    start_ms, end_ms = parse_ts(a["start"]), parse_ts(a["end"])
    assert period is not None and period.findtext("Duration") == f"PT{(end_ms - start_ms) // 1000}S"
    assert (period.findtext("StartDate"), period.findtext("StartTime")) == ("2026-01-01", "00:00:00Z")
    path = a["geometry"]["coordinates"]
    wkt = doc.findtext("LocationRel[LocationRole='StartPlace']/Location/Geometry/WKT") or ""
    assert wkt.startswith("LINESTRING (-4.5 36, ") and wkt.count(",") == len(path) - 1
    assert doc.find("LocationRel[LocationRole='EndPlace']") is not None
    vessel = doc.find("InvolvedObjectRel/Object")
    assert vessel is not None and vessel.findtext("Name") == "VESSEL 224000001"
    assert vessel.findtext("Nationality") == "ES"
    fix = vessel.find("LocationRel")
    last = max((f for f in track if parse_ts(f["ts"]) <= end_ms), key=lambda f: f["ts"])  # up to the end
    assert fix is not None and fix.findtext("SOG") == f"{last['sog_kn']:g}" and fix.findtext("SensorType") == \
        "AutomaticIdentificationSystem"
    assert fix.findtext("PeriodOfTime/StartTime") == last["ts"][11:]
    assert fix.findtext("SourceType") == "Declaration"


def test_a_dark_vessel_is_an_unidentified_vessel_where_the_satellite_saw_it() -> None:
    a, track, dets = one_of_each()[AlertKind.DARK_VESSEL]
    doc = ET.fromstring(alert_to_cise_xml(a, track, dets))
    (obj,) = doc.iter("Object")
    assert obj.find("MMSI") is None and obj.findtext("Identifier/UUID") == cise_uuid("d-1")
    assert obj.findtext("Length") == f"{dets[0]['length_m']:g}"
    assert obj.findtext("LocationRel/SensorType") == "SyntheticApertureRadar"
    assert obj.findtext("LocationRel/SourceType") == "Observation"
    assert obj.findtext("Metadata/InformationReliabilityLevel") == "HighConfidence"


def test_a_dark_vessel_whose_detection_is_not_stored_is_placed_at_the_alerts_point() -> None:
    a, _, _ = one_of_each()[AlertKind.DARK_VESSEL]
    xml = alert_to_cise_xml(a, [], [])
    schema().validate(xml)
    (obj,) = ET.fromstring(xml).iter("Object")
    assert obj.findtext("Identifier/UUID") == cise_uuid("d-1")
    assert (obj.findtext("LocationRel/Location/Geometry/Longitude"),
            obj.findtext("LocationRel/Location/Geometry/Latitude")) == ("-7.5", "35.9")


def test_a_dark_rendezvous_involves_the_loitering_vessel_and_the_unidentified_one() -> None:
    a, track, dets = one_of_each()[AlertKind.DARK_RENDEZVOUS]
    objs = list(ET.fromstring(alert_to_cise_xml(a, track, dets)).iter("Object"))
    assert [o.findtext("MMSI") for o in objs] == ["224000005", None]
    assert objs[1].findtext("LocationRel/SensorType") == "SyntheticApertureRadar"


def test_a_dark_periods_satellite_detections_are_sightings_of_the_silent_vessel() -> None:
    a, track, dets = one_of_each()[AlertKind.DARK_PERIOD]
    objs = list(ET.fromstring(alert_to_cise_xml(a, track, dets)).iter("Object"))
    assert len(objs) == 1 and objs[0].findtext("MMSI") == "224000002"
    sources = [r.findtext("SourceType") for r in objs[0].iter("LocationRel")]
    assert len(dets) == 2 and sources.count("Observation") == len(dets)
    assert sources.count("Declaration") == (1 if track else 0)  # its last AIS fix, when the track is served


def test_a_broken_document_fails_validation() -> None:
    a, track, dets = one_of_each()[AlertKind.RENDEZVOUS]
    xml = alert_to_cise_xml(a, track, dets)
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        schema().validate(xml.replace(b"UnexpectedMovement", b"Rendezvous"))
    with pytest.raises(xmlschema.XMLSchemaValidationError):  # the model's element order matters
        schema().validate(xml.replace(b"<NatureType>Observed</NatureType>", b"").replace(
            b"</OccurrencePeriod>", b"</OccurrencePeriod>\n  <NatureType>Observed</NatureType>"))


def test_partner_view_carries_no_workflow() -> None:
    a, track, dets = one_of_each()[AlertKind.GO_FAST]
    a = {**a, "workflow": {"state": "closed", "assignee": "bob", "closed_reason": "false_positive"}}
    assert b"bob" not in alert_to_cise_xml(partner_view(a), track, dets)


def test_vessel_identity_and_sensor_vocabularies() -> None:
    assert [cise_ship_type(t) for t in (None, 0, 30, 36, 41, 52, 60, 70, 84, 99)] == \
        [None, None, "FishingVessel", "Other", "HighSpeedCraft", "SpecialPurposeShip", "PassengerShip",
         "GeneralCargoShip", "OilTanker", "Other"]
    assert [sensor_type(s) for s in ("S1A-IW", "SAR", "RCM-2", "S2B MSI", "optical", "", None, "thermal")] == \
        ["SyntheticApertureRadar"] * 3 + ["EOIROptronicSystem"] * 2 + ["Other"] * 3
    assert [reliability_level(s) for s in (1.0, 0.9, 0.7, 0.5, 0.1)] == \
        ["VeryHighConfidence", "HighConfidence", "Confident", "LowConfidence", "VeryLowConfidence"]
    assert cise_uuid("x") == cise_uuid("x") != cise_uuid("y")
