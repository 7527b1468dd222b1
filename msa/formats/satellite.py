"""Satellite detections and scene footprints from a GeoJSON FeatureCollection: the one parser.

``msa ingest sat``, ``msa ingest sat-http`` and ``msa detect --sat`` all read satellite files here, so they
accept and reject the same features for the same reasons.

A detection is a ``Point`` feature with properties ``detection_id`` (string), ``detected_at`` (ISO 8601 UTC),
``confidence`` (0–1), ``sensor``, ``scene_id`` and optionally ``length_m`` (> 0). A scene footprint is a
``Polygon`` feature with properties ``kind: "scene"``, ``scene_id``, ``acquired_at`` and optionally
``sensor``; its rings are closed and have at least 4 positions. Every feature that fails gives a
:class:`msa.domain.Reject` with a precise reason (``missing_field``, ``bad_time``, ``bad_confidence``,
``bad_geometry``, ``duplicate_detection``…); a time before AIS carriage or more than a day after the wall
clock is ``time_too_old`` / ``time_in_future`` (:mod:`msa.formats.time_bounds`, as for AIS), and a text
with a control character (a NUL…) ``bad_field``.

*Why these rules, and not the offline reader's former defaults* (confidence 1.0 when absent, empty sensor
and scene, a ``MultiPolygon`` scene, a scene timed by ``detected_at``): a missing confidence is not a
certain detection — defaulting it to 1.0 would let a product of unknown quality pass the detector's
``sat_min_confidence`` and raise dark-vessel alerts at full score; an unclosed ring or a scene without its
acquisition time is a broken product, not a variant.
No file needs the lax rules: the simulator writes every field, the test fixtures too, and the shared
recordings hold no satellite file. So the stricter ingest rule is the one rule.
"""

from __future__ import annotations

import math
import re
from typing import Any

import orjson

from msa.domain import Reject, SatelliteDetection, SceneFootprint, parse_ts
from msa.formats.time_bounds import TimeBounds

__all__ = ["SatError", "parse_feature", "parse_feature_collection", "parse_geojson_bytes"]

SatRecord = SatelliteDetection | SceneFootprint


class SatError(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _str(props: dict[str, Any], key: str) -> str:
    v = props.get(key)
    if v is None or (isinstance(v, str) and not v.strip()):
        raise SatError("missing_field", key)
    if not isinstance(v, (str, int)) or isinstance(v, bool):
        raise SatError("bad_field", f"{key} must be a string")
    if isinstance(v, str) and _CONTROL.search(v):  # a NUL or a line break has no place in an id or a name
        raise SatError("bad_field", f"{key} holds a control character")
    return str(v)


def _time(props: dict[str, Any], key: str, bounds: TimeBounds | None) -> int:
    v = props.get(key)
    if v is None:
        raise SatError("missing_field", key)
    if not isinstance(v, str):
        raise SatError("bad_time", f"{key} must be an ISO 8601 string")
    try:
        ts = parse_ts(v)
    except (ValueError, OverflowError) as exc:
        raise SatError("bad_time", f"{key}: {exc}") from None
    implausible = bounds.check(ts) if bounds is not None else None
    if implausible is not None:  # a clock decades off would drag every watermark downstream
        raise SatError(implausible[0], f"{key}: {implausible[1]}")
    return ts


def _num(v: Any, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise SatError(f"bad_{what}", repr(v))
    return float(v)


def _lonlat(p: Any) -> tuple[float, float]:
    if not isinstance(p, (list, tuple)) or len(p) < 2:
        raise SatError("bad_geometry", "position must be [lon, lat]")
    lon, lat = _num(p[0], "geometry"), _num(p[1], "geometry")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise SatError("bad_geometry", f"position out of range: {lon}, {lat}")
    return lon, lat


def parse_feature(feature: Any, bounds: TimeBounds | None = None) -> SatRecord:
    """One feature, checked; ``bounds`` (plausible times: ``msa.formats.time_bounds``) when given."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise SatError("not_a_feature")
    props = feature.get("properties")
    geom = feature.get("geometry")
    if not isinstance(props, dict):
        raise SatError("missing_field", "properties")
    if not isinstance(geom, dict):
        raise SatError("bad_geometry", "missing geometry")
    if props.get("kind") == "scene" or geom.get("type") == "Polygon":
        if geom.get("type") != "Polygon":
            raise SatError("bad_geometry", "a scene footprint must be a Polygon")
        coords = geom.get("coordinates")
        if not isinstance(coords, list) or not coords:
            raise SatError("bad_geometry", "empty polygon")
        rings = tuple(tuple(_lonlat(p) for p in ring) for ring in coords)
        if any(len(r) < 4 or r[0] != r[-1] for r in rings):
            raise SatError("bad_geometry", "rings need ≥ 4 positions and must be closed")
        return SceneFootprint(_str(props, "scene_id"), _time(props, "acquired_at", bounds),
                              _str(props, "sensor") if props.get("sensor") else "", rings)
    if geom.get("type") != "Point":
        raise SatError("bad_geometry", f"a detection must be a Point, got {geom.get('type')!r}")
    lon, lat = _lonlat(geom.get("coordinates"))
    if props.get("confidence") is None:
        raise SatError("missing_field", "confidence")
    conf = _num(props.get("confidence"), "confidence")
    if not 0.0 <= conf <= 1.0:
        raise SatError("bad_confidence", f"{conf} not in [0, 1]")
    length = props.get("length_m")
    length_m = None if length is None else _num(length, "length")
    if length_m is not None and length_m <= 0:
        raise SatError("bad_length", f"{length_m} m")
    return SatelliteDetection(_str(props, "detection_id"), _time(props, "detected_at", bounds), lat, lon, conf,
                              _str(props, "sensor"), _str(props, "scene_id"), length_m)


def parse_feature_collection(doc: Any, source: str = "", bounds: TimeBounds | None = None,
                             ) -> tuple[list[SatRecord], list[Reject]]:
    """Validate a whole document; records keep input order; duplicate detection ids are rejected; times out of
    ``bounds`` (default: not before AIS carriage, not more than a day after the wall clock) too."""
    bounds = bounds or TimeBounds()
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" \
            or not isinstance(doc.get("features"), list):
        return [], [Reject("not_a_feature_collection", _short(doc), source)]
    records: list[SatRecord] = []
    rejects: list[Reject] = []
    seen: set[str] = set()
    for i, feature in enumerate(doc["features"]):
        try:
            rec = parse_feature(feature, bounds)
            if isinstance(rec, SatelliteDetection):
                if rec.detection_id in seen:
                    raise SatError("duplicate_detection", rec.detection_id)
                seen.add(rec.detection_id)
        except SatError as e:
            rejects.append(Reject(e.reason, _short(feature), source, None, f"feature {i}: {e.detail}"))
            continue
        records.append(rec)
    return records, rejects


def parse_geojson_bytes(data: bytes, source: str = "", bounds: TimeBounds | None = None,
                        ) -> tuple[list[SatRecord], list[Reject]]:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return [], [Reject("bad_json", data[:500].decode("utf-8", "replace"), source, None, str(exc))]
    return parse_feature_collection(doc, source, bounds)


def _short(obj: Any) -> str:
    try:
        return orjson.dumps(obj).decode()[:2000]
    except TypeError:
        return repr(obj)[:2000]
