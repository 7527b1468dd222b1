"""Reception coverage: which vessels were heard, when, in coarse cells.

A dark period is only intentional-looking where coverage is good: other vessels near where the silent
vessel was (its last position, dead-reckoned or interpolated along the gap) kept being received. Cells
are 0.2° (about 22 km north-south); each time bucket looks at the cells within ``dark_coverage_radius_m``
(40 km) of the expected position of that bucket (cell granularity: up to one cell more). Time is bucketed
(``dark_coverage_bucket_s``, 10 min); each bucket keeps at most a few MMSIs (enough to tell "someone
other than the silent vessel was heard"): the smallest ones, so the content of a bucket does not depend on
the order vessels were heard in — summaries from other engines (``add``, the streaming detector's coverage
exchange) merge by set union into exactly what one engine that heard everything would hold.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from geo.geodesy import METRES_PER_DEG_LAT

__all__ = ["CELL_DEG", "MAX_PER_BUCKET", "CoverageFigure", "CoverageGrid", "cell_of"]

CELL_DEG = 0.2
MAX_PER_BUCKET = 6
_CELL_DEG = CELL_DEG


def cell_of(lon: float, lat: float) -> tuple[int, int]:
    """The coverage cell of a point (0.2° floor indices)."""
    return math.floor(lon / _CELL_DEG), math.floor(lat / _CELL_DEG)


@dataclass(frozen=True, slots=True)
class CoverageFigure:
    buckets_total: int
    buckets_heard: int
    other_vessels: int

    @property
    def fraction(self) -> float:
        return self.buckets_heard / self.buckets_total if self.buckets_total else 0.0


class CoverageGrid:
    __slots__ = ("_cells", "bucket_ms")

    def __init__(self, bucket_s: float = 600.0) -> None:
        self.bucket_ms = int(bucket_s * 1000)
        self._cells: dict[tuple[int, int], dict[int, set[int]]] = {}

    def key_of(self, ts_ms: int, lon: float, lat: float) -> int:
        """One int per (cell, bucket): callers skip ``heard`` while it does not change."""
        cell_x = int((lon + 180.0) / _CELL_DEG)
        return ((ts_ms // self.bucket_ms) * 4096 + cell_x) * 1024 + int((lat + 90.0) / _CELL_DEG)

    def heard(self, mmsi: int, ts_ms: int, lon: float, lat: float) -> None:
        self.add((math.floor(lon / _CELL_DEG), math.floor(lat / _CELL_DEG)), ts_ms // self.bucket_ms, (mmsi,))

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
               to_ms: int, radius_m: float = 30_000.0) -> CoverageFigure:
        """Coverage over the whole buckets strictly inside (from_ms, to_ms], each bucket looked at in the
        cells within ``radius_m`` of ``where(bucket mid-time)`` (the vessel's expected position then)."""
        b0 = from_ms // self.bucket_ms + 1
        b1 = to_ms // self.bucket_ms  # the bucket in progress at to_ms is partial: excluded
        total = max(0, b1 - b0)
        if total == 0:
            return CoverageFigure(0, 0, 0)
        heard = 0
        others: set[int] = set()
        for b in range(b0, b1):
            lon, lat = where(b * self.bucket_ms + self.bucket_ms // 2)
            cx, cy = math.floor(lon / _CELL_DEG), math.floor(lat / _CELL_DEG)
            ny = max(1, math.ceil(radius_m / (_CELL_DEG * METRES_PER_DEG_LAT)))
            nx = max(1, math.ceil(radius_m / (_CELL_DEG * METRES_PER_DEG_LAT * max(0.1, math.cos(math.radians(lat))))))
            got = False
            for dx in range(-nx, nx + 1):
                for dy in range(-ny, ny + 1):
                    s = self._cells.get((cx + dx, cy + dy), {}).get(b)
                    if s and (len(s) > 1 or mmsi not in s):
                        got = True
                        others.update(s)
            heard += got
        others.discard(mmsi)
        return CoverageFigure(total, heard, len(others))

    def prune(self, before_ms: int) -> None:
        cut = before_ms // self.bucket_ms
        for key in list(self._cells):
            buckets = self._cells[key]
            for b in [b for b in buckets if b < cut]:
                del buckets[b]
            if not buckets:
                del self._cells[key]
