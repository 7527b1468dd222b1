"""Anchorages learnt from the data: where vessels stop near the coast (ports and anchorages the port index
lacks). A meeting of two vessels stopped in such a place is no rendezvous (``rendezvous.py``).

The world is cut into ~1 km cells (``STOP_GRID_DEG``); a stopped fix (≤ 0.5 kn) within terrestrial range
counts for its cell; a fix lies in an inferred anchorage when ≥ ``rv_anchorage_min_vessels`` distinct vessels
stopped in its 3 × 3 block of cells within ``rv_anchorage_window_s``.
"""

from __future__ import annotations

import math

from geo.coast import TERRESTRIAL_RANGE_M
from services.detect.context import DetectContext

__all__ = ["STOP_GRID_DEG", "StopGrid"]

STOP_GRID_DEG = 0.01
_COLUMNS = round(360 / STOP_GRID_DEG)
_STOPPED_KN = 0.5

Cell = tuple[int, int]


def _cell(lon: float, lat: float) -> Cell:
    return (math.floor(lon / STOP_GRID_DEG) % _COLUMNS, math.floor(lat / STOP_GRID_DEG))


class StopGrid:
    __slots__ = ("_few", "ctx", "stopped")

    def __init__(self, ctx: DetectContext, stopped: dict[Cell, dict[int, int]] | None = None) -> None:
        self.ctx = ctx
        self.stopped: dict[Cell, dict[int, int]] = {} if stopped is None else stopped  # cell → vessel → last stop
        # cells whose 3 × 3 block holds fewer stopped vessels than an anchorage needs, however recent (a cache:
        # a cell leaves it when a new vessel stops in its block; not state)
        self._few: set[Cell] = set()

    def in_anchorage(self, mmsi: int, ts: int, lon: float, lat: float, speed: float) -> bool:
        """Learn where vessels stop (a stopped fix near the coast counts for its cell) and say whether this fix
        lies in an inferred anchorage: ≥ ``rv_anchorage_min_vessels`` distinct vessels stopped in its 3 × 3
        block of ~1 km cells within ``rv_anchorage_window_s``."""
        here = _cell(lon, lat)
        cx, cy = here
        stopped = self.stopped
        few = self._few
        if speed <= _STOPPED_KN:
            if self.ctx.coast.offshore(lon, lat, TERRESTRIAL_RANGE_M):
                return False
            cell = stopped.get(here)
            if cell is None:
                cell = stopped[here] = {}
            if mmsi not in cell:  # one more vessel in the blocks around: their counts must be made again
                for dx in (-1, 0, 1):
                    for dy in (-1, 0, 1):
                        few.discard(((cx + dx) % _COLUMNS, cy + dy))
            cell[mmsi] = ts
        if here in few:
            return False
        p = self.ctx.params.for_zone(None)
        cells: list[dict[int, int]] = []
        total = 0
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                cell = stopped.get(((cx + dx) % _COLUMNS, cy + dy))
                if cell:
                    cells.append(cell)
                    total += len(cell)
        if total < p.rv_anchorage_min_vessels:  # too few ever stopped here, however recent
            few.add(here)
            return False
        horizon = ts - int(p.rv_anchorage_window_s * 1000)
        seen: set[int] = set()
        for cell in cells:
            seen.update(m for m, t in cell.items() if t >= horizon)
        return len(seen) >= p.rv_anchorage_min_vessels

    def prune(self, now: int) -> None:
        """Forget stops older than the anchorage window (they no longer count: ``in_anchorage``)."""
        horizon = now - int(self.ctx.params.for_zone(None).rv_anchorage_window_s * 1000)
        self._few.clear()  # a cache: made again as needed
        for key in [k for k, cell in self.stopped.items() if min(cell.values()) < horizon]:
            cell = {m: t for m, t in self.stopped[key].items() if t >= horizon}
            if cell:
                self.stopped[key] = cell
            else:
                del self.stopped[key]
