"""Shore stations (terrestrial AIS receivers) and the reception regime of a place.

A place within ``range_m`` (about 40 nm) of a shore station is in the **coast** regime: terrestrial AIS
hears vessels there continuously. Anywhere else is **offshore**: AIS comes only from satellite passes.
Truth items, matched alerts and false positives are scored per regime (:mod:`services.simulate.evaluate`);
``truth.json`` carries the stations so that the evaluator can classify any location.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from services.simulate.latlon_geodesy import distance_m

__all__ = ["COAST", "OFFSHORE", "REGIMES", "Station", "in_range", "regime_at", "station_from_dict",
           "station_to_dict"]

COAST = "coast"
OFFSHORE = "offshore"
REGIMES = (COAST, OFFSHORE)


@dataclass(frozen=True, slots=True)
class Station:
    name: str
    lat: float
    lon: float
    range_m: float = 75_000.0
    p_max: float = 0.93
    clock_offset_ms: int = 0
    _box: tuple[float, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        dlat = self.range_m / 111_000.0 * 1.05
        dlon = dlat / max(0.05, math.cos(math.radians(min(89.0, abs(self.lat) + dlat))))
        object.__setattr__(self, "_box", (dlat, dlon))

    def near(self, lat: float, lon: float) -> bool:
        """A cheap box test, true for every place within range (and some beyond)."""
        dlat, dlon = self._box
        return abs(lat - self.lat) <= dlat and abs(lon - self.lon) <= dlon


def in_range(stations: Iterable[Station], lat: float, lon: float) -> bool:
    """Whether some shore station hears (lat, lon)."""
    return any(s.near(lat, lon) and distance_m(lat, lon, s.lat, s.lon) <= s.range_m for s in stations)


def regime_at(stations: Iterable[Station], lat: float, lon: float) -> str:
    return COAST if in_range(stations, lat, lon) else OFFSHORE


def station_to_dict(s: Station) -> dict[str, Any]:
    return {"name": s.name, "lat": s.lat, "lon": s.lon, "range_m": s.range_m}


def station_from_dict(d: dict[str, Any]) -> Station:
    return Station(str(d["name"]), float(d["lat"]), float(d["lon"]), float(d.get("range_m", 75_000.0)))
