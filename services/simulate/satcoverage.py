"""Satellite AIS coverage: areas with their own revisit times, their pass schedules, and blackouts.

Beyond terrestrial range a vessel is heard only while a satellite passes over its area. Each
:class:`SatelliteArea` is a box with its own revisit distribution (the time from one pass to the next,
uniform in ``revisit_min``); a pass lasts 8–14 min (passes of several satellites may overlap). The first
area containing a place is its area; :data:`DEFAULT_AREA` covers everything else. Schedules are
deterministic from the seed and the area name, so every scenario of a merged run sees the same passes.
A :class:`Blackout` removes every pass over a box for a while (a satellite-coverage gap).

=========================  ==============================  ===============
area                       box (lat, lon)                  revisit (min)
=========================  ==============================  ===============
atlantic_approaches        35–48 N, 20 W–5.6 W             5–60
azores                     35–42 N, 33 W–20 W              30–60
macaronesia                14–35 N, 33 W–11 W              20–90
mediterranean              30–46 N, 5.6 W–36.5 E           10–40
default (everywhere else)  —                               60–110
=========================  ==============================  ===============
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass

__all__ = ["AREAS", "DEFAULT_AREA", "PASS_S", "Blackout", "PassSchedule", "SatelliteArea", "SatelliteCoverage",
           "satellite_coverage"]

PASS_S = (480, 840)  # a pass lasts 8–14 min


@dataclass(frozen=True, slots=True)
class SatelliteArea:
    name: str
    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float
    revisit_min: tuple[int, int]  # minutes from one pass to the next, uniform

    def contains(self, lat: float, lon: float) -> bool:
        return self.lat_min <= lat <= self.lat_max and self.lon_min <= lon <= self.lon_max


AREAS: tuple[SatelliteArea, ...] = (
    SatelliteArea("atlantic_approaches", 35.0, 48.0, -20.0, -5.6, (5, 60)),
    SatelliteArea("azores", 35.0, 42.0, -33.0, -20.0, (30, 60)),
    SatelliteArea("macaronesia", 14.0, 35.0, -33.0, -11.0, (20, 90)),
    SatelliteArea("mediterranean", 30.0, 46.0, -5.6, 36.5, (10, 40)),
)
DEFAULT_AREA = SatelliteArea("default", -90.0, 90.0, -180.0, 180.0, (60, 110))


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
class PassSchedule:
    """The passes over one area, sorted by start: (t0_ms, t1_ms)."""

    area: SatelliteArea
    passes: tuple[tuple[int, int], ...]

    def overhead(self, ts_ms: int) -> bool:
        i = bisect.bisect_right(self.passes, (ts_ms, 1 << 62))
        longest_ms = PASS_S[1] * 1000
        while i > 0:
            t0, t1 = self.passes[i - 1]
            if t0 < ts_ms - longest_ms:
                return False
            if ts_ms < t1:
                return True
            i -= 1
        return False

    def passes_between(self, t0_ms: int, t1_ms: int) -> list[tuple[int, int]]:
        """Passes overlapping [t0_ms, t1_ms)."""
        return [p for p in self.passes if p[0] < t1_ms and p[1] > t0_ms]


def _schedule(seed: int, area: SatelliteArea, start_ms: int, end_ms: int) -> PassSchedule:
    rng = random.Random(f"passes|{seed}|{area.name}")
    lo, hi = area.revisit_min
    out: list[tuple[int, int]] = []
    t = start_ms - rng.randint(0, hi) * 60_000
    while t < end_ms:
        out.append((t, t + rng.randint(*PASS_S) * 1000))
        t += rng.randint(lo * 60, hi * 60) * 1000
    return PassSchedule(area, tuple(out))


@dataclass(frozen=True, slots=True)
class SatelliteCoverage:
    """Pass schedules per area (the last one is the default, everywhere else) and blackouts."""

    schedules: tuple[PassSchedule, ...]
    blackouts: tuple[Blackout, ...] = ()

    def schedule_at(self, lat: float, lon: float) -> PassSchedule:
        for s in self.schedules:
            if s.area.contains(lat, lon):
                return s
        return self.schedules[-1]

    def overhead(self, ts_ms: int, lat: float, lon: float) -> bool:
        """Whether a satellite pass is overhead (a message may still be lost)."""
        if any(b.covers(ts_ms, lat, lon) for b in self.blackouts):
            return False
        return self.schedule_at(lat, lon).overhead(ts_ms)

    def with_blackout(self, blackout: Blackout) -> SatelliteCoverage:
        return SatelliteCoverage(self.schedules, (*self.blackouts, blackout))

    def merged(self, other: SatelliteCoverage) -> SatelliteCoverage:
        """Passes of the same area united (the same seed gives the same passes), blackouts united."""
        theirs = {s.area: s for s in other.schedules}
        schedules = tuple(PassSchedule(s.area, tuple(sorted(set(s.passes) | set(theirs[s.area].passes))))
                          if s.area in theirs else s for s in self.schedules)
        blackouts = self.blackouts + tuple(b for b in other.blackouts if b not in self.blackouts)
        return SatelliteCoverage(schedules, blackouts)


def satellite_coverage(seed: int, start_ms: int, end_ms: int,
                       areas: tuple[SatelliteArea, ...] = AREAS) -> SatelliteCoverage:
    """The pass schedules of ``areas`` (then the default area) over [start_ms, end_ms)."""
    return SatelliteCoverage(tuple(_schedule(seed, a, start_ms, end_ms) for a in (*areas, DEFAULT_AREA)))
