"""Who hears a transmission: coastal receivers (terrestrial AIS) and satellite passes offshore.

Terrestrial: each shore station hears vessels within its range (about 40 nm) with a probability that
fades over the outer 30 % of the range; a vessel near two stations is heard twice (duplicates, with a
different ``s:`` source and, for some stations, a receiver clock off by a second). Satellite: outside
terrestrial range a vessel is only heard during satellite passes (about 12 min every 60–110 min), and
then only a fraction of its transmissions (slot collisions). A blackout box removes satellite passes
over an area for a while (the satellite-coverage gap decoy).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from services.simulate.geodesy import distance_m

__all__ = ["Blackout", "Receipt", "ReceptionModel", "Station", "satellite_passes"]


@dataclass(frozen=True, slots=True)
class Station:
    name: str
    lat: float
    lon: float
    range_m: float = 75_000.0
    p_max: float = 0.93
    clock_offset_ms: int = 0


@dataclass(frozen=True, slots=True)
class Blackout:
    """No satellite reception inside the box during [t0_ms, t1_ms)."""

    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float
    t0_ms: int
    t1_ms: int

    def covers(self, ts_ms: int, lat: float, lon: float) -> bool:
        return (self.t0_ms <= ts_ms < self.t1_ms and self.lat_min <= lat <= self.lat_max
                and self.lon_min <= lon <= self.lon_max)


@dataclass(frozen=True, slots=True)
class Receipt:
    source: str
    rx_ms: int  # receiver time written in the tag block
    arrival_ms: int  # when the line reaches the feed (orders the output file)


def satellite_passes(seed: int, start_ms: int, end_ms: int) -> tuple[tuple[int, int], ...]:
    """A deterministic pass schedule: 10–14 min passes every 60–110 min."""
    rng = random.Random(f"passes|{seed}")
    out: list[tuple[int, int]] = []
    t = start_ms - rng.randint(0, 60) * 60_000
    while t < end_ms:
        dur = rng.randint(600, 840) * 1000
        out.append((t, t + dur))
        t += rng.randint(60, 110) * 60_000
    return tuple(out)


@dataclass(frozen=True, slots=True)
class ReceptionModel:
    stations: tuple[Station, ...]
    passes: tuple[tuple[int, int], ...] = ()
    blackouts: tuple[Blackout, ...] = ()
    p_sat: float = 0.15
    p_late: float = 0.005  # share of terrestrial lines delivered 20–90 s late
    sat_latency_s: tuple[float, float] = (20.0, 120.0)

    def merged(self, other: ReceptionModel) -> ReceptionModel:
        names = {s.name for s in self.stations}
        stations = self.stations + tuple(s for s in other.stations if s.name not in names)
        passes = tuple(sorted(set(self.passes) | set(other.passes)))
        blackouts = self.blackouts + tuple(b for b in other.blackouts if b not in self.blackouts)
        return ReceptionModel(stations, passes, blackouts, self.p_sat, self.p_late, self.sat_latency_s)

    def in_terrestrial_range(self, lat: float, lon: float) -> bool:
        return any(abs(lat - s.lat) <= 0.75 and abs(lon - s.lon) <= 1.0
                   and distance_m(lat, lon, s.lat, s.lon) <= s.range_m for s in self.stations)

    def satellite_hears(self, ts_ms: int, lat: float, lon: float) -> bool:
        """Whether a satellite pass is overhead (the message may still be lost)."""
        if any(b.covers(ts_ms, lat, lon) for b in self.blackouts):
            return False
        return any(t0 <= ts_ms < t1 for t0, t1 in self.passes)

    def receive(self, ts_ms: int, lat: float, lon: float, rng: random.Random) -> list[Receipt]:
        out: list[Receipt] = []
        in_range = False
        for st in self.stations:
            if abs(lat - st.lat) > 0.75 or abs(lon - st.lon) > 1.0:  # cheap reject, well beyond 75 km
                continue
            d = distance_m(lat, lon, st.lat, st.lon)
            if d > st.range_m:
                continue
            in_range = True
            fade_start = 0.7 * st.range_m
            p = st.p_max if d <= fade_start else st.p_max * (st.range_m - d) / (st.range_m - fade_start)
            if rng.random() < p:
                rx = ts_ms + st.clock_offset_ms
                arrival = rx + rng.randint(100, 1500)
                if rng.random() < self.p_late:
                    arrival += rng.randint(20_000, 90_000)
                out.append(Receipt(st.name, rx, arrival))
        if not in_range and self.satellite_hears(ts_ms, lat, lon) and rng.random() < self.p_sat:
            lo, hi = self.sat_latency_s
            out.append(Receipt("sat-ais", ts_ms, ts_ms + int(rng.uniform(lo, hi) * 1000)))
        return out
