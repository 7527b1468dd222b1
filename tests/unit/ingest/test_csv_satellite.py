"""CSV exports (DMA, NOAA) and satellite GeoJSON → records, with precise rejects."""

from __future__ import annotations

from typing import Any

import pytest

from msa.ais.csv_formats import detect_format, read_csv
from msa.domain import AisClass, PositionReport, Reject, SatelliteDetection, SceneFootprint, StaticVesselData
from msa.formats.satellite import parse_feature_collection, parse_geojson_bytes

DMA = "\n".join([
    "# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,IMO,Callsign,"
    "Name,Ship type,Cargo type,Width,Length,Type of position fixing device,Draught,Destination,ETA,"
    "Data source type,A,B,C,D",
    "27/02/2024 00:00:00,Class A,219000429,56.990917,10.304450,Under way using engine,0.0,10.2,123.4,122,"
    "9234567,OXAB2,NORDIC STAR,Cargo,,12,80,GPS,5.1,AARHUS,27/02/2024 06:00:00,AIS,60,20,6,6",
    "27/02/2024 00:00:10,Class A,219000429,56.991000,10.304600,Under way using engine,0.0,10.3,123.5,511,"
    "9234567,OXAB2,NORDIC STAR,Cargo,,12,80,GPS,5.1,AARHUS,27/02/2024 06:00:00,AIS,60,20,6,6",
    "27/02/2024 00:00:12,Class B,211234560,91.000000,181.000000,Unknown value,,,,,Unknown,,,Undefined,,,,,,"
    "Unknown,,AIS,,,,",
    "27/02/2024 00:00:13,Base Station,2190064,55.7,12.6,Unknown value,,,,,,,,,,,,,,,,AIS,,,,",
    "27/02/2024 00:00:14,Class A,12345,56.0,10.0,Unknown value,,,,,,,,,,,,,,,,AIS,,,,",
]) + "\n"

NOAA = "\n".join([
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,"
    "Cargo,TransceiverClass",
    "367596940,2023-01-01T00:00:03,29.93208,-90.08431,0.0,360.0,511.0,MISS KATHY,IMO9111111,WDH3985,31,15,20.0,"
    "7.0,2.5,31,A",
    "338224000,2023-01-01T00:00:06,48.51178,-122.60873,102.3,240.4,88.0,,,,,,,,,,B",
    "338224000,not-a-date,48.5,-122.6,1.0,2.0,3.0,,,,,,,,,,B",
]) + "\n"


def test_detect_csv_formats() -> None:
    assert detect_format(DMA.splitlines()[0]) == "dma-csv"
    assert detect_format(NOAA.splitlines()[0]) == "noaa-csv"
    assert detect_format("!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23") is None


def test_dma_rows() -> None:
    out = list(read_csv(DMA.splitlines(keepends=True), "dma-csv", "dma"))
    pos = [r for r in out if isinstance(r, PositionReport)]
    static = [r for r in out if isinstance(r, StaticVesselData)]
    rejects = [r for r in out if isinstance(r, Reject)]
    assert len(pos) == 2 and pos[0].ts_ms == 1_708_992_000_000 and pos[0].nav_status == 0
    assert (pos[0].sog_kn, pos[0].cog_deg, pos[0].heading_deg, pos[1].heading_deg) == (10.2, 123.4, 122, None)
    assert len(static) == 1  # emitted once: second row has the same static fields
    s0 = static[0]
    assert (s0.name, s0.imo, s0.ship_type, s0.length_m) == ("NORDIC STAR", 9234567, 70, 80.0)
    assert [r.reason for r in rejects] == ["bad_csv_row"] and "invalid MMSI" in rejects[0].detail
    assert sum(1 for r in out if type(r).__name__ == "AisOther") == 1  # base station kept as other


def test_noaa_rows() -> None:
    out = list(read_csv(NOAA.splitlines(keepends=True), "noaa-csv", "noaa"))
    pos = [r for r in out if isinstance(r, PositionReport)]
    assert pos[0].mmsi == 367596940 and pos[0].cog_deg is None and pos[0].heading_deg is None
    assert pos[0].nav_status is None  # 15 = undefined
    assert pos[1].sog_kn is None and pos[1].ais_class is AisClass.B and pos[1].msg_type == 18
    static = next(r for r in out if isinstance(r, StaticVesselData))
    assert (static.imo, static.call_sign, static.ship_type, static.draught_m) == (9111111, "WDH3985", 31, 2.5)
    assert [r.reason for r in out if isinstance(r, Reject)] == ["bad_csv_row"]


