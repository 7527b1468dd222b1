"""``msa detect``'s readers: satellite files through the one parser of ``msa ingest sat``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

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
