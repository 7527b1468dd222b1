"""Ports and anchorages: exclusion areas for rendezvous and dark periods (and context for alerts).

Two sources, merged: the curated file ``geo/data/ports.geojson`` (65 ports and anchorages of the MAOC-N
zones with hand-chosen radii or polygons) and the **ports of the world**: the 3,962 UN/LOCODE seaports that
the PyPI package ``searoute`` ships (``searoute/data/ports.geojson``, Apache-2.0; Upply's seaport list —
positions are UN/LOCODE coordinates, often the town, so each gets a ``WORLD_PORT_RADIUS_M`` radius). Add
anchorages inferred from the data with ``geo.anchorages``.

Each port is a point with a radius or a polygon. Lookups are per position, so ports are bucketed in a
coarse grid: a query only measures the few ports whose reach (radius + search radius) covers its cell.
Grid columns wrap around the antimeridian.
"""

from __future__ import annotations

import importlib.util
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from geo.geodesy import METRES_PER_DEG_LAT, haversine_m

__all__ = ["DEFAULT_PORTS_PATH", "WORLD_PORT_RADIUS_M", "Port", "PortFileError", "PortIndex", "load_ports",
           "load_world_ports"]

DEFAULT_PORTS_PATH = Path(__file__).resolve().parent / "data" / "ports.geojson"
WORLD_PORT_RADIUS_M = 3000.0
_CELL_DEG = 0.5
_COLUMNS = round(360 / _CELL_DEG)
_BOUND_CELL_DEG = 0.01  # ``farther_than``: distance bounds per cell of about 1 km
_BOUND_MARGIN_M = 200.0  # slack for polygon distances, which are not exactly a metric
_BOUND_CACHE_MAX = 1 << 20


class PortFileError(ValueError):
    """The ports file is not a FeatureCollection of named points (with radius_m) or polygons."""


@dataclass(frozen=True, slots=True)
class Port:
    name: str
    kind: str  # "port" | "anchorage" | "inferred_anchorage"
    lon: float
    lat: float
    radius_m: float
    polygon: BaseGeometry | None = None

    def distance_m(self, lon: float, lat: float) -> float:
        """Metres from the edge of the area (0 inside)."""
        if self.polygon is None:
            return max(0.0, haversine_m(self.lon, self.lat, lon, lat) - self.radius_m)
        if shapely.intersects_xy(self.polygon, lon, lat):
            return 0.0
        near = nearest_points(self.polygon, shapely.Point(lon, lat))[0]
        return haversine_m(near.x, near.y, lon, lat)


class PortIndex:
    """Nearest-port queries within ``search_radius_m``; beyond it the distance is ``inf``."""

    __slots__ = ("_bounds", "_grid", "ports", "search_radius_m")

    def __init__(self, ports: Iterable[Port], search_radius_m: float = 50_000.0) -> None:
        self.ports: tuple[Port, ...] = tuple(sorted(ports, key=lambda p: (p.name, p.lon, p.lat)))
        self.search_radius_m = search_radius_m
        self._grid: dict[tuple[int, int], list[Port]] = {}
        self._bounds: dict[tuple[int, int], tuple[float, float]] = {}
        for p in self.ports:
            reach_m = p.radius_m + search_radius_m
            dlat = reach_m / METRES_PER_DEG_LAT
            dlon = dlat / max(0.05, math.cos(math.radians(min(85.0, abs(p.lat) + dlat))))
            dlon = min(dlon, 180.0)
            columns = {cx % _COLUMNS for cx in range(math.floor((p.lon - dlon) / _CELL_DEG),
                                                     math.floor((p.lon + dlon) / _CELL_DEG) + 1)}
            for cx in sorted(columns):
                for cy in range(math.floor((p.lat - dlat) / _CELL_DEG),
                                math.floor((p.lat + dlat) / _CELL_DEG) + 1):
                    self._grid.setdefault((cx, cy), []).append(p)

    def nearest(self, lon: float, lat: float) -> tuple[Port | None, float]:
        best: Port | None = None
        best_m = math.inf
        for p in self._grid.get((math.floor(lon / _CELL_DEG) % _COLUMNS, math.floor(lat / _CELL_DEG)), ()):
            d = p.distance_m(lon, lat)
            if d < best_m:
                best, best_m = p, d
        if best_m > self.search_radius_m:
            return None, math.inf
        return best, best_m

    def distance_to_nearest_m(self, lon: float, lat: float) -> float:
        """Metres to the edge of the nearest port/anchorage (0 inside one, inf beyond the search radius)."""
        return self.nearest(lon, lat)[1]

    def farther_than(self, lon: float, lat: float, dist_m: float) -> bool:
        """``distance_to_nearest_m(lon, lat) >= dist_m``, answered from bounds of the ~1 km cell around the
        point when they decide it (most of the sea), else measured."""
        key = (math.floor(lon / _BOUND_CELL_DEG), math.floor(lat / _BOUND_CELL_DEG))
        bounds = self._bounds.get(key)
        if bounds is None:
            bounds = self._cell_bounds(key)
        low, high = bounds
        if low >= dist_m:
            return True
        if high < dist_m:
            return False
        return self.nearest(lon, lat)[1] >= dist_m

    def _cell_bounds(self, key: tuple[int, int]) -> tuple[float, float]:
        """Lower and upper bounds of the distance to the nearest port from any point of a cell (the triangle
        inequality around its centre)."""
        x0, y0 = key[0] * _BOUND_CELL_DEG, key[1] * _BOUND_CELL_DEG
        cx, cy = x0 + _BOUND_CELL_DEG / 2, y0 + _BOUND_CELL_DEG / 2
        half_m = max(haversine_m(cx, cy, x, y) for x in (x0, x0 + _BOUND_CELL_DEG)
                     for y in (y0, y0 + _BOUND_CELL_DEG)) + _BOUND_MARGIN_M
        centre_m = self.nearest(cx, cy)[1]
        if math.isinf(centre_m):
            bounds = (self.search_radius_m - half_m, math.inf)
        else:
            bounds = (centre_m - half_m, centre_m + half_m)
        if len(self._bounds) >= _BOUND_CACHE_MAX:
            self._bounds.clear()
        self._bounds[key] = bounds
        return bounds

    def in_exclusion(self, lon: float, lat: float) -> bool:
        """Inside a port or anchorage area."""
        return self.nearest(lon, lat)[1] <= 0.0

    def with_extra(self, extra: Iterable[Port]) -> PortIndex:
        return PortIndex([*self.ports, *extra], self.search_radius_m)


