"""Zones as the API sees them: the zones a caller may see (``GET /zones``) and the scope of a token, where a
region (``mediterranean``) stands for every zone of the region.

The zone file is read and checked by :mod:`geo.zones`, as the detector reads it: a bad or unreadable file is
a :class:`geo.zones.ZoneFileError` at start-up, never an empty list of zones. Only the bundled default file
being absent (``zones_path`` not set) means "no zones".
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from geo.zones import DEFAULT_ZONES_PATH, read_zone_file
from msa.domain import JsonDict
from services.api.principal import Principal

__all__ = ["expand_scope", "load_zone_features", "regions_of", "split_zones", "zones_for"]


def load_zone_features(path: Path | None) -> JsonDict:
    """The zone file (``None``: the bundled ``geo/data/zones.geojson``) as a GeoJSON FeatureCollection;
    raises :class:`geo.zones.ZoneFileError` on a file that is missing (when named), unreadable or invalid."""
    if path is None and not DEFAULT_ZONES_PATH.exists():
        return {"type": "FeatureCollection", "features": []}
    doc = read_zone_file(path)
    return {"type": "FeatureCollection", "features": list(doc["features"])}


def zones_for(zones: JsonDict, principal: Principal) -> JsonDict:
    feats = []
    for f in zones.get("features", []):
        props = f.get("properties") or {}
        name = str(props.get("name", f.get("id", "")))
        if principal.sees_zone(name):
            feats.append({"type": "Feature", "id": name, "geometry": f.get("geometry"), "properties": props})
    return {"type": "FeatureCollection", "features": feats}


def regions_of(zones: JsonDict) -> dict[str, frozenset[str]]:
    """Region name → names of its zones (``region`` property of the zone file)."""
    out: dict[str, set[str]] = {}
    for f in zones.get("features", []):
        props = f.get("properties") or {}
        if props.get("region") and props.get("name"):
            out.setdefault(str(props["region"]), set()).add(str(props["name"]))
    return {k: frozenset(v) for k, v in out.items()}


def expand_scope(principal: Principal, regions: dict[str, frozenset[str]]) -> Principal:
    """A scope may name regions (``mediterranean``): they stand for every zone of the region."""
    if principal.all_zones or not (principal.zones & regions.keys()):
        return principal
    zones = set(principal.zones)
    for r in principal.zones & regions.keys():
        zones |= regions[r]
    return dataclasses.replace(principal, zones=frozenset(zones))


def split_zones(text: str | None) -> list[str]:
    """``a;b`` when a zone name contains a comma, else ``a,b``; ``*`` = every zone."""
    if not text:
        return []
    sep = ";" if ";" in text else ","
    return [z.strip() for z in text.split(sep) if z.strip()]
