"""Distance to land for placing offshore scenarios (and checking them), in the simulator's (lat, lon) order.

A thin adapter over :mod:`geo.coast` (the GSHHG shoreline grid the detectors use too): one coastline for
the whole project, so "more than 40 nm from land" means the same thing to the simulator and the detectors.
"""

from __future__ import annotations

from geo.coast import load_coast

__all__ = ["distance_to_land_m"]


def distance_to_land_m(lat: float, lon: float) -> float:
    """Metres from (lat, lon) to the nearest coastline, islands included (negative on land)."""
    return load_coast().distance_m(lon, lat)
