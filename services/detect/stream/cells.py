"""Spatial partitioning of the rendezvous stage (stage 2), and the key partitioner stage 1 shares with Kafka.

The world is cut into ``PARTITION_CELL_DEG`` × ``PARTITION_CELL_DEG`` cells (0.5° ≈ 55 km north–south), each
mapped to a partition of ``detect.positions-by-cell``. Stage 1 sends every rendezvous candidate fix to its own
cell's partition and to those of the neighbour cells whose border lies within ``margin_m`` (5 km), so a
partition's engine sees every vessel near its cells. Two partitions may then see the same pair: exactly one
keeps it — the one whose cell holds the pair's centroid (``CellUnit`` sets the engine's owner; the centroid is
taken on the rendezvous detector's own 0.02° grid, ``rendezvous.RENDEZVOUS_GRID_DEG``).
``key_partition`` (``msa.contracts.partitioning``) is Kafka's default partitioner (murmur2 of the key), so the
units place records exactly where the ingest publisher's producer put them, without a Kafka client.
"""

from __future__ import annotations

import math

from geo.geodesy import METRES_PER_DEG_LAT
from msa.contracts.partitioning import key_partition

__all__ = [
    "DEFAULT_MARGIN_M",
    "PARTITION_CELL_DEG",
    "cell_id",
    "cell_partition",
    "cells_near",
    "key_partition",
    "partitions_near",
]

PARTITION_CELL_DEG = 0.5
DEFAULT_MARGIN_M = 5000.0
_MIN_COS = 0.01  # poles: never divide by ~0


def _index(lon: float, lat: float, cell_deg: float) -> tuple[int, int]:
    ix = math.floor((lon + 180.0) / cell_deg)
    iy = math.floor((lat + 90.0) / cell_deg)
    return ix, iy


def _name(ix: int, iy: int, cell_deg: float) -> str:
    n_lon = round(360.0 / cell_deg)
    return f"c{ix % n_lon}:{iy}"


def cell_id(lon: float, lat: float, cell_deg: float = PARTITION_CELL_DEG) -> str:
    """The cell containing (lon, lat): ``c<lon index>:<lat index>``; longitude wraps at the antimeridian."""
    return _name(*_index(lon, lat, cell_deg), cell_deg)


def _near(lon: float, lat: float, margin_m: float, cell_deg: float) -> tuple[int, int, int, int]:
    """The fix's cell (ix, iy) and which neighbours' borders are within the margin: (dx bits, dy bits),
    bit 1 = the lower neighbour, bit 2 = the upper one."""
    ix, iy = _index(lon, lat, cell_deg)
    margin_lat_deg = margin_m / METRES_PER_DEG_LAT
    margin_lon_deg = margin_m / (METRES_PER_DEG_LAT * max(math.cos(math.radians(lat)), _MIN_COS))
    x0 = -180.0 + ix * cell_deg
    y0 = -90.0 + iy * cell_deg
    bx = (1 if lon - x0 < margin_lon_deg else 0) | (2 if x0 + cell_deg - lon < margin_lon_deg else 0)
    by = ((1 if lat - y0 < margin_lat_deg and iy > 0 else 0)
          | (2 if y0 + cell_deg - lat < margin_lat_deg and (iy + 1) * cell_deg < 180.0 else 0))
    return ix, iy, bx, by


def _steps(bits: int) -> list[int]:
    return [0, *([-1] if bits & 1 else []), *([1] if bits & 2 else [])]


def _cells(ix: int, iy: int, bx: int, by: int, cell_deg: float) -> list[str]:
    own = _name(ix, iy, cell_deg)
    others = {_name(ix + dx, iy + dy, cell_deg) for dx in _steps(bx) for dy in _steps(by)} - {own}
    return [own, *sorted(others)]


def cells_near(lon: float, lat: float, margin_m: float = DEFAULT_MARGIN_M,
               cell_deg: float = PARTITION_CELL_DEG) -> list[str]:
    """The fix's own cell first, then the neighbour cells (sorted) whose border is within ``margin_m``."""
    return _cells(*_near(lon, lat, margin_m, cell_deg), cell_deg)


def cell_partition(cell: str, n_partitions: int) -> int:
    """Partition of a cell key."""
    return key_partition(cell, n_partitions)


_NEAR_CACHE: dict[tuple[int, int, int, int, int, float], dict[int, str]] = {}
_NEAR_CACHE_MAX = 1 << 16


def partitions_near(lon: float, lat: float, n_partitions: int, margin_m: float = DEFAULT_MARGIN_M,
                    cell_deg: float = PARTITION_CELL_DEG) -> dict[int, str]:
    """Partition → the first cell (own cell first) mapping to it: a fix is sent once per partition.
    The result is shared (cached per cell and neighbourhood): do not modify it."""
    ix, iy, bx, by = _near(lon, lat, margin_m, cell_deg)
    key = (ix, iy, bx, by, n_partitions, cell_deg)
    out = _NEAR_CACHE.get(key)
    if out is None:
        out = {}
        for cell in _cells(ix, iy, bx, by, cell_deg):
            out.setdefault(cell_partition(cell, n_partitions), cell)
        if len(_NEAR_CACHE) >= _NEAR_CACHE_MAX:
            _NEAR_CACHE.clear()
        _NEAR_CACHE[key] = out
    return out
