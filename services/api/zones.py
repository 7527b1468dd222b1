"""Zones for ``GET /zones`` and scope: read ``geo/data/zones.geojson`` if present (else none). No geo import."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import orjson

from msa.domain import JsonDict
from services.api.principal import Principal

__all__ = ["DEFAULT_ZONES_PATH", "expand_scope", "load_zones", "regions_of", "split_zones", "zones_for"]

log = logging.getLogger(__name__)

DEFAULT_ZONES_PATH = Path(__file__).resolve().parents[2] / "geo" / "data" / "zones.geojson"


def load_zones(path: Path | None) -> JsonDict:
    p = path or DEFAULT_ZONES_PATH
    try:
        data = orjson.loads(p.read_bytes())
    except FileNotFoundError:
        return {"type": "FeatureCollection", "features": []}
    except (OSError, orjson.JSONDecodeError):
        log.exception("cannot read zones file %s", p)
        return {"type": "FeatureCollection", "features": []}
    if not isinstance(data, dict) or not isinstance(data.get("features"), list):
        return {"type": "FeatureCollection", "features": []}
    return {"type": "FeatureCollection", "features": [f for f in data["features"] if isinstance(f, dict)]}


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
