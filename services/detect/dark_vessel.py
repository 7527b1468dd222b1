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

Split by vessel (the streaming detector's stage 1 holds only its own MMSIs): at the scan that resolves a
scene, each engine turns its own candidates into a ``ScenePart`` (their estimated positions at the
detection time), keeping only those that can change the outcome — every one within ``sat_match_radius_m``
or ``sat_dark_rendezvous_m`` of a detection (one-to-one pairing, loiterers), its 3 nearest per detection
(``nearest_ais``), every silent vessel within ``dark_sat_match_radius_m`` (dark-period evidence). Resolving
over the parts of every engine then gives what one engine holding every vessel gives. Offline, an engine
resolves with its own part at once; streaming (``exchange``), it publishes the part and resolves when every
other unit's part is in (``resolve_awaiting``). Each engine then applies what concerns it: dark-period
evidence for its own vessels, the dark vessel / dark rendezvous alert if it owns the detection (``owns``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from geo.geodesy import MPS_PER_KN, destination_point, haversine_m, interpolate_position
from msa.domain import Alert, AlertKind, JsonDict, SatelliteDetection, Severity, VesselIdentity, format_ts
from services.detect import dark_period
from services.detect.alerts import AlertDraft, point_geometry
from services.detect.context import DetectContext
from services.detect.track import VesselState

__all__ = ["Candidate", "PendingScene", "SatMatcher", "SceneCandidate", "SceneKey", "ScenePart"]

_SNAP_CELL_DEG = 0.5
_NEAREST = 3  # nearest AIS vessels listed on a dark-vessel alert

SceneKey = tuple[int, str]  # (detection time ms, scene id)


class SceneCandidate(NamedTuple):
    """Where AIS says one vessel was at a scene's time (``method``: interpolated, dead_reckoned, last_fix)."""

    mmsi: int
    lon: float
    lat: float
    method: str
    dark: bool  # silent (a dark-period candidate), not a match candidate
    loiter_s: float
    identity: VesselIdentity | None  # for the dark-rendezvous alert that may name it (None when dark)


class ScenePart(NamedTuple):
    """One engine's contribution to resolving a scene: the detections it knows and its candidates."""

    key: SceneKey
    detections: tuple[SatelliteDetection, ...]
    candidates: tuple[SceneCandidate, ...]


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
    __slots__ = ("_r_dark_m", "_r_near_m", "_snap", "_snap_ts", "awaiting", "ctx", "early", "exchange", "owns",
                 "parts_out", "pending", "watch")

    def __init__(self, ctx: DetectContext) -> None:
        self.ctx = ctx
        self.pending: dict[SceneKey, PendingScene] = {}
        self.watch: dict[int, list[SceneKey]] = {}
        self.early: dict[int, list[JsonDict]] = {}  # detections matched to a silent vessel before its gap opened
        self.exchange = False  # streaming: resolve only with every unit's part (resolve_awaiting)
        self.owns: Callable[[SatelliteDetection], bool] | None = None  # None: every detection is ours
        self.awaiting: dict[SceneKey, ScenePart] = {}  # own parts of scenes waiting for the others'
        self.parts_out: list[ScenePart] = []  # own parts not yet taken by the caller (to publish)
        self._snap_ts = -1
        self._snap: dict[tuple[int, int], list[VesselState]] = {}
        every = [ctx.params.default, *(ctx.params.for_zone(z) for z in ctx.zones.zones)]
        self._r_near_m = max(max(p.sat_match_radius_m, p.sat_dark_rendezvous_m) for p in every)
        self._r_dark_m = max(p.dark_sat_match_radius_m for p in every)

    def __getstate__(self) -> dict[str, object]:
        return {"pending": self.pending, "watch": self.watch, "early": self.early, "awaiting": self.awaiting,
                "parts_out": self.parts_out}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        self.pending, self.watch, self.early = state["pending"], state["watch"], state["early"]
        self.awaiting = state.get("awaiting", {})
        self.parts_out = state.get("parts_out", [])
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
        """Scenes due: resolve them (offline) or publish their parts and wait (``exchange``)."""
        out: list[Alert] = []
        due = -1
        for key in sorted(self.pending):
            scene = self.pending[key]
            if now < scene.due_ms:
                due = scene.due_ms if due < 0 else min(due, scene.due_ms)
                continue
            del self.pending[key]
            part = self.part(key, scene)
            if self.exchange:
                self.awaiting[key] = part
                self.parts_out.append(part)
            else:
                out += self._resolve([part], vessels, now)
        if not self.pending:
            self.watch.clear()
        return out, due

    def resolve_awaiting(self, others: Mapping[SceneKey, Sequence[ScenePart]], vessels: Mapping[int, VesselState],
                         now: int) -> list[Alert]:
        """Resolve every awaiting scene with the other units' parts (``now``: the scan that made it due)."""
        out: list[Alert] = []
        for key in sorted(self.awaiting):
            own = self.awaiting.pop(key)
            out += self._resolve([own, *(p for p in others.get(key, ()) if p is not own)], vessels, now)
        return out

    def part(self, key: SceneKey, scene: PendingScene) -> ScenePart:
        """This engine's candidates that can change the outcome, with their positions at the scene time."""
        t = scene.ts
        dets = tuple(sorted(scene.dets, key=lambda d: d.detection_id))
        max_age_s = self.ctx.params.default.sat_max_fix_age_s
        est: dict[int, tuple[float, float, str]] = {}
        for mmsi in sorted(scene.cands):
            pos = scene.cands[mmsi].position_at(t, max_age_s)
            if pos is not None:
                est[mmsi] = pos
        keep: set[int] = set()
        for d in dets:
            near: list[tuple[float, int]] = []
            for mmsi, (lon, lat, _) in est.items():
                m = haversine_m(d.lon, d.lat, lon, lat)
                if scene.cands[mmsi].dark:
                    if m <= self._r_dark_m:
                        keep.add(mmsi)
                else:
                    near.append((m, mmsi))
                    if m <= self._r_near_m:
                        keep.add(mmsi)
            near.sort()
            keep.update(mmsi for _, mmsi in near[:_NEAREST])
        cands = []
        for mmsi in sorted(keep):
            c = scene.cands[mmsi]
            lon, lat, method = est[mmsi]
            ident = None if c.dark else self.ctx.identities.identity(mmsi)
            cands.append(SceneCandidate(mmsi, lon, lat, method, c.dark, c.loiter_s, ident))
        return ScenePart(key, dets, tuple(cands))

    def _resolve(self, parts: Sequence[ScenePart], vessels: Mapping[int, VesselState], now: int) -> list[Alert]:
        by_id: dict[str, SatelliteDetection] = {}
        cands: dict[int, SceneCandidate] = {}
        for part in parts:
            for det in part.detections:
                by_id.setdefault(det.detection_id, det)
            for c in part.candidates:
                cands.setdefault(c.mmsi, c)
        own = {c.mmsi for c in parts[0].candidates} if parts else set()
        dets = [by_id[k] for k in sorted(by_id)]
        dist: dict[tuple[str, int], float] = {}
        options: list[tuple[float, str, int]] = []
        for d in dets:
            radius_m = self.ctx.params.for_zone(self.ctx.zones.zone_at(d.lon, d.lat)).sat_match_radius_m
            for mmsi, c in cands.items():
                if c.dark:
                    continue
                m = haversine_m(d.lon, d.lat, c.lon, c.lat)
                dist[(d.detection_id, mmsi)] = m
                if m <= radius_m:
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
                out += self._unmatched(d, cands, own, dist, vessels, now)
        return out

    def _unmatched(self, d: SatelliteDetection, cands: Mapping[int, SceneCandidate], own: set[int],
                   dist: dict[tuple[str, int], float], vessels: Mapping[int, VesselState],
                   now: int) -> list[Alert]:
        zone = self.ctx.zones.zone_at(d.lon, d.lat)
        if zone is None:
            return []
        p = self.ctx.params.for_zone(zone)
        ev = _det_evidence(d)
        dark_hits = sorted((haversine_m(d.lon, d.lat, c.lon, c.lat), mmsi) for mmsi, c in cands.items() if c.dark)
        if dark_hits and dark_hits[0][0] <= p.dark_sat_match_radius_m:
            mmsi = dark_hits[0][1]
            if mmsi not in own:  # another unit's vessel: that unit attaches the evidence
                return []
            vs = vessels.get(mmsi)
            ev = {**ev, "distance_m": round(dark_hits[0][0]), "method": cands[mmsi].method}
            if vs is not None and vs.dark is not None:
                return dark_period.add_detection(vs, ev, now, self.ctx)
            self.early.setdefault(mmsi, []).append(ev)
            return []
        if self.owns is not None and not self.owns(d):
            return []
        near = sorted((m, mmsi) for (did, mmsi), m in dist.items() if did == d.detection_id)
        nearest = [{"mmsi": mmsi, "distance_m": round(m), "method": cands[mmsi].method}
                   for m, mmsi in near[:_NEAREST]]
        loiterers = [(m, mmsi) for m, mmsi in near
                     if m <= p.sat_dark_rendezvous_m and cands[mmsi].loiter_s >= p.sat_loiter_min_duration_s]
        evidence: dict[str, Any] = {"detection": ev, "nearest_ais": nearest, "thresholds": p.subset("sat_")}
        if loiterers:
            m, mmsi = loiterers[0]
            evidence["loitering_s"] = round(cands[mmsi].loiter_s)
            ident = cands[mmsi].identity
            draft = AlertDraft(
                kind=AlertKind.DARK_RENDEZVOUS, mmsi=(mmsi,), start_ms=d.ts_ms, zone=zone.name, closed=False,
                end_ms=d.ts_ms, updated_ms=now, severity=Severity.HIGH, score=min(1.0, 0.5 + d.confidence / 2),
                geometry=point_geometry(d.lon, d.lat),
                vessels=(ident if ident is not None else self.ctx.identities.identity(mmsi),),
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
