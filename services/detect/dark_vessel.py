"""Dark vessels and dark rendezvous from satellite detections.

A detection at time t is matched against where AIS says each vessel was at t: interpolated between its
last fix before t and its first fix after t when that arrives within ``sat_match_window_s`` (10 min),
else dead-reckoned from the last fix (SOG/COG) if that is fresher than ``sat_max_fix_age_s`` (30 min).
Detections and vessels of one scene are paired one-to-one, nearest first, within ``sat_match_radius_m``
(1.5 km). An unmatched detection (confidence ≥ ``sat_min_confidence``, inside a zone) is:
  * evidence on a dark period if a silent vessel's dead-reckoned position is within
    ``dark_sat_match_radius_m`` (5 km) — no new alert;
  * a **dark_rendezvous** if a loitering AIS vessel (≤ ``loiter_max_speed_kn`` for
    ≥ ``sat_loiter_min_duration_s``) is within ``sat_dark_rendezvous_m`` (1 km);
  * otherwise a **dark_vessel**.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from geo.geodesy import MPS_PER_KN, destination_point, haversine_m, interpolate_position
from msa.domain import Alert, AlertKind, JsonDict, SatelliteDetection, Severity, format_ts
from services.detect import dark_period
from services.detect.alerts import AlertDraft, point_geometry
from services.detect.context import DetectContext
from services.detect.track import VesselState

__all__ = ["Candidate", "PendingScene", "SatMatcher"]

_SNAP_CELL_DEG = 0.5


class Candidate:
    __slots__ = ("after", "before", "dark", "loiter_s", "mmsi")

    def __init__(self, vs: VesselState, dark: bool, loiter_s: float) -> None:
        self.mmsi = vs.mmsi
        self.before = (vs.last_ts, vs.last_lon, vs.last_lat, vs.last_sog, vs.last_cog)
        self.after: tuple[int, float, float] | None = None
        self.dark = dark
        self.loiter_s = loiter_s

    def __getstate__(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state: dict[str, object]) -> None:
        for k, v in state.items():
            setattr(self, k, v)

    def position_at(self, t: int, max_age_s: float) -> tuple[float, float, str] | None:
        t0, lon0, lat0, sog0, cog0 = self.before
        if self.after is not None and not self.dark:
            t1, lon1, lat1 = self.after
            lon, lat = interpolate_position(lon0, lat0, t0, lon1, lat1, t1, t)
            return lon, lat, "interpolated"
        age_s = (t - t0) / 1000.0
        if not self.dark and age_s > max_age_s:
            return None
        if sog0 > 0 and cog0 >= 0:
            lon, lat = destination_point(lon0, lat0, cog0, sog0 * MPS_PER_KN * age_s)
            return lon, lat, "dead_reckoned"
        return lon0, lat0, "last_fix"


class PendingScene:
    __slots__ = ("cands", "dets", "due_ms", "ts")

    def __init__(self, ts: int, due_ms: int) -> None:
        self.ts = ts
        self.due_ms = due_ms
        self.dets: list[SatelliteDetection] = []
        self.cands: dict[int, Candidate] = {}

    def __getstate__(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state: dict[str, object]) -> None:
        for k, v in state.items():
            setattr(self, k, v)


def _det_evidence(d: SatelliteDetection) -> JsonDict:
    return {"detection_id": d.detection_id, "ts": format_ts(d.ts_ms), "lon": round(d.lon, 6),
            "lat": round(d.lat, 6), "confidence": d.confidence, "sensor": d.sensor, "scene_id": d.scene_id,
            "length_m": d.length_m}


class SatMatcher:
    __slots__ = ("_snap", "_snap_ts", "ctx", "early", "pending", "watch")

    def __init__(self, ctx: DetectContext) -> None:
        self.ctx = ctx
        self.pending: dict[tuple[int, str], PendingScene] = {}
        self.watch: dict[int, list[tuple[int, str]]] = {}
        self.early: dict[int, list[JsonDict]] = {}  # detections matched to a silent vessel before its gap opened
        self._snap_ts = -1
        self._snap: dict[tuple[int, int], list[VesselState]] = {}

    def __getstate__(self) -> dict[str, object]:
        return {"pending": self.pending, "watch": self.watch, "early": self.early}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        self.pending, self.watch, self.early = state["pending"], state["watch"], state["early"]
        self._snap_ts = -1
        self._snap = {}

    def on_detection(self, det: SatelliteDetection, vessels: Mapping[int, VesselState],
                     counters: dict[str, int]) -> None:
        p = self.ctx.params.for_zone(self.ctx.zones.zone_at(det.lon, det.lat))
        if det.confidence < p.sat_min_confidence:
            counters["sat_low_confidence"] = counters.get("sat_low_confidence", 0) + 1
            return
        key = (det.ts_ms, det.scene_id)
        scene = self.pending.get(key)
        if scene is None:
            scene = self.pending[key] = PendingScene(det.ts_ms, det.ts_ms + int(p.sat_match_window_s * 1000))
        if any(d.detection_id == det.detection_id for d in scene.dets):
            counters["sat_duplicates"] = counters.get("sat_duplicates", 0) + 1
            return
        scene.dets.append(det)
        if self._snap_ts != det.ts_ms:
            self._build_snapshot(det.ts_ms, vessels)
        cx, cy = math.floor(det.lon / _SNAP_CELL_DEG), math.floor(det.lat / _SNAP_CELL_DEG)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for vs in self._snap.get((cx + dx, cy + dy), ()):
                    self._add_candidate(scene, key, vs, det.ts_ms, dark=False)
        for vs in self._snap.get((-1_000_000, 0), ()):  # silent vessels, anywhere
            self._add_candidate(scene, key, vs, det.ts_ms, dark=True)

    def _add_candidate(self, scene: PendingScene, key: tuple[int, str], vs: VesselState, t: int,
                       dark: bool) -> None:
        if vs.mmsi in scene.cands:
            return
        p = self.ctx.params.for_zone(vs.last_zone)
        slow = 0.0 <= vs.last_sog <= p.loiter_max_speed_kn
        loiter_s = vs.loiter_duration_s(t, p.sat_max_fix_age_s) if slow else 0.0
        scene.cands[vs.mmsi] = Candidate(vs, dark, loiter_s)
        if not dark:
            self.watch.setdefault(vs.mmsi, []).append(key)

    def _build_snapshot(self, t: int, vessels: Mapping[int, VesselState]) -> None:
        self._snap_ts = t
        self._snap = {}
        for vs in vessels.values():
            if vs.last_ts < 0:
                continue
            age_s = (t - vs.last_ts) / 1000.0
            p = self.ctx.params.for_zone(vs.last_zone)
            if age_s <= p.sat_max_fix_age_s + p.sat_match_window_s:
                key = (math.floor(vs.last_lon / _SNAP_CELL_DEG), math.floor(vs.last_lat / _SNAP_CELL_DEG))
                self._snap.setdefault(key, []).append(vs)
            elif age_s <= 86_400 and vs.n_reports >= p.dark_min_reports:
                self._snap.setdefault((-1_000_000, 0), []).append(vs)

    def on_fix(self, mmsi: int, ts: int, lon: float, lat: float) -> None:
        """The first fix of a watched vessel after a detection time completes its interpolation."""
        keys = self.watch.get(mmsi)
        if not keys:
            return
        keep: list[tuple[int, str]] = []
        for key in keys:
            scene = self.pending.get(key)
            if scene is None:
                continue
            c = scene.cands.get(mmsi)
            if c is None or c.after is not None:
                continue
            if ts > scene.ts:
                c.after = (ts, lon, lat)
            else:
                keep.append(key)
        if keep:
            self.watch[mmsi] = keep
        else:
            del self.watch[mmsi]

    def on_scan(self, now: int, vessels: Mapping[int, VesselState]) -> tuple[list[Alert], int]:
        out: list[Alert] = []
        due = -1
        for key in sorted(self.pending):
            scene = self.pending[key]
            if now < scene.due_ms:
                due = scene.due_ms if due < 0 else min(due, scene.due_ms)
                continue
            del self.pending[key]
            out += self._resolve(scene, vessels, now)
        if not self.pending:
            self.watch.clear()
        return out, due

    def _resolve(self, scene: PendingScene, vessels: Mapping[int, VesselState], now: int) -> list[Alert]:
        t = scene.ts
        dets = sorted(scene.dets, key=lambda d: d.detection_id)
        p0 = self.ctx.params.default
        est: dict[int, tuple[float, float, str]] = {}
        for mmsi in sorted(scene.cands):
            c = scene.cands[mmsi]
            pos = c.position_at(t, p0.sat_max_fix_age_s)
            if pos is not None:
                est[mmsi] = pos
        dist: dict[tuple[str, int], float] = {}
        options: list[tuple[float, str, int]] = []
        for d in dets:
            for mmsi, (lon, lat, _) in est.items():
                if scene.cands[mmsi].dark:
                    continue
                m = haversine_m(d.lon, d.lat, lon, lat)
                dist[(d.detection_id, mmsi)] = m
                if m <= self.ctx.params.for_zone(self.ctx.zones.zone_at(d.lon, d.lat)).sat_match_radius_m:
                    options.append((m, d.detection_id, mmsi))
        options.sort()
        matched_det: set[str] = set()
        matched_vessel: set[int] = set()
        for _, did, mmsi in options:
            if did not in matched_det and mmsi not in matched_vessel:
                matched_det.add(did)
                matched_vessel.add(mmsi)
        out: list[Alert] = []
        for d in dets:
            if d.detection_id not in matched_det:
                out += self._unmatched(d, scene, est, dist, vessels, now)
        return out

    def _unmatched(self, d: SatelliteDetection, scene: PendingScene, est: dict[int, tuple[float, float, str]],
                   dist: dict[tuple[str, int], float], vessels: Mapping[int, VesselState],
                   now: int) -> list[Alert]:
        zone = self.ctx.zones.zone_at(d.lon, d.lat)
        if zone is None:
            return []
        p = self.ctx.params.for_zone(zone)
        ev = _det_evidence(d)
        dark_hits = sorted((haversine_m(d.lon, d.lat, lon, lat), mmsi) for mmsi, (lon, lat, _) in est.items()
                           if scene.cands[mmsi].dark)
        if dark_hits and dark_hits[0][0] <= p.dark_sat_match_radius_m:
            mmsi = dark_hits[0][1]
            vs = vessels.get(mmsi)
            ev = {**ev, "distance_m": round(dark_hits[0][0]), "method": est[mmsi][2]}
            if vs is not None and vs.dark is not None:
                return dark_period.add_detection(vs, ev, now, self.ctx)
            self.early.setdefault(mmsi, []).append(ev)
            return []
        near = sorted((m, mmsi) for (did, mmsi), m in dist.items() if did == d.detection_id)
        nearest = [{"mmsi": mmsi, "distance_m": round(m), "method": est[mmsi][2]} for m, mmsi in near[:3]]
        loiterers = [(m, mmsi) for m, mmsi in near
                     if m <= p.sat_dark_rendezvous_m and scene.cands[mmsi].loiter_s >= p.sat_loiter_min_duration_s]
        evidence: dict[str, Any] = {"detection": ev, "nearest_ais": nearest, "thresholds": p.subset("sat_")}
        if loiterers:
            m, mmsi = loiterers[0]
            evidence["loitering_s"] = round(scene.cands[mmsi].loiter_s)
            draft = AlertDraft(
                kind=AlertKind.DARK_RENDEZVOUS, mmsi=(mmsi,), start_ms=d.ts_ms, zone=zone.name, closed=False,
                end_ms=d.ts_ms, updated_ms=now, severity=Severity.HIGH, score=min(1.0, 0.5 + d.confidence / 2),
                geometry=point_geometry(d.lon, d.lat), vessels=(self.ctx.identities.identity(mmsi),),
                detection_ids=(d.detection_id,), extra_id=d.detection_id, evidence=evidence,
                summary=f"unidentified vessel {m:.0f} m from loitering {mmsi} in {zone.name} ({d.sensor})")
        else:
            draft = AlertDraft(
                kind=AlertKind.DARK_VESSEL, mmsi=(), start_ms=d.ts_ms, zone=zone.name, closed=False,
                end_ms=d.ts_ms, updated_ms=now, severity=Severity.MEDIUM, score=d.confidence,
                geometry=point_geometry(d.lon, d.lat), detection_ids=(d.detection_id,),
                extra_id=d.detection_id, evidence=evidence,
                summary=f"vessel seen by {d.sensor} with no AIS within {p.sat_match_radius_m:.0f} m in {zone.name}")
        a = self.ctx.book.publish(draft)
        return [] if a is None else [a]
