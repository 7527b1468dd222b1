"""Spherical geodesy for the simulator: distances, bearings and destination points in metres.

The simulator only needs to place vessels plausibly; a sphere of the WGS84 mean radius is within 0.5 %
of the ellipsoid, far below the position noise it adds on purpose.
"""

from __future__ import annotations

import math

__all__ = ["EARTH_RADIUS_M", "KN_TO_MPS", "bearing_deg", "destination", "distance_m", "interpolate"]

EARTH_RADIUS_M = 6_371_008.8
KN_TO_MPS = 1852.0 / 3600.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial great-circle bearing from point 1 to point 2, degrees clockwise from north in [0, 360)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def destination(lat: float, lon: float, bearing: float, dist_m: float) -> tuple[float, float]:
    """The point ``dist_m`` metres from (lat, lon) along ``bearing`` degrees; returns (lat, lon)."""
    d = dist_m / EARTH_RADIUS_M
    b = math.radians(bearing)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), (math.degrees(l2) + 540.0) % 360.0 - 180.0


def interpolate(lat1: float, lon1: float, lat2: float, lon2: float, frac: float) -> tuple[float, float]:
    """Point a fraction ``frac`` of the way from 1 to 2 (linear in lat/lon: legs are short)."""
    return lat1 + (lat2 - lat1) * frac, lon1 + (lon2 - lon1) * frac
