"""``truth.json``: the events a detector should raise and the decoys it must not.

Format (``"format": "msa-sim-truth/1"``)::

    {"scenario": "all", "seed": 1, "start": ISO, "end": ISO,
     "events": [{"id", "kind", "mmsi": [...], "start", "end", "location": {"lat", "lon"},
                 "scenario", "note", "detection_id"}],
     "decoys": [same fields; "kind" is the alert kind the situation must NOT raise]}
"""

from __future__ import annotations

from typing import Any

from msa.domain import format_ts, parse_ts
from services.simulate.model import TruthItem, World

__all__ = ["TRUTH_FORMAT", "item_from_dict", "item_to_dict", "truth_from_dict", "truth_to_dict"]

TRUTH_FORMAT = "msa-sim-truth/1"


def item_to_dict(item: TruthItem) -> dict[str, Any]:
    return {
        "id": item.item_id, "kind": item.kind, "mmsi": list(item.mmsi), "start": format_ts(item.start_ms),
        "end": format_ts(item.end_ms), "location": {"lat": round(item.lat, 5), "lon": round(item.lon, 5)},
        "scenario": item.scenario, "note": item.note, "detection_id": item.detection_id,
    }


def item_from_dict(d: dict[str, Any]) -> TruthItem:
    loc = d.get("location") or {}
    return TruthItem(
        item_id=str(d["id"]), kind=str(d["kind"]), mmsi=tuple(int(m) for m in d.get("mmsi", [])),
        start_ms=parse_ts(d["start"]), end_ms=parse_ts(d["end"]), lat=float(loc.get("lat", 0.0)),
        lon=float(loc.get("lon", 0.0)), scenario=str(d.get("scenario", "")), note=str(d.get("note", "")),
        detection_id=d.get("detection_id"),
    )


def truth_to_dict(world: World) -> dict[str, Any]:
    return {
        "format": TRUTH_FORMAT, "scenario": world.name, "seed": world.seed,
        "start": format_ts(world.start_ms), "end": format_ts(world.end_ms),
        "events": [item_to_dict(e) for e in sorted(world.events, key=lambda e: e.item_id)],
        "decoys": [item_to_dict(e) for e in sorted(world.decoys, key=lambda e: e.item_id)],
    }


def truth_from_dict(d: dict[str, Any]) -> tuple[list[TruthItem], list[TruthItem]]:
    """(events, decoys)."""
    if d.get("format") not in (None, TRUTH_FORMAT):
        raise ValueError(f"unknown truth format {d.get('format')!r}")
    return [item_from_dict(e) for e in d.get("events", [])], [item_from_dict(e) for e in d.get("decoys", [])]
