"""Zones: the bundled areas, precedence, user zone files, and the per-cell cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.zones import Zone, ZoneFileError, load_zones

BUNDLED = load_zones()


@pytest.mark.parametrize(("name", "lon", "lat", "zone"), [
    ("Algeciras", -5.43, 36.12, "Strait of Gibraltar and Alboran Sea"),
    ("Tanger Med", -5.50, 35.89, "Strait of Gibraltar and Alboran Sea"),
    ("Alboran island", -3.03, 35.94, "Strait of Gibraltar and Alboran Sea"),
    ("off Cadiz", -6.50, 36.50, "Gulf of Cadiz, Guadalquivir mouth and Algarve"),
    ("off Faro", -7.90, 36.90, "Gulf of Cadiz, Guadalquivir mouth and Algarve"),
    ("off Lisbon", -9.60, 38.60, "MAOC-N Atlantic approaches"),
    ("Bay of Biscay", -5.00, 45.50, "MAOC-N Atlantic approaches"),
    ("Azores", -28.00, 38.50, "Cape Verde - Madeira - Canaries - Azores box"),
    ("Canaries", -15.40, 28.10, "Cape Verde - Madeira - Canaries - Azores box"),
    ("Praia", -23.50, 14.90, "Cape Verde - Madeira - Canaries - Azores box"),
    ("off Dakar", -17.60, 14.60, "Off West Africa"),
    ("off Conakry", -14.00, 9.30, "Off West Africa"),
    ("Balearic Sea", 2.50, 40.00, "Western Mediterranean"),
    ("off Naples", 14.20, 40.70, "Western Mediterranean"),
    ("Malta", 14.50, 35.90, "Central Mediterranean"),
    ("Adriatic", 15.00, 43.00, "Central Mediterranean"),
    ("Piraeus", 23.60, 37.90, "Eastern Mediterranean"),
    ("off Cyprus", 33.00, 34.50, "Eastern Mediterranean"),
])
def test_bundled_zones_cover_the_named_places(name: str, lon: float, lat: float, zone: str) -> None:
    found = BUNDLED.zone_at(lon, lat)
    assert found is not None and found.name == zone, name


def test_outside_every_zone() -> None:
    assert BUNDLED.zone_at(60.0, 10.0) is None  # Arabian Sea
    assert BUNDLED.zone_at(-40.0, 45.0) is None  # mid-Atlantic


def test_every_zone_names_its_source_and_region() -> None:
    assert len(BUNDLED.zones) >= 8
    for z in BUNDLED.zones:
        assert z.source and z.region in {"maocn_atlantic", "mediterranean", "west_africa"}


def test_coastal_zones_carry_the_one_hour_dark_threshold() -> None:
    z = BUNDLED.by_name("Strait of Gibraltar and Alboran Sea")
    assert z is not None and z.params_overrides["dark_threshold_s"] == 3600


def _brute_force(lon: float, lat: float) -> Zone | None:
    for z in BUNDLED.zones:  # stored in precedence order
        if shapely.intersects_xy(z.geometry, lon, lat):
            return z
    return None


@settings(max_examples=300, deadline=None)
@given(st.floats(-34.0, 37.0), st.floats(1.0, 52.0))
def test_the_cell_cache_agrees_with_an_exact_lookup(lon: float, lat: float) -> None:
    assert BUNDLED.zone_at(lon, lat) == _brute_force(lon, lat)


def _write(tmp_path: Path, features: list[dict[str, object]]) -> Path:
    p = tmp_path / "zones.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return p


def _square(name: str, x0: float, y0: float, size: float, **props: object) -> dict[str, object]:
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {"type": "Feature", "properties": {"name": name, **props},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


def test_user_zones_replace_the_bundled_ones_smallest_wins(tmp_path: Path) -> None:
    idx = load_zones(_write(tmp_path, [_square("big", 0, 0, 10), _square("small", 2, 2, 1, dark_threshold_s=1800)]))
    assert [z.name for z in idx.zones] == ["small", "big"]
    small = idx.zone_at(2.5, 2.5)
    assert small is not None and small.name == "small" and small.params_overrides == {"dark_threshold_s": 1800}
    big = idx.zone_at(5, 5)
    assert big is not None and big.name == "big"
    assert idx.zone_at(-3.5, 36.0) is None  # the bundled Alboran zone is gone


def test_explicit_priority_beats_area(tmp_path: Path) -> None:
    idx = load_zones(_write(tmp_path, [_square("big", 0, 0, 10, priority=5), _square("small", 2, 2, 1)]))
    z = idx.zone_at(2.5, 2.5)
    assert z is not None and z.name == "big"


@pytest.mark.parametrize(("features", "message"), [
    ([], "no zones"),
    ([{**_square("x", 0, 0, 1), "properties": {}}], "name"),
    ([{"type": "Feature", "properties": {"name": "p"}, "geometry": {"type": "Point", "coordinates": [0, 0]}}],
     "Polygon"),
    ([_square("a", 0, 0, 1), _square("a", 5, 5, 1)], "unique"),
])
def test_bad_zone_files_are_refused_with_a_reason(tmp_path: Path, features: list[dict[str, object]],
                                                   message: str) -> None:
    with pytest.raises(ZoneFileError, match=message):
        load_zones(_write(tmp_path, features))
