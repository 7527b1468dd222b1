"""``msa detect``'s readers: satellite files through the one parser of ``msa ingest sat``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from msa.ais.nmea import nmea_checksum
from msa.domain import SatelliteDetection, SceneFootprint
from msa.formats.satellite import parse_feature_collection
from services.detect.reading import InputError, read_input, read_satellite_geojson

DET = {"detection_id": "d1", "detected_at": "2025-01-01T10:00:00Z", "confidence": 0.8, "sensor": "S1-SAR",
       "scene_id": "sc1", "length_m": 45.0}


def point(**props: Any) -> dict[str, Any]:
    p = {k: v for k, v in {**DET, **props}.items() if v is not ...}
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-9.5, 38.6]}, "properties": p}


def scene(ring: list[list[float]], **props: Any) -> dict[str, Any]:
    p = {"kind": "scene", "scene_id": "sc1", "acquired_at": "2025-01-01T10:00:00Z", "sensor": "S1-SAR", **props}
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {k: v for k, v in p.items() if v is not ...}}


CLOSED = [[-10, 38], [-9, 38], [-9, 39], [-10, 39], [-10, 38]]
FEATURES = [
    point(),
    point(detection_id="no-confidence", confidence=...),  # was read as confidence 1.0 by msa detect
    point(detection_id="d2", confidence=1.5),
    point(detection_id="d3", sensor=...),  # was read with an empty sensor
    point(detection_id="d4", detected_at="1970-01-01T00:00:00Z"),
    point(),  # duplicate id
    scene(CLOSED),
    scene(CLOSED[:-1], scene_id="open"),  # an unclosed ring: was accepted by msa detect
    scene(CLOSED, scene_id="no-time", acquired_at=..., detected_at="2025-01-01T10:00:00Z"),
    {"type": "Feature", "geometry": None, "properties": {}},
]


def write(tmp_path: Path, features: list[dict[str, Any]]) -> Path:
    path = tmp_path / "sat.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_detect_and_ingest_accept_and_reject_the_same_features_for_the_same_reasons(tmp_path: Path) -> None:
    ingested, rejects = parse_feature_collection({"type": "FeatureCollection", "features": FEATURES})
    counters: dict[str, int] = {}
    read = list(read_satellite_geojson(write(tmp_path, FEATURES), counters))
    assert read == ingested
    assert [(type(r), getattr(r, "detection_id", getattr(r, "scene_id", ""))) for r in read] == [
        (SatelliteDetection, "d1"), (SceneFootprint, "sc1")]
    reasons: dict[str, int] = {}
    for r in rejects:
        reasons[f"sat_bad_feature:{r.reason}"] = reasons.get(f"sat_bad_feature:{r.reason}", 0) + 1
    assert counters == {"sat_bad_feature": len(rejects), **reasons}
    assert reasons == {"sat_bad_feature:missing_field": 3, "sat_bad_feature:bad_confidence": 1,
                       "sat_bad_feature:time_too_old": 1, "sat_bad_feature:duplicate_detection": 1,
                       "sat_bad_feature:bad_geometry": 2}


def test_a_detection_without_confidence_is_rejected_not_taken_as_certain(tmp_path: Path) -> None:
    counters: dict[str, int] = {}
    assert list(read_input(write(tmp_path, [point(confidence=...)]), counters)) == []
    assert counters == {"sat_bad_feature": 1, "sat_bad_feature:missing_field": 1}


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"type": "Feature"}'])
def test_a_file_that_is_no_feature_collection_is_an_input_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text(text)
    with pytest.raises(InputError, match="not a GeoJSON FeatureCollection"):
        list(read_satellite_geojson(path, {}))


# -- raw AIS: the decoder of msa decode, in process ------------------------------------------------------------
def _tagged(tag: str, sentence: str) -> str:
    return f"\\{tag}*{nmea_checksum(tag.encode()):02X}\\{sentence}"


NMEA = "\n".join([
    _tagged("s:rx1,c:1700000000", "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23"),
    _tagged("s:rx2,c:1700000001", "!AIVDM,1,1,,B,13HOI:0P0000VOHLCnHQKwvL05Ip,0*20"),  # heard twice: one record
    _tagged("s:rx1,c:1700000002", "!AIVDM,2,1,3,B,55P5TL01VIaAL@7WKO@mBplU@<PDhh000000001S;AJ::4A80?4i@E53,0*3E"),
    _tagged("s:rx1,c:1700000002", "!AIVDM,2,2,3,B,1@0000000000000,2*55"),
    "!AIVDM,1,1,,A,not-a-payload,0*00",  # a reject: left out
]) + "\n"


def _decoded_by_msa_decode(path: Path, tmp_path: Path) -> list[Any]:
    from msa.cli import main
    from msa.contracts.codec import loads, record_from_dict

    out = tmp_path / "decoded.jsonl"
    assert main(["decode", str(path), "--out", str(out), "--receipt-time", "2023-11-14T22:13:20Z"]) == 0
    return [record_from_dict(loads(line)) for line in out.read_bytes().splitlines() if line.strip()]


@pytest.mark.parametrize("gz", [False, True])
def test_raw_nmea_is_decoded_in_process_as_msa_decode_decodes_it(tmp_path: Path, gz: bool,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip
    import subprocess

    from services.detect.reading import read_raw

    path = tmp_path / ("ais.nmea.gz" if gz else "ais.nmea")
    path.write_bytes(gzip.compress(NMEA.encode()) if gz else NMEA.encode())
    expected = _decoded_by_msa_decode(path, tmp_path)
    assert [type(r).__name__ for r in expected] == ["PositionReport", "StaticVesselData"]  # a duplicate, a reject

    def no_subprocess(*args: object, **kwargs: object) -> None:
        raise AssertionError("msa detect must not start a process to decode")

    monkeypatch.setattr(subprocess, "Popen", no_subprocess)
    counters: dict[str, int] = {}
    assert list(read_raw(path, counters, receipt_ms=1_700_000_000_000)) == expected
    assert list(read_input(path, counters)) == expected  # the times all come from the data
    assert counters == {}


def test_an_unreadable_raw_file_is_an_input_error(tmp_path: Path) -> None:
    from services.detect.reading import read_raw

    path = tmp_path / "cut.nmea.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(InputError):
        list(read_raw(path, {}))