def test_csv_times_decades_away_are_rejected() -> None:
    dma = [*DMA.splitlines()[:2], DMA.splitlines()[1].replace("27/02/2024", "27/02/2099", 1)]
    out = list(read_csv(dma, "dma-csv", "dma"))
    assert [r.reason for r in out if isinstance(r, Reject)] == ["time_in_future"]
    assert sum(isinstance(r, PositionReport) for r in out) == 1
    noaa = [*NOAA.splitlines()[:2], NOAA.splitlines()[1].replace("2023-01-01", "1995-01-01", 1)]
    out = list(read_csv(noaa, "noaa-csv", "noaa"))
    rejects = [r for r in out if isinstance(r, Reject)]
    assert [r.reason for r in rejects] == ["time_too_old"] and rejects[0].raw.startswith("367596940,1995-01-01")


def point(**props: Any) -> dict[str, Any]:
    base = {"detection_id": "d1", "detected_at": "2025-01-01T10:00:00Z", "confidence": 0.8, "sensor": "S1-SAR",
            "scene_id": "sc1", "length_m": 45.0}
    base.update(props)
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-9.5, 38.6]},
            "properties": {k: v for k, v in base.items() if v is not ...}}


SCENE = {"type": "Feature", "properties": {"kind": "scene", "scene_id": "sc1", "acquired_at": "2025-01-01T10:00:00Z",
                                           "sensor": "S1-SAR"},
         "geometry": {"type": "Polygon", "coordinates": [[[-10, 38], [-9, 38], [-9, 39], [-10, 39], [-10, 38]]]}}


def test_detections_and_scene() -> None:
    recs, rejects = parse_feature_collection({"type": "FeatureCollection", "features": [point(), SCENE]})
    assert rejects == []
    det, scene = recs
    assert isinstance(det, SatelliteDetection) and (det.lat, det.lon, det.length_m) == (38.6, -9.5, 45.0)
    assert det.ts_ms == 1_735_725_600_000
    assert isinstance(scene, SceneFootprint) and scene.rings[0][0] == (-10.0, 38.0)


@pytest.mark.parametrize("feature, reason", [
    (point(confidence=1.5), "bad_confidence"),
    (point(confidence=...), "missing_field"),
    (point(detected_at="yesterday"), "bad_time"),
    (point(detection_id=...), "missing_field"),
    (point(length_m=-3), "bad_length"),
    ({"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [200, 0]}}, "bad_geometry"),
    ({"type": "Feature", "properties": {"kind": "scene", "scene_id": "s", "acquired_at": "2025-01-01T00:00:00Z"},
      "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]}}, "bad_geometry"),
    ({"type": "Nope"}, "not_a_feature"),
    (point(detected_at="1970-01-01T00:00:00Z"), "time_too_old"),  # a receiver clock reset to the epoch
    (point(detected_at="2099-01-01T00:00:00Z"), "time_in_future"),
    ({**SCENE, "properties": {**SCENE["properties"], "acquired_at": "2099-01-01T00:00:00Z"}}, "time_in_future"),
    (point(sensor="S1\x00SAR"), "bad_field"),  # PostgreSQL refuses a NUL in text: refused here, said why
    (point(detection_id="d1\nforged"), "bad_field"),
])
def test_detection_rejects(feature: dict[str, Any], reason: str) -> None:
    recs, rejects = parse_feature_collection({"type": "FeatureCollection", "features": [feature]}, "f.geojson")
    assert recs == [] and [r.reason for r in rejects] == [reason] and rejects[0].source == "f.geojson"


def test_duplicate_ids_and_bad_documents() -> None:
    recs, rejects = parse_feature_collection({"type": "FeatureCollection", "features": [point(), point()]})
    assert len(recs) == 1 and [r.reason for r in rejects] == ["duplicate_detection"]
    assert parse_geojson_bytes(b"{not json")[1][0].reason == "bad_json"
    assert parse_geojson_bytes(b"[1, 2]")[1][0].reason == "not_a_feature_collection"
