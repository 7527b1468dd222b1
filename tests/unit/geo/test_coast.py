"""Distance to the coast (GSHHG grid from the landmetrics wheel): known places, the antimeridian, and the
fast regime test agreeing with the interpolated distance everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.coast import TERRESTRIAL_RANGE_M, CoastFileError, load_coast

COAST = load_coast()


@pytest.mark.parametrize(("lon", "lat", "lo_m", "hi_m"), [
    (-45.0, 35.0, 1_000_000.0, 3_000_000.0),  # the middle of the North Atlantic
    (-10.2, 37.0, 80_000.0, 140_000.0),  # ~100 km off Cape St Vincent: satellite regime
    (-3.5, 36.0, 20_000.0, 70_000.0),  # the middle of the Alboran Sea: within shore range
    (-9.15, 38.70, -5_000.0, 5_000.0),  # the Tagus at Lisbon: the coast itself at this resolution
    (-3.7, 40.4, -400_000.0, -200_000.0),  # Madrid: land is negative
])
def test_known_places(lon: float, lat: float, lo_m: float, hi_m: float) -> None:
    assert lo_m <= COAST.distance_m(lon, lat) <= hi_m


def test_regimes_of_known_places() -> None:
    assert COAST.offshore(-10.2, 37.0)
    assert not COAST.offshore(-3.5, 36.0)
    assert not COAST.offshore(-3.7, 40.4)


def test_the_antimeridian_is_continuous() -> None:
    """Fiji straddles ±180°: the two sides of the meridian are the same sea."""
    east, west = COAST.distance_m(179.99, -17.0), COAST.distance_m(-179.99, -17.0)
    assert abs(east - west) < 2_000.0
    assert COAST.distance_m(180.0, -17.0) == pytest.approx(COAST.distance_m(-180.0, -17.0))


def test_near_shore_is_judged_per_kilometre_cell() -> None:
    assert COAST.near_shore(-9.15, 38.70, 2_000.0)
    assert not COAST.near_shore(-10.2, 37.0, 2_000.0)


@settings(max_examples=400, deadline=None)
@given(lon=st.floats(-180.0, 180.0), lat=st.floats(-80.0, 80.0), min_m=st.floats(-50_000.0, 200_000.0))
def test_offshore_agrees_with_the_interpolated_distance(lon: float, lat: float, min_m: float) -> None:
    assert COAST.offshore(lon, lat, min_m) == (COAST.distance_m(lon, lat) >= min_m)


@settings(max_examples=300, deadline=None)
@given(lon=st.floats(-10.0, -6.0), lat=st.floats(35.5, 38.0), dm=st.floats(-3_000.0, 3_000.0))
def test_offshore_agrees_near_the_regime_boundary(lon: float, lat: float, dm: float) -> None:
    """Points whose interpolated distance is close to the threshold (the Gulf of Cadiz reaches 74 km)."""
    min_m = COAST.distance_m(lon, lat) + dm
    assert COAST.offshore(lon, lat, min_m) == (COAST.distance_m(lon, lat) >= min_m)
    assert COAST.offshore(lon, lat, TERRESTRIAL_RANGE_M) == (COAST.distance_m(lon, lat) >= TERRESTRIAL_RANGE_M)


def test_an_unreadable_grid_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "grid.nc"
    bad.write_bytes(b"not a netCDF file")
    with pytest.raises(CoastFileError, match=r"grid\.nc"):
        load_coast(str(bad))
