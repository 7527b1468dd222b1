"""Reception coverage: which vessels were heard, when, in coarse cells — what reception an area had.

A silence only says something where the area had reception: other vessels near where the silent vessel
was (its last position, dead-reckoned or interpolated along the gap) kept being received. Cells are 0.2°
(about 22 km north-south); time is bucketed (``dark_coverage_bucket_s``, 10 min). A bucket is a reception
*opportunity* for a vessel when another vessel was heard near its expected position then:

* within terrestrial range of a coast (``dark_offshore_min_m``, ~40 nm: shore receivers), in the cells
  within ``dark_coverage_radius_m`` (40 km) — continuous shore reception makes every bucket one;
* beyond it (the satellite regime), in the cells within ``dark_coverage_radius_offshore_m`` (60 km) that
  are themselves beyond terrestrial range — only satellite passes make opportunities there, so the
  buckets with one follow the passes' revisit pattern, and a vessel heard by a shore station near the
  coast says nothing of what a satellite heard offshore.

Consecutive buckets with reception are one opportunity per two buckets (``episodes``): a satellite pass
(8–14 min) straddles two buckets, and its receptions are not independent; continuous shore reception
gives one opportunity every 20 min.

Each bucket keeps at most a few MMSIs (enough to tell "someone other than the silent vessel was heard"):
the smallest ones, so the content of a bucket does not depend on the order vessels were heard in —
summaries from other engines (``add``, the streaming detector's coverage exchange) merge by set union into
exactly what one engine that heard everything would hold. Cell columns wrap around the antimeridian.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from geo.coast import TERRESTRIAL_RANGE_M, CoastDistance
from geo.geodesy import METRES_PER_DEG_LAT, haversine_m

__all__ = ["COVERAGE_GRID_DEG", "EPISODE_BUCKETS", "MAX_PER_BUCKET", "CoverageFigure", "CoverageGrid", "cell_of",
           "episodes"]

COVERAGE_GRID_DEG = 0.2
MAX_PER_BUCKET = 6
_COLUMNS = round(360 / COVERAGE_GRID_DEG)
_DISC_CACHE_MAX = 20_000


def cell_of(lon: float, lat: float) -> tuple[int, int]:
    """The coverage cell of a point (0.2° floor indices; columns wrap at the antimeridian)."""
    return math.floor(lon / COVERAGE_GRID_DEG) % _COLUMNS, math.floor(lat / COVERAGE_GRID_DEG)


EPISODE_BUCKETS = 2  # consecutive buckets with reception count as one opportunity per this many


def episodes(run_buckets: int) -> int:
    """Opportunities in a run of consecutive buckets with reception: one per ``EPISODE_BUCKETS`` started
    (a satellite pass of 8–14 min straddles two 10-min buckets: one opportunity, not two)."""
    return -(-run_buckets // EPISODE_BUCKETS)


@dataclass(frozen=True, slots=True)
class CoverageFigure:
    buckets_total: int
    buckets_heard: int  # buckets in which others were heard near the expected position
    other_vessels: int
    offshore_buckets: int = 0  # buckets whose expected position was beyond terrestrial range
    opportunities: int = 0  # reception opportunities: runs of heard buckets, one per EPISODE_BUCKETS
    first_bucket_ms: int = 0  # start of the first bucket looked at
    heard_mask: int = 0  # bit i set: others were heard in bucket i (evidence: the silence against its neighbours)

    @property
    def fraction(self) -> float:
        return self.buckets_heard / self.buckets_total if self.buckets_total else 0.0


class CoverageGrid:
    __slots__ = ("_cells", "_discs", "bucket_ms", "coast", "offshore_min_m")

    def __init__(self, bucket_s: float = 600.0, coast: CoastDistance | None = None,
                 offshore_min_m: float = TERRESTRIAL_RANGE_M) -> None:
        self.bucket_ms = int(bucket_s * 1000)
        self._cells: dict[tuple[int, int], dict[int, set[int]]] = {}
        self.coast = coast
        self.offshore_min_m = offshore_min_m
        self._discs: dict[tuple[int, int, int, bool], tuple[tuple[int, int], ...]] = {}

    def __getstate__(self) -> dict[str, object]:
        return {"cells": self._cells, "bucket_ms": self.bucket_ms, "offshore_min_m": self.offshore_min_m}

    def __setstate__(self, state: dict[str, object]) -> None:
        self._cells = state["cells"]  # type: ignore[assignment]
        self.bucket_ms = state["bucket_ms"]  # type: ignore[assignment]
        self.offshore_min_m = state["offshore_min_m"]  # type: ignore[assignment]
        self.coast = None  # geography is not state: the engine gives it back (``Engine.restore``)
        self._discs = {}

    def offshore(self, lon: float, lat: float) -> bool:
        """Beyond terrestrial range (the satellite regime); without a coastline everything is coastal."""
        return self.coast is not None and self.coast.offshore(lon, lat, self.offshore_min_m)

    def _disc(self, cx: int, cy: int, radius_m: float, offshore_only: bool) -> tuple[tuple[int, int], ...]:
        """The cells whose centre lies within ``radius_m`` (+ half a cell) of cell (cx, cy)'s centre;
        ``offshore_only``: only those beyond terrestrial range."""
        key = (cx, cy, int(radius_m), offshore_only)
        disc = self._discs.get(key)
        if disc is not None:
            return disc
        lat0 = (cy + 0.5) * COVERAGE_GRID_DEG
        lon0 = (cx + 0.5) * COVERAGE_GRID_DEG
        ny = max(1, math.ceil(radius_m / (COVERAGE_GRID_DEG * METRES_PER_DEG_LAT)))
        shrink = max(0.05, math.cos(math.radians(min(89.0, abs(lat0)))))
        nx = min(_COLUMNS // 2, max(1, math.ceil(radius_m / (COVERAGE_GRID_DEG * METRES_PER_DEG_LAT * shrink))))
        reach = radius_m + COVERAGE_GRID_DEG * METRES_PER_DEG_LAT
        cells: list[tuple[int, int]] = []
        for dx in range(-nx, nx + 1):
            for dy in range(-ny, ny + 1):
                x, y = (cx + dx) % _COLUMNS, cy + dy
                clon, clat = (x + 0.5) * COVERAGE_GRID_DEG, (y + 0.5) * COVERAGE_GRID_DEG
                if (dx or dy) and haversine_m(lon0, lat0, clon, clat) > reach:
                    continue
                if offshore_only and self.coast is not None and \
                        self.coast.cell_distance_m(x, y, COVERAGE_GRID_DEG) < self.offshore_min_m:
                    continue
                cells.append((x, y))
        disc = tuple(cells)
        if len(self._discs) >= _DISC_CACHE_MAX:
            self._discs.clear()
        self._discs[key] = disc
        return disc

    def key_of(self, ts_ms: int, lon: float, lat: float) -> int:
        """One int per (cell, bucket): callers skip ``heard`` while it does not change."""
        cell_x = int((lon + 180.0) / COVERAGE_GRID_DEG)
        return ((ts_ms // self.bucket_ms) * 4096 + cell_x) * 1024 + int((lat + 90.0) / COVERAGE_GRID_DEG)

    def heard(self, mmsi: int, ts_ms: int, lon: float, lat: float) -> None:
        self.add(cell_of(lon, lat), ts_ms // self.bucket_ms, (mmsi,))

    def add(self, cell: tuple[int, int], bucket: int, mmsis: Iterable[int]) -> None:
        """Merge MMSIs heard in ``cell`` during time bucket ``bucket`` (idempotent, order-independent: a bucket
        keeps the ``MAX_PER_BUCKET`` smallest MMSIs ever added)."""
        buckets = self._cells.get(cell)
        if buckets is None:
            buckets = self._cells[cell] = {}
        s = buckets.get(bucket)
        if s is None:
            s = buckets[bucket] = set()
        for mmsi in mmsis:
            if len(s) < MAX_PER_BUCKET:
                s.add(mmsi)
            elif mmsi not in s:
                top = max(s)
                if mmsi < top:
                    s.discard(top)
                    s.add(mmsi)

    def figure(self, mmsi: int, where: Callable[[int], tuple[float, float]], from_ms: int,
               to_ms: int, radius_m: float = 30_000.0, radius_offshore_m: float | None = None) -> CoverageFigure:
        """Reception opportunities over the whole buckets strictly inside (from_ms, to_ms]: each bucket looked
        at around ``where(bucket mid-time)`` (the vessel's expected position then), within ``radius_m``, or,
        beyond terrestrial range, within ``radius_offshore_m`` among offshore cells only."""
        b0 = from_ms // self.bucket_ms + 1
        b1 = to_ms // self.bucket_ms  # the bucket in progress at to_ms is partial: excluded
        total = max(0, b1 - b0)
        if total == 0:
            return CoverageFigure(0, 0, 0)
        heard = offshore_n = opportunities = run = mask = 0
        others: set[int] = set()
        cells = self._cells
        for b in range(b0, b1):
            lon, lat = where(b * self.bucket_ms + self.bucket_ms // 2)
            cx, cy = cell_of(lon, lat)
            off = radius_offshore_m is not None and self.offshore(lon, lat)
            offshore_n += off
            disc = self._disc(cx, cy, radius_offshore_m if off else radius_m, off)  # type: ignore[arg-type]
            got = False
            for c in disc:
                buckets = cells.get(c)
                if buckets is None:
                    continue
                s = buckets.get(b)
                if s and (len(s) > 1 or mmsi not in s):
                    got = True
                    others.update(s)
            heard += got
            if got:
                mask |= 1 << (b - b0)
                run += 1
            elif run:
                opportunities += episodes(run)
                run = 0
        opportunities += episodes(run)
        others.discard(mmsi)
        return CoverageFigure(total, heard, len(others), offshore_n, opportunities, b0 * self.bucket_ms, mask)

    def prune(self, before_ms: int) -> None:
        cut = before_ms // self.bucket_ms
        for key in list(self._cells):
            buckets = self._cells[key]
            for b in [b for b in buckets if b < cut]:
                del buckets[b]
            if not buckets:
                del self._cells[key]
