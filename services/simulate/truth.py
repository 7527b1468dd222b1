"""``truth.json``: the events a detector should raise and the decoys it must not.

Format (``"format": "msa-sim-truth/2"``; ``msa-sim-truth/1``, without regimes and stations, is still read)::

    {"scenario": "all", "seed": 1, "start": ISO, "end": ISO,
     "stations": [{"name", "lat", "lon", "range_m"}],
     "events": [{"id", "kind", "mmsi": [...], "start", "end", "location": {"lat", "lon"},
                 "scenario", "note", "detection_id", "regime"}],
     "decoys": [same fields; "kind" is the alert kind the situation must NOT raise]}

``regime`` is ``"coast"`` (within a shore station's range at the item's location) or ``"offshore"``
(satellite AIS only); ``stations`` lets a reader classify any other place the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from msa.domain import format_ts, parse_ts
from services.simulate.model import TruthItem, World
from services.simulate.shore import Station, station_from_dict, station_to_dict

__all__ = ["TRUTH_FORMAT", "Truth", "item_from_dict", "item_to_dict", "load_truth", "truth_from_dict",
           "truth_to_dict"]

TRUTH_FORMAT = "msa-sim-truth/2"
_READABLE = (None, "msa-sim-truth/1", TRUTH_FORMAT)


@dataclass(frozen=True, slots=True)
class Truth:
    events: list[TruthItem]
    decoys: list[TruthItem]
    stations: tuple[Station, ...]  # empty in old files: the reader then uses the simulator's network


def item_to_dict(item: TruthItem) -> dict[str, Any]:
    return {
        "id": item.item_id, "kind": item.kind, "mmsi": list(item.mmsi), "start": format_ts(item.start_ms),
        "end": format_ts(item.end_ms), "location": {"lat": round(item.lat, 5), "lon": round(item.lon, 5)},
        "scenario": item.scenario, "note": item.note, "detection_id": item.detection_id, "regime": item.regime,
    }


def item_from_dict(d: dict[str, Any]) -> TruthItem:
    loc = d.get("location") or {}
    return TruthItem(
        item_id=str(d["id"]), kind=str(d["kind"]), mmsi=tuple(int(m) for m in d.get("mmsi", [])),
        start_ms=parse_ts(d["start"]), end_ms=parse_ts(d["end"]), lat=float(loc.get("lat", 0.0)),
        lon=float(loc.get("lon", 0.0)), scenario=str(d.get("scenario", "")), note=str(d.get("note", "")),
        detection_id=d.get("detection_id"), regime=str(d.get("regime") or ""),
    )


def truth_to_dict(world: World) -> dict[str, Any]:
    return {
        "format": TRUTH_FORMAT, "scenario": world.name, "seed": world.seed,
        "start": format_ts(world.start_ms), "end": format_ts(world.end_ms),
        "stations": [station_to_dict(s) for s in world.reception.stations],
        "events": [item_to_dict(e) for e in sorted(world.events, key=lambda e: e.item_id)],
        "decoys": [item_to_dict(e) for e in sorted(world.decoys, key=lambda e: e.item_id)],
    }


def load_truth(d: dict[str, Any]) -> Truth:
    if d.get("format") not in _READABLE:
        raise ValueError(f"unknown truth format {d.get('format')!r}")
    return Truth([item_from_dict(e) for e in d.get("events", [])], [item_from_dict(e) for e in d.get("decoys", [])],
                 tuple(station_from_dict(s) for s in d.get("stations") or []))


def truth_from_dict(d: dict[str, Any]) -> tuple[list[TruthItem], list[TruthItem]]:
    """(events, decoys)."""
    truth = load_truth(d)
    return truth.events, truth.decoys
