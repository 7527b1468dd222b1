"""Spherical geodesy helpers: distances, bearings, dead reckoning, interpolation, units."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from geo.geodesy import (
    KN_PER_MPS,
    METRES_PER_NM,
    MPS_PER_KN,
    destination_point,
    haversine_m,
    initial_bearing_deg,
    interpolate_position,
    mean_lon_deg,
    speed_kn,
)

lons = st.floats(-179.0, 179.0)
lats = st.floats(-80.0, 80.0)


def test_one_degree_of_latitude_is_about_111_km() -> None:
    assert abs(haversine_m(0.0, 0.0, 0.0, 1.0) - 111_195) < 5


def test_strait_of_gibraltar_width_tarifa_to_cires() -> None:
    # Punta de Tarifa (5.6095 W, 36.0020 N) to Punta Cires (5.4770 W, 35.9120 N): about 15 km
    assert 14_500 < haversine_m(-5.6095, 36.0020, -5.4770, 35.9120) < 16_000


def test_bearings_of_the_cardinal_directions() -> None:
    assert abs(initial_bearing_deg(0, 0, 0, 1) - 0.0) < 1e-9
    assert abs(initial_bearing_deg(0, 0, 1, 0) - 90.0) < 1e-9
    assert abs(initial_bearing_deg(0, 1, 0, 0) - 180.0) < 1e-9
    assert abs(initial_bearing_deg(1, 0, 0, 0) - 270.0) < 1e-9


@given(lons, lats, st.floats(0.0, 359.9), st.floats(0.0, 200_000.0))
def test_dead_reckoning_goes_the_distance(lon: float, lat: float, bearing: float, dist: float) -> None:
    lon2, lat2 = destination_point(lon, lat, bearing, dist)
    assert abs(haversine_m(lon, lat, lon2, lat2) - dist) < 0.01 + dist * 1e-9


def test_interpolation_is_linear_in_time_and_clamped() -> None:
    assert interpolate_position(0, 0, 0, 2, 4, 100, 50) == (1.0, 2.0)
    assert interpolate_position(0, 0, 0, 2, 4, 100, -5) == (0, 0)
    assert interpolate_position(0, 0, 0, 2, 4, 100, 500) == (2, 4)


def test_interpolation_and_mean_across_the_antimeridian() -> None:
    lon, _ = interpolate_position(179.0, 0, 0, -179.0, 0, 100, 50)
    assert abs(abs(lon) - 180.0) < 1e-9
    assert abs(abs(mean_lon_deg(179.0, -179.0)) - 180.0) < 1e-9


def test_knots_constants_and_speed() -> None:
    assert METRES_PER_NM == 1852.0
    assert abs(MPS_PER_KN * KN_PER_MPS - 1.0) < 1e-12
    assert abs(speed_kn(1852.0, 3600.0) - 1.0) < 1e-12
    assert speed_kn(10.0, 0.0) == math.inf and speed_kn(0.0, 0.0) == 0.0
