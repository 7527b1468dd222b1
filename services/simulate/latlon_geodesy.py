"""Spherical geodesy for the simulator, in its (lat, lon) argument order.

Thin adapters over :mod:`geo.geodesy` (lon first): one implementation of the formulas for the whole
project, so the simulator and the detectors measure the same distances.
"""

from __future__ import annotations

from geo.geodesy import EARTH_RADIUS_M, MPS_PER_KN, destination_point, haversine_m, initial_bearing_deg

__all__ = ["EARTH_RADIUS_M", "KN_TO_MPS", "bearing_deg", "destination", "distance_m", "interpolate"]

KN_TO_MPS = MPS_PER_KN


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    return haversine_m(lon1, lat1, lon2, lat2)


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial great-circle bearing from point 1 to point 2, degrees clockwise from north in [0, 360)."""
    return initial_bearing_deg(lon1, lat1, lon2, lat2)


def destination(lat: float, lon: float, bearing: float, dist_m: float) -> tuple[float, float]:
    """The point ``dist_m`` metres from (lat, lon) along ``bearing`` degrees; returns (lat, lon)."""
    lon2, lat2 = destination_point(lon, lat, bearing, dist_m)
    return lat2, lon2


def interpolate(lat1: float, lon1: float, lat2: float, lon2: float, frac: float) -> tuple[float, float]:
    """Point a fraction ``frac`` of the way from 1 to 2 (linear in lat/lon: legs are short)."""
    return lat1 + (lat2 - lat1) * frac, lon1 + (lon2 - lon1) * frac
