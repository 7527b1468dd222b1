"""Write a world to a directory: ``ais.nmea``, ``sat.geojson``, ``truth.json``.

Lines are ordered by arrival at the feed (so late and satellite lines appear after newer ones), ties
broken by source and MMSI so that the same seed always gives byte-identical files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.simulate.model import World
from services.simulate.sar import scene_features
from services.simulate.transmit import Delivery, deliveries
from services.simulate.truth import truth_to_dict

__all__ = ["RenderStats", "nmea_lines", "render", "sat_collection"]


@dataclass(frozen=True, slots=True)
class RenderStats:
    lines: int
    messages: int
    detections: int
    scenes: int
    events: int
    decoys: int


def nmea_lines(world: World) -> list[str]:
    every: list[Delivery] = []
    for actor in world.actors:
        every.extend(deliveries(actor, world.seed, world.start_ms, world.end_ms, world.reception))
    every.sort(key=lambda d: (d.arrival_ms, d.source, d.mmsi, d.order))
    return [line for d in every for line in d.lines]


def sat_collection(world: World) -> dict[str, Any]:
    feats: list[dict[str, Any]] = []
    for scene in sorted(world.scenes, key=lambda s: (s.ts_ms, s.scene_id)):
        feats.extend(scene_features(scene, world.actors, world.seed))
    return {"type": "FeatureCollection", "features": feats}


def render(world: World, out_dir: Path) -> RenderStats:
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = nmea_lines(world)
    (out_dir / "ais.nmea").write_text("".join(line + "\n" for line in lines), encoding="ascii")
    sat = sat_collection(world)
    (out_dir / "sat.geojson").write_text(json.dumps(sat, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    (out_dir / "truth.json").write_text(json.dumps(truth_to_dict(world), indent=1, sort_keys=True) + "\n",
                                        encoding="utf-8")
    n_scenes = sum(1 for f in sat["features"] if f["properties"].get("kind") == "scene")
    messages = sum(1 for line in lines if ",1,1," in line or ",2,1," in line)
    return RenderStats(len(lines), messages, len(sat["features"]) - n_scenes, n_scenes, len(world.events),
                       len(world.decoys))
