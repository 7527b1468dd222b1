"""Satellite SAR scenes and detections as a GeoJSON FeatureCollection.

Each scene is a Polygon feature (``kind: "scene"``, ``scene_id``, ``acquired_at``, ``sensor``,
``delivered_at``); each detection a Point (``detection_id``, ``detected_at``, ``length_m``,
``confidence``, ``sensor``, ``scene_id``, ``delivered_at``). Every physical vessel inside a scene — with
AIS or not, silent or not — is detected with a probability that grows with its length, at its true
position plus ~60 m of error, with its length estimated to ±20 %.

A scene's vessel-detection product is delivered late, all its detections at once: ``delivered_at`` =
acquisition + a delay drawn log-uniformly between 30 min and 6 h (median ≈ 1 h 45 min), from the seed
and the scene id (:func:`delivery_delay_s`).
"""

from __future__ import annotations

import hashlib
import math
import random
from typing import Any

from msa.domain import format_ts
from services.simulate.latlon_geodesy import destination
from services.simulate.model import Actor, SceneSpec
from services.simulate.transmit import actor_rng

__all__ = ["DELIVERY_DELAY_S", "delivery_delay_s", "detection_id", "detection_p", "scene_features"]

DELIVERY_DELAY_S = (1800, 21_600)  # a product arrives 30 min to 6 h after acquisition


def delivery_delay_s(seed: int, scene_id: str) -> int:
    """Seconds from acquisition to delivery of a scene's product: log-uniform over ``DELIVERY_DELAY_S``."""
    lo, hi = DELIVERY_DELAY_S
    rng = random.Random(f"{seed}|{scene_id}|delivery")
    return min(hi, max(lo, round(math.exp(rng.uniform(math.log(lo), math.log(hi))))))


def detection_id(scene_id: str, actor_key: str) -> str:
    return f"{scene_id}-{hashlib.sha256(actor_key.encode()).hexdigest()[:8]}"


def detection_p(length_m: float | None) -> float:
    if length_m is None or length_m < 10:
        return 0.5
    if length_m < 25:
        return 0.85
    return 0.97


def scene_features(scene: SceneSpec, actors: list[Actor], seed: int) -> list[dict[str, Any]]:
    ring = [[scene.lon_min, scene.lat_min], [scene.lon_max, scene.lat_min], [scene.lon_max, scene.lat_max],
            [scene.lon_min, scene.lat_max], [scene.lon_min, scene.lat_min]]
    delivered_at = format_ts(scene.ts_ms + delivery_delay_s(seed, scene.scene_id) * 1000)
    feats: list[dict[str, Any]] = [{
        "type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"kind": "scene", "scene_id": scene.scene_id, "acquired_at": format_ts(scene.ts_ms),
                       "sensor": scene.sensor, "delivered_at": delivered_at},
    }]
    for actor in sorted(actors, key=lambda a: a.key):
        state = actor.track.state_at(scene.ts_ms)
        if state is None or not (scene.lat_min <= state.lat <= scene.lat_max
                                 and scene.lon_min <= state.lon <= scene.lon_max):
            continue
        rng = actor_rng(seed, actor.key, f"sar|{scene.scene_id}")
        p = actor.sar_detect_p if actor.sar_detect_p is not None else detection_p(actor.spec.length_m)
        if rng.random() >= p:
            continue
        lat, lon = destination(state.lat, state.lon, rng.uniform(0, 360), abs(rng.gauss(0, 60)))
        length = actor.spec.length_m
        est = None if length is None else round(max(5.0, length * rng.uniform(0.8, 1.2)), 1)
        feats.append({
            "type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
            "properties": {"detection_id": detection_id(scene.scene_id, actor.key),
                           "detected_at": format_ts(scene.ts_ms), "length_m": est,
                           "confidence": round(rng.uniform(0.75, 0.99), 3), "sensor": scene.sensor,
                           "scene_id": scene.scene_id, "delivered_at": delivered_at},
        })
    return feats
