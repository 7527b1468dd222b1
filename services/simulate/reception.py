"""Who hears a transmission: coastal receivers (terrestrial AIS) and satellite passes offshore.

Terrestrial: each shore station hears vessels within its range (about 40 nm) with a probability that
fades over the outer 30 % of the range; a vessel near two stations is heard twice (duplicates, with a
different ``s:`` source and, for some stations, a receiver clock off by a second). Satellite: outside
terrestrial range a vessel is only heard while a satellite passes over its area (per-area revisit times,
:mod:`services.simulate.satcoverage`), and then only a fraction of its transmissions (slot collisions):
15 % for class A, 5 % for class B (lower power, and the satellite hears the CS/SOTDMA mix worse).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from services.simulate.latlon_geodesy import distance_m
from services.simulate.satcoverage import SatelliteCoverage
from services.simulate.shore import Station, in_range

__all__ = ["Receipt", "ReceptionModel"]


@dataclass(frozen=True, slots=True)
class Receipt:
    source: str
    rx_ms: int  # receiver time written in the tag block
    arrival_ms: int  # when the line reaches the feed (orders the output file)


@dataclass(frozen=True, slots=True)
class ReceptionModel:
    stations: tuple[Station, ...]
    satellites: SatelliteCoverage | None = None  # None: no satellite AIS at all
    p_sat_a: float = 0.15  # share of class A transmissions a satellite overhead receives
    p_sat_b: float = 0.05  # the same for class B
    p_late: float = 0.005  # share of terrestrial lines delivered 20–90 s late
    sat_latency_s: tuple[float, float] = (20.0, 120.0)

    def merged(self, other: ReceptionModel) -> ReceptionModel:
        names = {s.name for s in self.stations}
        stations = self.stations + tuple(s for s in other.stations if s.name not in names)
        if self.satellites is None or other.satellites is None:
            satellites = self.satellites or other.satellites
        else:
            satellites = self.satellites.merged(other.satellites)
        return ReceptionModel(stations, satellites, self.p_sat_a, self.p_sat_b, self.p_late, self.sat_latency_s)

    def in_terrestrial_range(self, lat: float, lon: float) -> bool:
        return in_range(self.stations, lat, lon)

    def satellite_hears(self, ts_ms: int, lat: float, lon: float) -> bool:
        """Whether a satellite pass is overhead (the message may still be lost)."""
        return self.satellites is not None and self.satellites.overhead(ts_ms, lat, lon)

    def receive(self, ts_ms: int, lat: float, lon: float, rng: random.Random, ais_class: str = "A") -> list[Receipt]:
        out: list[Receipt] = []
        in_terrestrial = False
        for st in self.stations:
            if not st.near(lat, lon):
                continue
            d = distance_m(lat, lon, st.lat, st.lon)
            if d > st.range_m:
                continue
            in_terrestrial = True
            fade_start = 0.7 * st.range_m
            p = st.p_max if d <= fade_start else st.p_max * (st.range_m - d) / (st.range_m - fade_start)
            if rng.random() < p:
                rx = ts_ms + st.clock_offset_ms
                arrival = rx + rng.randint(100, 1500)
                if rng.random() < self.p_late:
                    arrival += rng.randint(20_000, 90_000)
                out.append(Receipt(st.name, rx, arrival))
        if not in_terrestrial and self.satellite_hears(ts_ms, lat, lon) \
                and rng.random() < (self.p_sat_b if ais_class == "B" else self.p_sat_a):
            lo, hi = self.sat_latency_s
            out.append(Receipt("sat-ais", ts_ms, ts_ms + int(rng.uniform(lo, hi) * 1000)))
        return out
