"""Dark vessels and dark rendezvous from satellite detections, judged from the vessels' recent tracks.

A scene (detections of one acquisition) is resolved at the first scan at or after its time + the match
window ``sat_match_window_s`` (10 min), from every vessel's compressed track history (``history.py``) *as
it was then*: where AIS says each vessel was at the detection time t —

* **interpolated** between its last kept fix before t and its first after t, when that one came within the
  window and the two are at most ``sat_loiter_max_fix_age_s`` (2 h) apart;
* else **dead-reckoned** from its last fix (SOG/COG) when that is at most ``sat_max_fix_age_s`` (30 min) old,
  or — a slow vessel (≤ ``loiter_max_speed_kn``) known from sparse satellite fixes — at most
  ``sat_loiter_max_fix_age_s`` (2 h) old; its position then carries an uncertainty of
  ``sat_drift_uncertainty_kn`` (0.5 kn) × its age; a vessel **manoeuvring** (its last fix and the one at
  least as long before it as the extrapolation, ≥ 10 min, explain less of its reported speed than 1 kn: a
  trawler's loops; or, without such a fix, slower than 5 kn) is placed at its last fix, within what its
  speed × age allows;
* an interpolated position is uncertain by the speed the straight line between its two fixes does not
  explain × the time to the nearer fix (0 for a vessel going straight). Uncertainties are capped at 3 km;
* else, when its last fix is older (up to 24 h), the vessel was **silent** at t: a dark-period candidate,
  dead-reckoned.

Detections and vessels of one scene are paired one-to-one, nearest first, within ``sat_match_radius_m``
(1.5 km) + the vessel's uncertainty. An unmatched detection (confidence ≥ ``sat_min_confidence``, inside a
zone) is:
  * evidence on a dark period if a silent vessel's dead-reckoned position is within
    ``dark_sat_match_radius_m`` (5 km) — no new alert;
  * a **dark_rendezvous** if an AIS vessel loitering at t (slow for ≥ ``sat_loiter_min_duration_s``, 15 min,
    judged from the displacement between its fixes, however sparse: ``TrackHistory.spell_start``) is within
    ``sat_dark_rendezvous_m`` (1 km) + its uncertainty;
  * otherwise a **dark_vessel**.

**Late products.** SAR products reach an operations centre 30 min to several hours after acquisition. A
detection whose scene's resolution scan has already passed is resolved at once *as of that scan* (the
tracks are read with an ``as_of`` bound, and the alert carries that scan's time): it is judged exactly as if
it had been on time, up to ``sat_max_late_s`` (6 h) late; a later one is counted (``sat_too_late``).
Dark-period evidence that arrives after the dark period closed becomes a new version of the closed alert.

Split by vessel (the streaming detector's stage 1 holds only its own MMSIs): each engine turns its own
candidates into a ``ScenePart``, keeping only those that can change the outcome — every one within reach of
a detection (one-to-one pairing, loiterers), its 3 nearest per detection (``nearest_ais``), every silent vessel
within ``dark_sat_match_radius_m`` (dark-period evidence). Resolving over the parts of every engine then
gives what one engine holding every vessel gives. Offline, an engine resolves with its own part at once;
streaming (``exchange``), it publishes the part and resolves when every other unit's part is in. Each engine
then applies what concerns it: dark-period evidence for its own vessels, the dark vessel / dark rendezvous
alert if it owns the detection (``owns``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from geo.geodesy import haversine_m
from msa.domain import (
    Alert,
    AlertKind,
    JsonDict,
    SatelliteDetection,
    SceneFootprint,
    Severity,
    format_ts,
)
from msa.evidence import EVIDENCE_VERSION
from services.detect import dark_period
from services.detect.alerts import AlertDraft, point_geometry, track_fix
from services.detect.context import DetectContext
from services.detect.scenes import (
    MAX_UNCERTAINTY_M,
    PendingScene,
    SceneCandidate,
    SceneKey,
    ScenePart,
    footprint_geometry,
    resolve_at,
    scene_candidate,
)
from services.detect.track import VesselState

__all__ = ["PendingScene", "SatMatcher", "SceneCandidate", "SceneKey", "ScenePart", "resolve_at"]

_NEAREST = 3  # nearest AIS vessels listed on a dark-vessel alert

_FOOTPRINT_KEEP_MS = 2 * 3_600_000  # a footprint is kept this long past the latest a late scene is judged


def _det_evidence(d: SatelliteDetection) -> JsonDict:
    return {"detection_id": d.detection_id, "ts": format_ts(d.ts_ms), "lon": round(d.lon, 6),
            "lat": round(d.lat, 6), "confidence": d.confidence, "sensor": d.sensor, "scene_id": d.scene_id,
            "length_m": d.length_m}


class SatMatcher:
    __slots__ = ("_r_dark_m", "_r_near_m", "awaiting", "ctx", "exchange", "footprints", "late", "late_awaiting",
                 "owns", "parts_out", "pending", "scan_ms")

    def __init__(self, ctx: DetectContext, scan_ms: int) -> None:
        self.ctx = ctx
        self.scan_ms = scan_ms
        self.pending: dict[SceneKey, PendingScene] = {}
        self.late: dict[SceneKey, PendingScene] = {}  # late detections, resolved at the next flush
        self.exchange = False  # streaming: resolve only with every unit's part (resolve_awaiting)
        self.owns: Callable[[SatelliteDetection], bool] | None = None  # None: every detection is ours
        self.awaiting: dict[SceneKey, ScenePart] = {}  # own parts of on-time scenes waiting for the others'
        self.late_awaiting: dict[SceneKey, tuple[int, ScenePart]] = {}  # (resolution scan, own part), late
        self.parts_out: list[ScenePart] = []  # own parts not yet taken by the caller (to publish)
        # scene id -> (acquisition ms, GeoJSON Polygon): attached to the scene's dark vessel alerts
        self.footprints: dict[str, tuple[int, JsonDict]] = {}
        every = [ctx.params.default, *(ctx.params.for_zone(z) for z in ctx.zones.zones)]
        self._r_near_m = max(max(p.sat_match_radius_m, p.sat_dark_rendezvous_m) for p in every) + MAX_UNCERTAINTY_M
        self._r_dark_m = max(p.dark_sat_match_radius_m for p in every)

    def __getstate__(self) -> dict[str, object]:
        return {"pending": self.pending, "late": self.late, "awaiting": self.awaiting,
                "late_awaiting": self.late_awaiting, "parts_out": self.parts_out, "footprints": self.footprints}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        self.pending, self.late = state["pending"], state["late"]
        self.awaiting, self.late_awaiting = state["awaiting"], state["late_awaiting"]
        self.parts_out = state["parts_out"]
        self.footprints = state.get("footprints", {})

    def max_late_ms(self) -> int:
        return int(self.ctx.params.default.sat_max_late_s * 1000)

    # ---- input ---------------------------------------------------------------------------------------
    def _scene(self, book: dict[SceneKey, PendingScene], det: SatelliteDetection,
               counters: dict[str, int]) -> PendingScene | None:
        p = self.ctx.params.for_zone(self.ctx.zones.zone_at(det.lon, det.lat))
        if det.confidence < p.sat_min_confidence:
            counters["sat_low_confidence"] = counters.get("sat_low_confidence", 0) + 1
            return None
        key = (det.ts_ms, det.scene_id)
        scene = book.get(key)
        if scene is None:
            scene = book[key] = PendingScene(det.ts_ms, det.ts_ms + int(p.sat_match_window_s * 1000))
        if any(d.detection_id == det.detection_id for d in scene.dets):
            counters["sat_duplicates"] = counters.get("sat_duplicates", 0) + 1
            return None
        return scene

    def on_footprint(self, fp: SceneFootprint) -> None:
        """A scene's footprint, kept (whatever its lateness: a late product's detections still need it) until
        no scene of its time can be judged any more. Every stage-1 unit reads every footprint."""
        self.footprints[fp.scene_id] = (fp.ts_ms, footprint_geometry(fp))

    def _forget_footprints(self, now: int) -> None:
        horizon = now - self.max_late_ms() - _FOOTPRINT_KEEP_MS
        for sid in [sid for sid, (ts, _) in self.footprints.items() if ts < horizon]:
            del self.footprints[sid]

    def on_detection(self, det: SatelliteDetection, counters: dict[str, int]) -> None:
        """An on-time detection (its scene's resolution scan is still ahead)."""
        scene = self._scene(self.pending, det, counters)
        if scene is not None:
            scene.dets.append(det)

    def on_late_detection(self, det: SatelliteDetection, front_ms: int, counters: dict[str, int]) -> None:
        """A detection whose scene's resolution scan has passed (``front_ms``: everything before it handled).
        Judged as of that scan at the next ``flush_late`` — or counted when more than ``sat_max_late_s`` late."""
        key = (det.ts_ms, det.scene_id)
        if key in self.pending:  # its scene is still pending on time: join it
            self.on_detection(det, counters)
            return
        scene = self._scene(self.late, det, counters)
        if scene is None:
            return
        if front_ms >= resolve_at(scene.due_ms, self.scan_ms) + self.max_late_ms():
            counters["sat_too_late"] = counters.get("sat_too_late", 0) + 1
            if not scene.dets:
                del self.late[key]
            return
        counters["sat_late"] = counters.get("sat_late", 0) + 1
        scene.dets.append(det)

    # ---- resolution ----------------------------------------------------------------------------------
    def on_scan(self, now: int, vessels: Mapping[int, VesselState]) -> tuple[list[Alert], int]:
        """Scenes due: resolve them (offline) or publish their parts and wait (``exchange``)."""
        out: list[Alert] = []
        due = -1
        if self.footprints:
            self._forget_footprints(now)
        for key in sorted(self.pending):
            scene = self.pending[key]
            if now < scene.due_ms:
                due = scene.due_ms if due < 0 else min(due, scene.due_ms)
                continue
            del self.pending[key]
            part = self.part(key, scene, vessels, now)
            if self.exchange:
                self.awaiting[key] = part
                self.parts_out.append(part)
            else:
                out += self._resolve([part], vessels, now)
        return out, due

    def flush_late(self, vessels: Mapping[int, VesselState],
                   complete: Callable[[SceneKey], bool] | None = None) -> list[Alert]:
        """Late scenes taken since the last flush (those ``complete`` accepts): their parts as of their
        resolution scan."""
        out: list[Alert] = []
        for key in sorted(self.late):
            if complete is not None and not complete(key):
                continue
            scene = self.late.pop(key)
            at = resolve_at(scene.due_ms, self.scan_ms)
            if key in self.late_awaiting:  # more detections of a scene already sent: a new part replaces it
                scene.dets = sorted({d.detection_id: d for d in (*self.late_awaiting[key][1].detections,
                                                                 *scene.dets)}.values(),
                                    key=lambda d: d.detection_id)
            part = self.part(key, scene, vessels, at)
            if self.exchange:
                self.late_awaiting[key] = (at, part)
                self.parts_out.append(part)
            else:
                out += self._resolve([part], vessels, at)
        return out

    def resolve_awaiting(self, others: Mapping[SceneKey, Sequence[ScenePart]], vessels: Mapping[int, VesselState],
                         now: int) -> list[Alert]:
        """Resolve every awaiting on-time scene with the other units' parts (``now``: the scan that made it due)."""
        out: list[Alert] = []
        for key in sorted(self.awaiting):
            own = self.awaiting.pop(key)
            out += self._resolve([own, *(p for p in others.get(key, ()) if p is not own)], vessels, now)
        return out

    def resolve_late(self, key: SceneKey, others: Sequence[ScenePart],
                     vessels: Mapping[int, VesselState]) -> list[Alert]:
        at, own = self.late_awaiting.pop(key)
        return self._resolve([own, *(p for p in others if p is not own)], vessels, at)

    def part(self, key: SceneKey, scene: PendingScene, vessels: Mapping[int, VesselState], as_of: int) -> ScenePart:
        """This engine's candidates that can change the outcome, with their positions at the scene time, from
        the tracks as they were at ``as_of`` (the scan that resolves the scene)."""
        t = scene.ts
        dets = tuple(sorted(scene.dets, key=lambda d: d.detection_id))
        est: dict[int, SceneCandidate] = {}
        for mmsi in sorted(vessels):
            c = scene_candidate(vessels[mmsi], t, as_of, self.ctx)
            if c is not None:
                est[mmsi] = c
        keep: set[int] = set()
        for d in dets:
            near: list[tuple[float, int]] = []
            for mmsi, c in est.items():
                m = haversine_m(d.lon, d.lat, c.lon, c.lat)
                if c.dark:
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
            c = est[mmsi]
            cands.append(c if c.dark else c._replace(identity=self.ctx.identities.identity_as_of(mmsi, as_of)))
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
                if m <= radius_m + c.uncertainty_m:
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
            if vs is None:
                return []
            return dark_period.add_detection(vs, ev, d.ts_ms, now, self.ctx)
        if self.owns is not None and not self.owns(d):
            return []
        near = sorted((m, mmsi) for (did, mmsi), m in dist.items() if did == d.detection_id)
        nearest = [{"mmsi": mmsi, "distance_m": round(m), "method": cands[mmsi].method}
                   for m, mmsi in near[:_NEAREST]]
        at = format_ts(d.ts_ms)
        nearby = [{"mmsi": mmsi, "ts": at, "lon": round(cands[mmsi].lon, 6), "lat": round(cands[mmsi].lat, 6),
                   "distance_m": round(m), "method": cands[mmsi].method} for m, mmsi in near[:_NEAREST]]
        loiterers = sorted((m, mmsi) for m, mmsi in near
                           if m <= p.sat_dark_rendezvous_m + cands[mmsi].uncertainty_m
                           and cands[mmsi].loiter_s >= p.sat_loiter_min_duration_s)
        evidence: dict[str, Any] = {
            "kind": "dark_vessel", "evidence_version": EVIDENCE_VERSION, "detection": ev, "detections": [ev],
            "nearby": nearby,
            "track": [track_fix(mmsi, d.ts_ms, cands[mmsi].lon, cands[mmsi].lat) for _, mmsi in near[:_NEAREST]],
            "nearest_ais": nearest, "thresholds": p.subset("sat_")}
        fp = self.footprints.get(d.scene_id)
        if fp is not None:
            evidence["footprint"] = fp[1]
        if loiterers:
            m, mmsi = loiterers[0]
            evidence["kind"] = "dark_rendezvous"
            evidence["loitering_s"] = round(cands[mmsi].loiter_s)
            evidence["position_method"] = cands[mmsi].method
            evidence["uncertainty_m"] = round(cands[mmsi].uncertainty_m)
            ident = cands[mmsi].identity
            draft = AlertDraft(
                kind=AlertKind.DARK_RENDEZVOUS, mmsi=(mmsi,), start_ms=d.ts_ms, zone=zone.name, closed=False,
                end_ms=d.ts_ms, updated_ms=now, severity=Severity.HIGH, score=min(1.0, 0.5 + d.confidence / 2),
                geometry=point_geometry(d.lon, d.lat),
                vessels=(ident if ident is not None else self.ctx.identities.identity_as_of(mmsi, now),),
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

