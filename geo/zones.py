"""Detection zones: named (Multi)Polygons with their own parameter overrides, in a spatial index.

``zone_at`` is called once per position, so it is cached per coarse grid cell: a cell wholly inside the
winning zone (or outside every zone) is answered from a dict; only cells crossed by a boundary fall back
to an exact point-in-polygon test against the few candidate zones of that cell.

When zones overlap the most specific wins: highest explicit ``priority`` first, then the smallest area,
then the name (so the choice is deterministic).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

__all__ = ["DEFAULT_ZONES_PATH", "Zone", "ZoneFileError", "ZoneIndex", "load_zones", "read_zone_file",
           "zones_from_geojson"]

DEFAULT_ZONES_PATH = Path(__file__).resolve().parent / "data" / "zones.geojson"
_CELL_DEG = 0.1
_RESERVED = frozenset({"name", "region", "priority", "source", "description", "params", "id"})


class ZoneFileError(ValueError):
    """The zone file cannot be read, or is not a FeatureCollection of named (Multi)Polygons. The one error of
    every reader of zones (the detectors and the API alike), raised at start-up."""


@dataclass(frozen=True, slots=True)
class Zone:
    name: str
    region: str
    priority: int
    area_deg2: float
    params_overrides: Mapping[str, Any]
    source: str
    geometry: BaseGeometry

    def sort_key(self) -> tuple[int, float, str]:
        return (-self.priority, self.area_deg2, self.name)


_Cell = Zone | None | tuple[Zone, ...]


class ZoneIndex:
    """All zones, an STRtree over them and a per-cell cache of lookups."""

    __slots__ = ("_cache", "_tree", "zones")

    def __init__(self, zones: list[Zone]) -> None:
        names = [z.name for z in zones]
        if len(set(names)) != len(names):
            raise ZoneFileError(f"zone names must be unique: {sorted(names)}")
        self.zones: tuple[Zone, ...] = tuple(sorted(zones, key=Zone.sort_key))
        for z in self.zones:
            shapely.prepare(z.geometry)
        self._tree = STRtree([z.geometry for z in self.zones])
        self._cache: dict[tuple[int, int], _Cell] = {}

    def by_name(self, name: str) -> Zone | None:
        for z in self.zones:
            if z.name == name:
                return z
        return None

    def zone_at(self, lon: float, lat: float) -> Zone | None:
        key = (math.floor(lon / _CELL_DEG), math.floor(lat / _CELL_DEG))
        cell = self._cache.get(key, False)
        if cell is False:
            cell = self._cell(key)
            self._cache[key] = cell
        if cell is None or isinstance(cell, Zone):
            return cell
        for z in cell:  # type: ignore[union-attr]
            if shapely.contains_xy(z.geometry, lon, lat) or shapely.intersects_xy(z.geometry, lon, lat):
                return z
        return None

    def _cell(self, key: tuple[int, int]) -> _Cell:
        x0, y0 = key[0] * _CELL_DEG, key[1] * _CELL_DEG
        box = shapely.box(x0, y0, x0 + _CELL_DEG, y0 + _CELL_DEG)
        idx = sorted(int(i) for i in self._tree.query(box))  # zones are stored in precedence order
        cands = tuple(self.zones[i] for i in idx if self.zones[i].geometry.intersects(box))
        if not cands:
            return None
        if cands[0].geometry.contains(box):
            return cands[0]
        return cands


def _zone_from_feature(i: int, feat: Mapping[str, Any]) -> Zone:
    props = feat.get("properties") or {}
    name = props.get("name")
    if not isinstance(name, str) or not name:
        raise ZoneFileError(f"feature {i}: a zone needs a non-empty 'name' property")
    geom_json = feat.get("geometry") or {}
    if geom_json.get("type") not in ("Polygon", "MultiPolygon"):
        raise ZoneFileError(f"zone {name!r}: geometry must be Polygon or MultiPolygon, "
                            f"got {geom_json.get('type')!r}")
    try:
        geom = shape(geom_json)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise ZoneFileError(f"zone {name!r}: bad coordinates: {exc}") from exc
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    if geom.is_empty or geom.area <= 0.0:
        raise ZoneFileError(f"zone {name!r}: empty polygon")
    overrides = {k: v for k, v in props.items() if k not in _RESERVED}
    explicit = props.get("params") or {}
    if not isinstance(explicit, Mapping):
        raise ZoneFileError(f"zone {name!r}: 'params' must be an object")
    overrides.update(explicit)
    return Zone(name=name, region=str(props.get("region", "")), priority=int(props.get("priority", 0)),
                area_deg2=float(geom.area), params_overrides=MappingProxyType(overrides),
                source=str(props.get("source", "")), geometry=geom)


def zones_from_geojson(doc: Any, where: str = "zones") -> ZoneIndex:
    """Zones from a parsed GeoJSON FeatureCollection of named (Multi)Polygons."""
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ZoneFileError(f"{where}: not a GeoJSON FeatureCollection")
    feats = doc.get("features") or []
    if not isinstance(feats, list) or not feats:
        raise ZoneFileError(f"{where}: no zones")
    for i, f in enumerate(feats):
        if not isinstance(f, Mapping):
            raise ZoneFileError(f"{where}: feature {i} is not a GeoJSON Feature")
    return ZoneIndex([_zone_from_feature(i, f) for i, f in enumerate(feats)])


def _read(path: str | Path | None) -> tuple[Any, str]:
    p = DEFAULT_ZONES_PATH if path is None else Path(path)
    try:
        return json.loads(p.read_text(encoding="utf-8")), str(p)
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ZoneFileError(f"{p}: {exc}") from exc


def load_zones(path: str | Path | None = None) -> ZoneIndex:
    """Load a GeoJSON FeatureCollection of named (Multi)Polygons (None = the bundled zones)."""
    doc, where = _read(path)
    return zones_from_geojson(doc, where)


def read_zone_file(path: str | Path | None = None) -> dict[str, Any]:
    """The zone file's GeoJSON document as written, after every check of :func:`load_zones` (else a
    :class:`ZoneFileError`): for a reader that serves the zones rather than looks positions up in them."""
    doc, where = _read(path)
    zones_from_geojson(doc, where)
    return dict(doc)
