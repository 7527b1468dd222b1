"""Satellite scenes as the dark-vessel matcher (``dark_vessel.py``) and the streaming scene exchange see them:
a scene's key, the detections it holds while it waits to be judged, one engine's part of it (its detections and
the AIS candidates of its own vessels: ``scene_candidate``, where each vessel's track says it was at the scene's
time), and its footprint as evidence.
"""

from __future__ import annotations

from typing import NamedTuple

from geo.geodesy import MPS_PER_KN, destination_point, haversine_m, interpolate_position
from msa.domain import JsonDict, SatelliteDetection, SceneFootprint, VesselIdentity
from msa.evidence import FOOTPRINT_MAX_VERTICES
from services.detect.context import DetectContext
from services.detect.history import Kept, TrackHistory
from services.detect.track import VesselState

__all__ = ["MAX_UNCERTAINTY_M", "PendingScene", "SceneCandidate", "SceneKey", "ScenePart", "footprint_geometry",
           "resolve_at", "scene_candidate"]

MAX_UNCERTAINTY_M = 3000.0  # the most a candidate's position is taken to be off
_SILENT_MAX_AGE_MS = 24 * 3_600_000  # a vessel silent longer is no dark candidate of a scene
_STRAIGHT_SPAN_MS = 600_000  # how far back a vessel's course is checked for straightness
_STEADY_KN = 5.0  # without a track to check, a vessel slower than this is assumed to manoeuvre

SceneKey = tuple[int, str]  # (detection time ms, scene id)


def footprint_geometry(fp: SceneFootprint) -> JsonDict:
    """The footprint as a GeoJSON Polygon for evidence: coordinates to 1e-5° (~1 m), simplified (shapely,
    topology kept) to at most ``FOOTPRINT_MAX_VERTICES`` vertices when the product had more."""
    rings = [[[round(lon, 5), round(lat, 5)] for lon, lat in ring] for ring in fp.rings]
    if sum(len(r) for r in rings) > FOOTPRINT_MAX_VERTICES:
        from shapely.geometry import Polygon, mapping

        poly = Polygon(rings[0], rings[1:])
        tol = 1e-4
        while True:
            simple = poly.simplify(tol, preserve_topology=True)
            if not isinstance(simple, Polygon) or simple.is_empty:
                simple = Polygon(poly.exterior).convex_hull  # degenerate input: its outline's hull
                break
            n = len(simple.exterior.coords) + sum(len(r.coords) for r in simple.interiors)
            if n <= FOOTPRINT_MAX_VERTICES:
                break
            if tol > 1.0:  # holes keep it large: the outline only
                simple = Polygon(simple.exterior).simplify(tol, preserve_topology=True)
                break
            tol *= 2
        rings = [[[round(x, 5), round(y, 5)] for x, y in ring] for ring in mapping(simple)["coordinates"]]
    return {"type": "Polygon", "coordinates": rings}


class SceneCandidate(NamedTuple):
    """Where AIS says one vessel was at a scene's time (``method``: interpolated, dead_reckoned, next_fix)."""

    mmsi: int
    lon: float
    lat: float
    method: str
    dark: bool  # silent (a dark-period candidate), not a match candidate
    loiter_s: float
    identity: VesselIdentity | None  # for the dark-rendezvous alert that may name it (None when dark)
    uncertainty_m: float = 0.0


class ScenePart(NamedTuple):
    """One engine's contribution to resolving a scene: the detections it knows and its candidates."""

    key: SceneKey
    detections: tuple[SatelliteDetection, ...]
    candidates: tuple[SceneCandidate, ...]


class PendingScene:
    __slots__ = ("dets", "due_ms", "ts")

    def __init__(self, ts: int, due_ms: int) -> None:
        self.ts = ts
        self.due_ms = due_ms
        self.dets: list[SatelliteDetection] = []

    def __getstate__(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state: dict[str, object]) -> None:
        for k, v in state.items():
            setattr(self, k, v)


