"""``msa review``: what the detectors make of real recordings, explained — for an analyst to judge.

Runs ``msa detect`` on each recording (by default with a zone covering the world, ``geo/data/world.geojson``)
and reports, per file, every alert (kind, vessels, time, place, the figures it rests on) and every silence
the dark-period rule looked at (≥ 1 h; ``--min-silence-s``), with the decision taken and why: alerted, not
improbable given the reception around it, not tracked well enough, in port, shorter than its threshold,
outside every zone, an MMSI shared by several transmitters. The output is JSON: the project's reviewed
real-data set (``tests/realdata/review.json``) is this output with an analyst's judgement added to each
alert and silence, and a test keeps later detector changes honest against it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from geo.coast import TERRESTRIAL_RANGE_M, load_coast
from msa.domain import Alert, format_ts
from services.detect.offline import run_offline

__all__ = ["WORLD_ZONES", "review_file", "review_files"]

WORLD_ZONES = Path(__file__).resolve().parents[2] / "geo" / "data" / "world.geojson"


def _alert_brief(a: Alert) -> dict[str, Any]:
    ev = a.evidence
    keep = ("profile", "mean_speed_kn", "max_speed_kn", "duration_s", "together_s", "closest_m", "median_speed_kn",
            "joint_silence_s", "gap_s", "regime", "reception", "pattern", "placeholder_mmsi", "transitions",
            "max_implied_speed_kn", "segments_count", "loitering_s", "nearest_ais", "retracted_because")
    coords = a.geometry.get("coordinates")
    first = coords if a.geometry.get("type") == "Point" else (coords[0] if coords else None)
    return {"alert_id": a.alert_id, "kind": str(a.kind), "status": str(a.status), "mmsi": list(a.mmsi),
            "start": format_ts(a.start_ms), "end": None if a.end_ms is None else format_ts(a.end_ms),
            "where": first, "summary": a.summary, "evidence": {k: ev[k] for k in keep if k in ev}}


def review_file(path: Path, zones: Path = WORLD_ZONES, min_silence_s: float = 3600.0) -> dict[str, Any]:
    trace: list[dict[str, Any]] = []
    result = run_offline([path], (), zones, trace=trace)
    coast = load_coast()
    silences = []
    for t in trace:
        if t["silent_s"] < min_silence_s:
            continue
        t = dict(t)
        t["offshore"] = coast.distance_m(t["lon"], t["lat"]) >= TERRESTRIAL_RANGE_M
        silences.append(t)
    silences.sort(key=lambda t: (t["start"], t["mmsi"]))
    return {"file": path.name, "records": result.stats.get("records", 0),
            "positions": result.stats.get("positions", 0), "vessels": result.stats.get("vessels_tracked", 0),
            "alerts": [_alert_brief(a) for a in result.alerts], "silences": silences,
            "counters": {k: v for k, v in sorted(result.stats.items())
                         if k in ("position_glitches", "track_jumps", "identity_returns", "identity_segment_fixes",
                                  "dark_in_port", "dark_gaps_low_coverage", "duplicates_or_same_time")}}


def review_files(paths: Sequence[Path], zones: Path = WORLD_ZONES,
                 min_silence_s: float = 3600.0) -> list[dict[str, Any]]:
    return [review_file(p, zones, min_silence_s) for p in paths]


def dumps(reviews: list[dict[str, Any]]) -> str:
    return json.dumps(reviews, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
