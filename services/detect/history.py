"""A vessel's recent track, compressed: where AIS says it was at any instant of the last hours.

Satellite products reach an operations centre 30 min to several hours after acquisition, so a detection at
time t is judged from the tracks as they were at t, not from the vessels' current state. Every accepted fix
goes through ``add``; it is **kept** when

* it lies more than ``TOLERANCE_M`` (150 m) from where the last kept fix, dead-reckoned with its SOG and
  COG (held still when either is unknown), puts the vessel at that time, or
* ``MAX_STEP_S`` (10 min) or more have passed since the last kept fix (this also keeps the first fix after
  every silence of 10 min or more).

A dropped fix therefore lies within 150 m of the dead reckoning of the kept fix before it: interpolating
between kept fixes, or dead-reckoning from one, reproduces the track to a few hundred metres at most, well
inside the satellite matching radii (1–5 km). The decision depends only on earlier fixes, so the kept
sequence up to any time is the same whenever it is read: a scene judged 6 h late sees exactly what it would
have seen on time (``before``/``after`` take an ``as_of`` bound).

Kept fixes older than the horizon are dropped by ``prune``, except the newest of them (the *anchor*: the
position before the horizon, for vessels silent since). A straight-sailing ship keeps 6 fixes an hour
(~40 over the 6 h 20 min horizon, 24 bytes each); a manoeuvring or drifting one more, at most ``MAX_FIXES``.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, bisect_right
from typing import NamedTuple

from geo.geodesy import METRES_PER_DEG_LAT, MPS_PER_KN

__all__ = ["MAX_FIXES", "MAX_STEP_S", "TOLERANCE_M", "Kept", "TrackHistory"]

TOLERANCE_M = 150.0
MAX_STEP_S = 600.0
MAX_FIXES = 1500  # ~4 per minute over the horizon: beyond it, the oldest are dropped (counted)
_MAX_STEP_MS = int(MAX_STEP_S * 1000)
_RAD = math.pi / 180.0
_DEG_PER_M = 1.0 / METRES_PER_DEG_LAT
_TOL_DEG2 = (TOLERANCE_M * _DEG_PER_M) ** 2  # the tolerance, squared, in degrees of latitude


class Kept(NamedTuple):
    """One kept fix. ``sog_kn``/``cog_deg`` are −1 when unknown."""

    ts_ms: int
    lon: float
    lat: float
    sog_kn: float
    cog_deg: float


class TrackHistory:
    """Kept fixes of one vessel, oldest first (``ts`` in ms; ``v``: lon, lat, sog, cog per fix)."""

    __slots__ = ("_k", "ts", "v")

    def __init__(self) -> None:
        self.ts: array[int] = array("q")
        self.v: array[float] = array("f")
        # dead reckoning of the last kept fix: its time, position, velocity in degrees per ms and the cosine
        # of its latitude (None before the first fix)
        self._k: tuple[int, float, float, float, float, float] | None = None

    def __getstate__(self) -> tuple[object, ...]:
        return (self.ts, self.v, self._k)

    def __setstate__(self, state: tuple[object, ...]) -> None:
        self.ts, self.v, self._k = state  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self.ts)

    def add(self, ts_ms: int, lon: float, lat: float, sog_kn: float, cog_deg: float) -> bool:
        """Offer an accepted fix (in time order); returns True when it was kept."""
        k = self._k
        if k is not None:
            kt, kx, ky, vx, vy, kc = k
            dt = ts_ms - kt
            if dt < _MAX_STEP_MS:
                dx = lon - kx - vx * dt
                if dx > 180.0:
                    dx -= 360.0
                elif dx < -180.0:
                    dx += 360.0
                dx *= kc
                dy = lat - ky - vy * dt
                if dx * dx + dy * dy <= _TOL_DEG2:
                    return False
        coslat = math.cos(lat * _RAD)
        if sog_kn > 0.0 and cog_deg >= 0.0:
            speed_deg_ms = sog_kn * MPS_PER_KN * _DEG_PER_M / 1000.0
            vy = speed_deg_ms * math.cos(cog_deg * _RAD)
            vx = speed_deg_ms * math.sin(cog_deg * _RAD) / max(0.01, coslat)
        elif sog_kn < 0.0 and k is not None and 0 < ts_ms - k[0] < _MAX_STEP_MS:  # no SOG: velocity since the last
            dt = ts_ms - k[0]
            vx = ((lon - k[1] + 540.0) % 360.0 - 180.0) / dt
            vy = (lat - k[2]) / dt
        else:
            vx = vy = 0.0
        self._k = (ts_ms, lon, lat, vx, vy, coslat)
        ts = self.ts
        ts.append(ts_ms)
        self.v.extend((lon, lat, sog_kn, cog_deg))
        if len(ts) > MAX_FIXES:
            self._drop(len(ts) - MAX_FIXES)
        return True

    def _drop(self, n: int) -> None:
        del self.ts[:n]
        del self.v[: 4 * n]

    def prune(self, before_ms: int) -> None:
        """Forget kept fixes before ``before_ms`` but the newest of them (the anchor)."""
        k = bisect_left(self.ts, before_ms) - 1
        if k > 0:
            self._drop(k)

    def at(self, i: int) -> Kept:
        v = self.v
        j = 4 * i
        return Kept(self.ts[i], v[j], v[j + 1], v[j + 2], v[j + 3])

    def before(self, t_ms: int) -> Kept | None:
        """The last kept fix at or before ``t_ms``."""
        i = bisect_right(self.ts, t_ms) - 1
        return None if i < 0 else self.at(i)

    def after(self, t_ms: int, as_of_ms: int) -> Kept | None:
        """The first kept fix after ``t_ms`` and before ``as_of_ms`` (what was known at ``as_of_ms``)."""
        i = bisect_right(self.ts, t_ms)
        if i >= len(self.ts) or self.ts[i] >= as_of_ms:
            return None
        return self.at(i)

    def spell_start(self, t_ms: int, max_speed_kn: float, max_gap_ms: int) -> int:
        """Start of the slow spell that contains the last kept fix at or before ``t_ms``: going back while
        each fix (and the displacement between consecutive fixes, however far apart in time, up to
        ``max_gap_ms``) shows at most ``max_speed_kn``. −1 when that fix is not slow."""
        i = bisect_right(self.ts, t_ms) - 1
        if i < 0:
            return -1
        v, ts = self.v, self.ts
        if v[4 * i + 2] > max_speed_kn:
            return -1
        while i > 0:
            j = 4 * (i - 1)
            if v[j + 2] > max_speed_kn:
                break
            dt_ms = ts[i] - ts[i - 1]
            if dt_ms > max_gap_ms:
                break
            dx = (v[4 * i] - v[j] + 540.0) % 360.0 - 180.0
            dy = v[4 * i + 1] - v[j + 1]
            dist_m = math.hypot(dx * math.cos(v[j + 1] * _RAD), dy) * METRES_PER_DEG_LAT
            if dt_ms > 0 and dist_m / (dt_ms / 1000.0) / MPS_PER_KN > max_speed_kn:
                break
            i -= 1
        return ts[i]

    def between(self, t0_ms: int, t1_ms: int, limit: int = 40) -> list[Kept]:
        """Kept fixes in [t0, t1] (evidence tracks), thinned evenly to at most ``limit``."""
        i, j = bisect_left(self.ts, t0_ms), bisect_right(self.ts, t1_ms)
        idx = list(range(i, j))
        if len(idx) > limit:
            step = len(idx) / limit
            idx = [idx[int(k * step)] for k in range(limit - 1)] + [idx[-1]]
        return [self.at(k) for k in idx]