def resolve_at(due_ms: int, scan_ms: int) -> int:
    """The scan that resolves a scene due at ``due_ms``: the first multiple of the scan interval at or after."""
    return -(-due_ms // scan_ms) * scan_ms


def _excess_mps(a: Kept, b: Kept) -> float:
    """How much of the reported speed the straight line between two fixes does not explain (m/s): ~0 for a
    vessel going straight, most of it for one going round in loops or back and forth."""
    dt_s = (b.ts_ms - a.ts_ms) / 1000.0
    if dt_s < 300.0 or a.sog_kn < 0.0 or b.sog_kn < 0.0:
        return 0.0
    implied_mps = haversine_m(a.lon, a.lat, b.lon, b.lat) / dt_s
    return max(0.0, (a.sog_kn + b.sog_kn) / 2.0 * MPS_PER_KN - implied_mps)


def _dead_reckon(k: Kept, t_ms: int) -> tuple[float, float]:
    if k.sog_kn > 0.0 and k.cog_deg >= 0.0:
        return destination_point(k.lon, k.lat, k.cog_deg, k.sog_kn * MPS_PER_KN * (t_ms - k.ts_ms) / 1000.0)
    return k.lon, k.lat


def scene_candidate(vs: VesselState, t: int, as_of: int, ctx: DetectContext) -> SceneCandidate | None:
    """Where the vessel's AIS track says it was at ``t`` (what it had reported by ``as_of``): interpolated
    between fixes, dead-reckoned from a steady course, its last fix when it manoeuvres, or its next fix; a
    *dark* candidate when it was silent then (a dark-period candidate, not a match). None: no track near ``t``."""
    h = vs.hist
    if not isinstance(h, TrackHistory) or not len(h):
        return None
    before = h.before(t)
    after = h.after(t, as_of)
    if before is None and after is None:
        return None
    ref = before if before is not None else after
    assert ref is not None
    zone = ctx.zones.zone_at(ref.lon, ref.lat)
    p = ctx.params.for_zone(zone)
    drift_mps = p.sat_drift_uncertainty_kn * MPS_PER_KN
    if before is None:
        assert after is not None
        age_s = (after.ts_ms - t) / 1000.0
        return SceneCandidate(vs.mmsi, after.lon, after.lat, "next_fix", False, 0.0, None,
                              min(MAX_UNCERTAINTY_M, age_s * max(drift_mps, after.sog_kn * MPS_PER_KN)))
    age_ms = t - before.ts_ms
    slow = 0.0 <= before.sog_kn <= p.loiter_max_speed_kn
    loiter_s = 0.0
    if slow:
        start = h.spell_start(t, p.loiter_max_speed_kn, int(p.loiter_bridge_max_gap_s * 1000))
        if start >= 0:
            loiter_s = min((before.ts_ms - max(start, t - int(p.sat_loiter_max_fix_age_s * 1000))) / 1000.0,
                           p.sat_loiter_max_fix_age_s)
    if after is not None and after.ts_ms - before.ts_ms <= p.sat_loiter_max_fix_age_s * 1000:
        lon, lat = interpolate_position(before.lon, before.lat, before.ts_ms, after.lon, after.lat,
                                        after.ts_ms, t)
        # what the straight line between the fixes does not explain (a trawler's loops) may lie off it
        near_s = min(t - before.ts_ms, after.ts_ms - t) / 1000.0
        excess = _excess_mps(before, after)
        return SceneCandidate(vs.mmsi, lon, lat, "interpolated", False, loiter_s, None,
                              min(MAX_UNCERTAINTY_M, near_s * excess))
    fresh_ms = (p.sat_loiter_max_fix_age_s if slow else p.sat_max_fix_age_s) * 1000
    age_s = age_ms / 1000.0
    prior = h.before(before.ts_ms - max(_STRAIGHT_SPAN_MS, age_ms))  # straight for as long as extrapolated?
    # (no track long enough to tell: a slow vessel's course is not trusted)
    manoeuvring = (_excess_mps(prior, before) > MPS_PER_KN if prior is not None
                   else 0.0 <= before.sog_kn < _STEADY_KN)
    if manoeuvring:  # manoeuvring: its last course says little; anywhere it could have gone
        lon, lat, method = before.lon, before.lat, "last_fix"
        unc = age_s * max(drift_mps, before.sog_kn * MPS_PER_KN)
    else:
        (lon, lat), method = _dead_reckon(before, t), "dead_reckoned"
        unc = age_s * drift_mps
    if age_ms <= fresh_ms:
        return SceneCandidate(vs.mmsi, lon, lat, method, False, loiter_s, None, min(MAX_UNCERTAINTY_M, unc))
    if age_ms <= _SILENT_MAX_AGE_MS and (after is None or after.ts_ms - before.ts_ms > fresh_ms):
        return SceneCandidate(vs.mmsi, lon, lat, method, True, 0.0, None, 0.0)
    return None
