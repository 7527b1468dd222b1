"""Spatial cells for the pair detectors (rendezvous, dark vessel), and which cell owns a pair.

The world is cut into ``CELL_DEG`` × ``CELL_DEG`` cells (0.5° ≈ 55 km north–south). Every fix is sent to its
own cell and to each neighbour cell whose border lies within ``margin_m`` (5 km), so a cell's engine sees
every vessel near it. Two cells may then find the same meeting: exactly one keeps it — the cell containing
the alert's anchor point (the first coordinate of its geometry), a function of the alert's content only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from aiokafka.partitioner import murmur2

from geo.geodesy import METRES_PER_DEG_LAT
from msa.domain import Alert, JsonDict

__all__ = [
    "CELL_DEG",
    "DEFAULT_MARGIN_M",
    "anchor_point",
    "cell_id",
    "cell_partition",
    "cells_near",
    "key_partition",
    "owner_cell",
    "partitions_near",
]

CELL_DEG = 0.5
DEFAULT_MARGIN_M = 5000.0
_MIN_COS = 0.01  # poles: never divide by ~0


def _index(lon: float, lat: float, cell_deg: float) -> tuple[int, int]:
    ix = math.floor((lon + 180.0) / cell_deg)
    iy = math.floor((lat + 90.0) / cell_deg)
    return ix, iy


def _name(ix: int, iy: int, cell_deg: float) -> str:
    n_lon = round(360.0 / cell_deg)
    return f"c{ix % n_lon}:{iy}"


def cell_id(lon: float, lat: float, cell_deg: float = CELL_DEG) -> str:
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
               cell_deg: float = CELL_DEG) -> list[str]:
    """The fix's own cell first, then the neighbour cells (sorted) whose border is within ``margin_m``."""
    return _cells(*_near(lon, lat, margin_m, cell_deg), cell_deg)


def key_partition(key: str, n_partitions: int) -> int:
    """Partition of a key: the Java-compatible murmur2 partitioner, as ``producer.send(key=key)``."""
    return int(murmur2(key.encode()) & 0x7FFFFFFF) % n_partitions


def cell_partition(cell: str, n_partitions: int) -> int:
    """Partition of a cell key."""
    return key_partition(cell, n_partitions)


_NEAR_CACHE: dict[tuple[int, int, int, int, int, float], dict[int, str]] = {}
_NEAR_CACHE_MAX = 1 << 16


def partitions_near(lon: float, lat: float, n_partitions: int, margin_m: float = DEFAULT_MARGIN_M,
                    cell_deg: float = CELL_DEG) -> dict[int, str]:
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


def _first_coordinate(coords: object) -> tuple[float, float] | None:
    while isinstance(coords, Sequence) and coords and not isinstance(coords[0], int | float):
        coords = coords[0]
    if isinstance(coords, Sequence) and len(coords) >= 2:
        return float(coords[0]), float(coords[1])
    return None


def anchor_point(geometry: JsonDict) -> tuple[float, float] | None:
    """First (lon, lat) of a GeoJSON geometry (Point, LineString, Polygon, Multi*, GeometryCollection)."""
    if geometry.get("type") == "GeometryCollection":
        for g in geometry.get("geometries", []):
            p = anchor_point(g)
            if p is not None:
                return p
        return None
    return _first_coordinate(geometry.get("coordinates"))


def owner_cell(alert: Alert, cell_deg: float = CELL_DEG) -> str | None:
    """The one cell that publishes this pair alert (None when the alert has no coordinates)."""
    p = anchor_point(alert.geometry)
    return None if p is None else cell_id(p[0], p[1], cell_deg)
