"""The API reads zones through ``geo.zones``: the same checks and the same error as the detector."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geo.zones import ZoneFileError, load_zones
from services.api import zone_scope
from services.api.app import create_app
from services.api.settings import ApiSettings
from services.api.zone_scope import load_zone_features
from tests.unit.api.builders import SECRET

NO_DB = "postgresql+psycopg://nobody:x@127.0.0.1:1/none"

SQUARE = {"type": "Feature", "properties": {"name": "box", "region": "atlantic"},
          "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}}


def test_the_bundled_zones_are_served_as_written() -> None:
    fc = load_zone_features(None)
    assert fc["type"] == "FeatureCollection"
    assert {f["properties"]["name"] for f in fc["features"]} == {z.name for z in load_zones().zones}


def test_a_zone_file_is_served_as_written(tmp_path: Path) -> None:
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [SQUARE]}))
    assert load_zone_features(path) == {"type": "FeatureCollection", "features": [SQUARE]}


@pytest.mark.parametrize("text", ["{not json", "{}", '{"type": "FeatureCollection", "features": [1]}',
                                  json.dumps({"type": "FeatureCollection", "features": [
                                      {**SQUARE, "properties": {}}]})])
def test_a_bad_zone_file_is_the_detectors_error_not_an_empty_list(tmp_path: Path, text: str) -> None:
    path = tmp_path / "zones.geojson"
    path.write_text(text)
    with pytest.raises(ZoneFileError) as detector:
        load_zones(path)
    with pytest.raises(ZoneFileError) as api:
        load_zone_features(path)
    assert str(api.value) == str(detector.value)


def test_a_named_zone_file_that_is_missing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ZoneFileError, match=r"missing\.geojson"):
        load_zone_features(tmp_path / "missing.geojson")


def test_without_the_bundled_file_there_are_no_zones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zone_scope, "DEFAULT_ZONES_PATH", tmp_path / "absent.geojson")
    assert load_zone_features(None) == {"type": "FeatureCollection", "features": []}


def test_the_app_refuses_to_start_on_a_bad_zone_file(tmp_path: Path) -> None:
    path = tmp_path / "zones.geojson"
    path.write_text("{}")
    with pytest.raises(ZoneFileError, match="not a GeoJSON FeatureCollection"):
        create_app(ApiSettings(database_url=NO_DB, jwt_secret=SECRET, zones_path=path))  # type: ignore[arg-type]