def _port_from_feature(i: int, feat: dict[str, object]) -> Port:
    props = feat.get("properties") or {}
    assert isinstance(props, dict)
    name = props.get("name")
    if not isinstance(name, str) or not name:
        raise PortFileError(f"feature {i}: a port needs a 'name'")
    geom_json = feat.get("geometry") or {}
    assert isinstance(geom_json, dict)
    kind = str(props.get("kind", "port"))
    gtype = geom_json.get("type")
    if gtype == "Point":
        lon, lat = (float(v) for v in geom_json["coordinates"][:2])
        radius = props.get("radius_m")
        if not isinstance(radius, int | float) or radius < 0:
            raise PortFileError(f"port {name!r}: a Point needs radius_m >= 0")
        return Port(name, kind, lon, lat, float(radius))
    if gtype in ("Polygon", "MultiPolygon"):
        poly = shape(geom_json)
        shapely.prepare(poly)
        c = poly.centroid
        return Port(name, kind, float(c.x), float(c.y), float(props.get("radius_m", 0.0) or 0.0), poly)
    raise PortFileError(f"port {name!r}: geometry must be Point, Polygon or MultiPolygon")


def _read_collection(p: Path) -> list[dict[str, Any]]:
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PortFileError(f"{p}: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise PortFileError(f"{p}: not a GeoJSON FeatureCollection")
    features = doc.get("features") or []
    if not isinstance(features, list):
        raise PortFileError(f"{p}: 'features' is not a list")
    return features


def world_ports_path() -> Path:
    """Where the ``searoute`` package keeps its seaport list (located without importing the package)."""
    spec = importlib.util.find_spec("searoute")
    if spec is None or not spec.submodule_search_locations:
        raise PortFileError("the Python package 'searoute' (ports of the world) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "ports.geojson"


def load_world_ports(path: str | Path | None = None, radius_m: float = WORLD_PORT_RADIUS_M) -> list[Port]:
    """The UN/LOCODE seaports of the world (``searoute``'s list, or a file of the same shape: Point features
    with ``name`` and ``port`` = the UN/LOCODE), each a point of ``radius_m``."""
    p = world_ports_path() if path is None else Path(path)
    out: list[Port] = []
    for i, f in enumerate(_read_collection(p)):
        try:
            props: Any = f.get("properties") or {}
            geom: Any = f["geometry"]
            lon, lat = (float(v) for v in geom["coordinates"][:2])
            name = f"{props.get('name') or '?'} ({props.get('port') or i})"
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise PortFileError(f"{p}: feature {i}: {exc}") from exc
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            raise PortFileError(f"{p}: feature {i}: position out of range")
        out.append(Port(name, "port", lon, lat, radius_m))
    return out


def load_ports(path: str | Path | None = None, search_radius_m: float = 50_000.0, *,
               world: bool = True) -> PortIndex:
    """The bundled curated list (``path`` None) or a user ports FeatureCollection, plus (``world``) the
    ports of the world."""
    p = DEFAULT_PORTS_PATH if path is None else Path(path)
    ports = [_port_from_feature(i, f) for i, f in enumerate(_read_collection(p))]
    if world:
        ports += load_world_ports()
    return PortIndex(ports, search_radius_m)
