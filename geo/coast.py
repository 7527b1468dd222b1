"""Distance to the nearest coastline, from the GSHHG shoreline database.

The grid is the one the PyPI package ``landmetrics`` ships inside its wheel (``distance_to_land_0.1deg_gt0km2``:
great-circle km from each 0.1° cell centre to the nearest GSHHG full-resolution level-1 coastline, every
island included, negative over land; data CC BY 4.0 derived from GSHHG, LGPL). It is read once, at first
use, into a flat int16 table (13 MB); nothing is ever downloaded (landmetrics' own Zenodo fetch is not used).

Lookups interpolate bilinearly between the four surrounding cell centres, so a distance is within a few
hundred metres of the grid's own precision (its cells are ~11 km); good enough for "beyond the ~40 nm
that shore receivers hear" (the satellite regime) and "closing on the coast by 5 km" (go-fast sprints).
Longitudes wrap around the antimeridian.
"""

from __future__ import annotations

import importlib.util
import math
from functools import lru_cache
from pathlib import Path

__all__ = ["TERRESTRIAL_RANGE_M", "CoastDistance", "CoastFileError", "load_coast"]

TERRESTRIAL_RANGE_M = 74_000.0  # ~40 nm: what a shore AIS receiver hears; beyond it only satellites do
_GRID_FILE = "distance_to_land_0.1deg_gt0km2.nc"
_STEP_DEG = 0.1
_NX = 3600  # lon −180 … 179.9
_NY = 1801  # lat −90 … 90


class CoastFileError(RuntimeError):
    """The coastline grid could not be read (landmetrics missing or its data file unreadable)."""


class CoastDistance:
    """Metres to the nearest coastline (negative on land) for any (lon, lat)."""

    __slots__ = ("_bounds", "_cache", "_fine", "_grid", "_scale_m")

    def __init__(self, grid: memoryview, scale_m: float) -> None:
        if len(grid) != _NX * _NY:
            raise CoastFileError(f"coastline grid has {len(grid)} cells, expected {_NX * _NY}")
        self._grid = grid
        self._scale_m = scale_m
        self._cache: dict[tuple[int, int], float] = {}
        self._fine: dict[tuple[int, int], float] = {}
        self._bounds: dict[int, tuple[float, float]] = {}

    def _at(self, ix: int, iy: int) -> float:
        iy = min(_NY - 1, max(0, iy))
        return self._grid[iy * _NX + ix % _NX] * self._scale_m

    def distance_m(self, lon: float, lat: float) -> float:
        """Bilinear interpolation of the grid at (lon, lat)."""
        x = (lon + 180.0) / _STEP_DEG
        y = (lat + 90.0) / _STEP_DEG
        ix, iy = math.floor(x), math.floor(y)
        fx, fy = x - ix, y - iy
        d00, d10 = self._at(ix, iy), self._at(ix + 1, iy)
        d01, d11 = self._at(ix, iy + 1), self._at(ix + 1, iy + 1)
        return (d00 * (1 - fx) + d10 * fx) * (1 - fy) + (d01 * (1 - fx) + d11 * fx) * fy

    def cell_distance_m(self, cell_x: int, cell_y: int, cell_deg: float) -> float:
        """Distance at the centre of a grid cell of another grid (cached: called per coverage cell)."""
        key = (cell_x, cell_y)
        d = self._cache.get(key)
        if d is None:
            if len(self._cache) > 1 << 20:
                self._cache.clear()
            d = self._cache[key] = self.distance_m((cell_x + 0.5) * cell_deg, (cell_y + 0.5) * cell_deg)
        return d

    def near_shore(self, lon: float, lat: float, within_m: float) -> bool:
        """Closer than ``within_m`` to a coast, judged at the centre of the point's 0.01° cell (~1 km; cached:
        called for every stopped vessel's fix)."""
        key = (math.floor(lon * 100.0), math.floor(lat * 100.0))
        d = self._fine.get(key)
        if d is None:
            if len(self._fine) > 1 << 20:
                self._fine.clear()
            d = self._fine[key] = self.distance_m((key[0] + 0.5) / 100.0, (key[1] + 0.5) / 100.0)
        return d < within_m

    def offshore(self, lon: float, lat: float, min_m: float = TERRESTRIAL_RANGE_M) -> bool:
        """``distance_m(lon, lat) >= min_m``: beyond ``min_m`` from every coast (out of shore receivers' range
        by default). Called for many fixes, so it is answered from the grid cell's corner values when they
        decide it (an interpolation lies between its corners), and interpolated only near ``min_m``."""
        x = (lon + 180.0) / _STEP_DEG
        y = (lat + 90.0) / _STEP_DEG
        ix, iy = math.floor(x), math.floor(y)
        key = (ix % _NX) * _NY + iy
        b = self._bounds.get(key)
        if b is None:
            corners = (self._at(ix, iy), self._at(ix + 1, iy), self._at(ix, iy + 1), self._at(ix + 1, iy + 1))
            if len(self._bounds) > 1 << 20:
                self._bounds.clear()
            b = self._bounds[key] = (min(corners), max(corners))
        if b[0] > min_m + 1.0:
            return True
        if b[1] < min_m - 1.0:
            return False
        return self.distance_m(lon, lat) >= min_m


def _grid_path() -> Path:
    spec = importlib.util.find_spec("landmetrics")  # located, not imported
    if spec is None or not spec.submodule_search_locations:
        raise CoastFileError("the Python package 'landmetrics' is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / _GRID_FILE


@lru_cache(maxsize=2)
def load_coast(path: str | None = None) -> CoastDistance:
    """The coastline distance grid (read once per process; ``path`` for another file of the same layout)."""
    p = Path(path) if path is not None else _grid_path()
    try:
        import netCDF4  # heavy (HDF5): only when the grid is first needed

        with netCDF4.Dataset(p) as ds:
            var = ds.variables["distance_to_land"]
            var.set_auto_maskandscale(False)
            scale_km = float(var.getncattr("scale_factor"))
            raw = var[:]
    except (OSError, KeyError, AttributeError) as exc:
        raise CoastFileError(f"{p}: {exc}") from exc
    if raw.shape != (_NY, _NX):
        raise CoastFileError(f"{p}: grid shape {raw.shape}, expected {(_NY, _NX)}")
    return CoastDistance(memoryview(raw.astype("<i2").tobytes()).cast("h"), scale_km * 1000.0)
