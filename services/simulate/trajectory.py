"""Vessel tracks: a sequence of timed legs, and the kinematic state at any instant.

A track is built with :class:`TrackBuilder` (``sail_to``, ``sail_for``, ``hold``) from a start time and
place. ``state_at`` gives position, speed over ground, course and navigational status; at anchor the
vessel swings slowly round its anchor (tens of metres), as real anchored ships do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Self

from services.simulate.latlon_geodesy import KN_TO_MPS, bearing_deg, destination, distance_m, interpolate

__all__ = ["NAV_ANCHORED", "NAV_FISHING", "NAV_MOORED", "NAV_UNDERWAY", "Leg", "State", "Track", "TrackBuilder"]

NAV_UNDERWAY = 0
NAV_ANCHORED = 1
NAV_MOORED = 5
NAV_FISHING = 7
_SWING_RADIUS_M = 35.0
_SWING_PERIOD_S = 1800.0


@dataclass(frozen=True, slots=True)
class State:
    lat: float
    lon: float
    sog_kn: float
    cog_deg: float
    nav_status: int


@dataclass(frozen=True, slots=True)
class Leg:
    t0_ms: int
    t1_ms: int
    lat0: float
    lon0: float
    lat1: float
    lon1: float
    nav_status: int
    holding: bool  # at anchor / moored / drifting in place

    def state_at(self, ts_ms: int) -> State:
        span = max(1, self.t1_ms - self.t0_ms)
        frac = min(1.0, max(0.0, (ts_ms - self.t0_ms) / span))
        if self.holding:
            phase = 2 * math.pi * ((ts_ms - self.t0_ms) / 1000.0) / _SWING_PERIOD_S
            lat, lon = destination(self.lat0, self.lon0, math.degrees(phase) % 360.0, _SWING_RADIUS_M)
            sog = 2 * math.pi * _SWING_RADIUS_M / _SWING_PERIOD_S / KN_TO_MPS
            return State(lat, lon, round(sog, 1), (math.degrees(phase) + 90.0) % 360.0, self.nav_status)
        lat, lon = interpolate(self.lat0, self.lon0, self.lat1, self.lon1, frac)
        dist = distance_m(self.lat0, self.lon0, self.lat1, self.lon1)
        sog = dist / (span / 1000.0) / KN_TO_MPS
        cog = bearing_deg(self.lat0, self.lon0, self.lat1, self.lon1)
        return State(lat, lon, sog, cog, self.nav_status)


@dataclass(frozen=True, slots=True)
class Track:
    legs: tuple[Leg, ...]

    @property
    def start_ms(self) -> int:
        return self.legs[0].t0_ms

    @property
    def end_ms(self) -> int:
        return self.legs[-1].t1_ms

    def shifted(self, dt_ms: int) -> Track:
        """The same path ``dt_ms`` later (a tow following its tug)."""
        return Track(tuple(Leg(g.t0_ms + dt_ms, g.t1_ms + dt_ms, g.lat0, g.lon0, g.lat1, g.lon1, g.nav_status,
                               g.holding) for g in self.legs))

    def follow_points(self, t0_ms: int, t1_ms: int, bearing: float, offset_m: float,
                      step_ms: int = 300_000) -> list[tuple[int, float, float]]:
        """Points (t, lat, lon) ``offset_m`` away from this track along ``bearing``, every ``step_ms``."""
        times = sorted({t0_ms, t1_ms, *range(t0_ms, t1_ms, step_ms),
                        *(g.t0_ms for g in self.legs if t0_ms < g.t0_ms < t1_ms)})
        out = []
        for t in times:
            st = self.state_at(t)
            if st is not None:
                lat, lon = destination(st.lat, st.lon, bearing, offset_m)
                out.append((t, lat, lon))
        return out

    def state_at(self, ts_ms: int) -> State | None:
        """The state at ``ts_ms``, or None outside the track's time span."""
        if ts_ms < self.start_ms or ts_ms > self.end_ms:
            return None
        for leg in self.legs:
            if ts_ms <= leg.t1_ms:
                return leg.state_at(ts_ms)
        return self.legs[-1].state_at(ts_ms)


class TrackBuilder:
    """Fluent builder: ``TrackBuilder(t, lat, lon).sail_to(lat2, lon2, 12).hold(3600).build()``."""

    def __init__(self, t_ms: int, lat: float, lon: float) -> None:
        self.t_ms, self.lat, self.lon = t_ms, lat, lon
        self._legs: list[Leg] = []

    def sail_to(self, lat: float, lon: float, sog_kn: float, nav_status: int = NAV_UNDERWAY) -> Self:
        dist = distance_m(self.lat, self.lon, lat, lon)
        dur_ms = max(1000, round(dist / (sog_kn * KN_TO_MPS) * 1000))
        self._legs.append(Leg(self.t_ms, self.t_ms + dur_ms, self.lat, self.lon, lat, lon, nav_status, False))
        self.t_ms, self.lat, self.lon = self.t_ms + dur_ms, lat, lon
        return self

    def sail_for(self, bearing: float, sog_kn: float, duration_s: float, nav_status: int = NAV_UNDERWAY) -> Self:
        lat, lon = destination(self.lat, self.lon, bearing, sog_kn * KN_TO_MPS * duration_s)
        return self.sail_to(lat, lon, sog_kn, nav_status)

    def reach(self, lat: float, lon: float, t_ms: int, nav_status: int = NAV_UNDERWAY) -> Self:
        """Sail to (lat, lon) arriving exactly at ``t_ms`` (speed follows)."""
        if t_ms <= self.t_ms:
            raise ValueError("reach: arrival before departure")
        self._legs.append(Leg(self.t_ms, t_ms, self.lat, self.lon, lat, lon, nav_status, False))
        self.t_ms, self.lat, self.lon = t_ms, lat, lon
        return self

    def hold(self, duration_s: float, nav_status: int = NAV_ANCHORED) -> Self:
        dur_ms = round(duration_s * 1000)
        self._legs.append(Leg(self.t_ms, self.t_ms + dur_ms, self.lat, self.lon, self.lat, self.lon,
                              nav_status, True))
        self.t_ms += dur_ms
        return self

    def build(self) -> Track:
        if not self._legs:
            raise ValueError("a track needs at least one leg")
        return Track(tuple(self._legs))
