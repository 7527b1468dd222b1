"""Anchorages inferred from where many vessels sit still.

Stationary fixes (SOG ≤ ``max_sog_kn``) are binned in a grid (``cell_deg``, default 0.01° ≈ 1 km). A cell
qualifies when its 3 × 3 block holds ≥ ``min_vessels`` distinct stationary vessels (so an anchorage on a
cell border is not split). Connected qualifying cells form one anchorage: centred on the mean stationary
position, radius reaching its farthest vessel plus ``margin_m``. Run it over a recording (or a day of
traffic) and add the result to the curated ports with ``PortIndex.with_extra``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from geo.geodesy import haversine_m
from geo.ports import Port

__all__ = ["infer_anchorages"]

Cell = tuple[int, int]


def _block(cells: dict[Cell, dict[int, tuple[float, float]]], key: Cell) -> dict[int, tuple[float, float]]:
    out: dict[int, tuple[float, float]] = {}
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            for m, p in cells.get((key[0] + dx, key[1] + dy), {}).items():
                out.setdefault(m, p)
    return out


def infer_anchorages(fixes: Iterable[tuple[int, float, float, float | None]], *, cell_deg: float = 0.01,
                     min_vessels: int = 5, max_sog_kn: float = 0.5, margin_m: float = 500.0) -> list[Port]:
    """``fixes`` are ``(mmsi, lon, lat, sog_kn)``. Returns inferred anchorages sorted by position."""
    cells: dict[Cell, dict[int, tuple[float, float]]] = {}
    for mmsi, lon, lat, sog in fixes:
        if sog is None or sog > max_sog_kn:
            continue
        key = (math.floor(lon / cell_deg), math.floor(lat / cell_deg))
        cells.setdefault(key, {}).setdefault(mmsi, (lon, lat))
    qualifying = {k for k in cells if len(_block(cells, k)) >= min_vessels}
    out: list[Port] = []
    seen: set[Cell] = set()
    for start in sorted(qualifying):
        if start in seen:
            continue
        group, todo = [], [start]
        seen.add(start)
        while todo:
            k = todo.pop()
            group.append(k)
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    n = (k[0] + dx, k[1] + dy)
                    if n in qualifying and n not in seen:
                        seen.add(n)
                        todo.append(n)
        vessels: dict[int, tuple[float, float]] = {}
        for k in sorted(group):
            for m, p in cells[k].items():
                vessels.setdefault(m, p)
        lon = sum(p[0] for p in vessels.values()) / len(vessels)
        lat = sum(p[1] for p in vessels.values()) / len(vessels)
        reach = max(haversine_m(lon, lat, x, y) for x, y in vessels.values())
        out.append(Port(f"inferred anchorage {lat:.3f},{lon:.3f} ({len(vessels)} vessels)",
                        "inferred_anchorage", round(lon, 5), round(lat, 5), reach + margin_m))
    return sorted(out, key=lambda p: (p.lat, p.lon))
