"""The pure detection engine: records in, alert versions out, driven by event time only.

``process`` buffers each record (``buffer.py``, in event-time order) and moves the watermark to (max event
time seen − grace). Everything older than the watermark is then handled in event-time order, interleaved with scans
at fixed multiples of ``scan_interval_ms`` (dark periods opening, runs and meetings ending, satellite
detections resolving). A record older than the watermark is late: counted and ignored (a late position
may still retract a dark period it disproves). No wall-clock reads: the same records give the same alerts
however they are chunked or shuffled within the grace period.

Go-fast, which needs only one vessel's own reports, does not wait: the fast lane (``fast_lane.py``) raises it
as each report arrives, and the go-fast drafts of the ordered track here confirm (no new version), revise or
retract what the lane published (``FastLane.confirm`` / ``settle``).

The streaming detector splits the engine in two roles (``EngineRole``): stage 1 (by MMSI) runs the track
filter and the per-vessel detectors and passes every fix the rendezvous detector can use on as a
``RendezvousInput`` (``take_rendezvous_inputs``); stage 2 (by spatial cell) runs the rendezvous detector on
those. Satellite scenes are resolved across stage-1 engines by exchanging ``ScenePart``s
(``enable_scene_exchange``): the engine stops at the scan that made a scene due until ``resolve_scenes``.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable
from typing import Any, Literal

from geo.coast import CoastDistance, load_coast
from geo.geodesy import KN_PER_MPS, approx_distance_m, haversine_m
from geo.ports import PortIndex
from geo.zones import ZoneIndex
from msa.domain import Alert, AlertStatus, PositionReport, Record, SatelliteDetection, SceneFootprint, StaticVesselData
from services.detect import dark_period, go_fast, identity
from services.detect.alerts import AlertBook
from services.detect.buffer import EventBuffer
from services.detect.context import DetectContext
from services.detect.coverage import CoverageGrid, cell_of
from services.detect.dark_vessel import SatMatcher, SceneKey, ScenePart, resolve_at
from services.detect.fast_lane import GLITCH_MIN_JUMP_M, FastLane, LaneParams
from services.detect.history import TrackHistory
from services.detect.identity import Identity, Segment
from services.detect.params import DetectionParams, ParamSet
from services.detect.rendezvous import Cell, IdentityChange, RendezvousDetector, RendezvousInput
from services.detect.track import IdentityBook, VesselState

__all__ = ["ENGINE_ROLES", "Engine", "EngineRole"]

# Which detectors an engine runs. "all": every kind (offline). "vessel" (streaming stage 1, by MMSI): the
# track filter (duplicates, glitches, jumps, speed), go-fast, dark period (with its coverage bookkeeping) and
# satellite matching (dark vessel, dark rendezvous, dark-period evidence; scenes resolved across engines
# with ``enable_scene_exchange``); the fixes the rendezvous detector needs are passed on
# (``take_rendezvous_inputs``) instead of detected here. "pairs" (streaming stage 2, by spatial cell): only
# the rendezvous detector, fed with those ``RendezvousInput`` records (and static data for identities).
EngineRole = Literal["all", "vessel", "pairs"]
ENGINE_ROLES: tuple[EngineRole, ...] = ("all", "vessel", "pairs")

_SNAPSHOT_VERSION = 6  # 3: track histories, reception model, identity segments, late satellite scenes; 4: buffer;
# 6: the fast lane
_NEVER = -(2**62)
_HOUSEKEEPING_MS = 3_600_000
_NAV_AT_ANCHOR, _NAV_MOORED = 1, 5
_STOPPED_KN = 0.5
_STATE_ATTRS = ("vessels", "counters", "coverage", "watermark", "max_ts", "_buf", "_seq", "_next_scan", "_due",
                "_events_since_scan", "_next_housekeeping", "_n_records", "_n_positions", "_barrier", "_rv_out")
# per zone, the parameters the per-report path reads (a tuple: cheaper than attribute lookups)
_Hot = tuple[DetectionParams, float, float, float, float, float, float, float]
_rv_input = RendezvousInput._make  # (all fields given: cheaper than the keyword-aware constructor)


class Engine:
    def __init__(self, zones: ZoneIndex, ports: PortIndex, params: ParamSet, grace_ms: int,
                 scan_interval_ms: int = 60_000, retention_ms: int = 48 * 3_600_000,
                 pair_owner: Callable[[Cell], bool] | None = None, role: EngineRole = "all",
                 coast: CoastDistance | None = None, provisional_go_fast: bool = True) -> None:
        if role not in ENGINE_ROLES:
            raise ValueError(f"unknown engine role {role!r} (one of {', '.join(ENGINE_ROLES)})")
        self.role = role
        self._vessel_kinds = role != "pairs"  # track filter, go-fast, dark period, coverage, satellite matching
        self._rv_direct = role == "all"  # the rendezvous detector runs on this engine's own fixes
        self._rv_emit = role == "vessel"  # …or they are passed on (take_rendezvous_inputs)
        coast = coast if coast is not None else load_coast()
        self.ctx = DetectContext(zones, ports, params, AlertBook(), IdentityBook(), coast)
        self.grace_ms = grace_ms
        self.scan_interval_ms = scan_interval_ms
        self.retention_ms = retention_ms
        self.vessels: dict[int, VesselState] = {}
        self.counters: dict[str, int] = {}
        self.rendezvous = RendezvousDetector(self.ctx, pair_owner)
        self.sat = SatMatcher(self.ctx, scan_interval_ms)
        d = params.default
        self.coverage = CoverageGrid(d.dark_coverage_bucket_s, coast, d.dark_offshore_min_m)
        # track histories cover what a scene judged late needs: max lateness + the loiter look-back + the window
        self._history_ms = int((d.sat_max_late_s + d.sat_loiter_max_fix_age_s + d.sat_match_window_s) * 1000
                               + 2 * scan_interval_ms)
        self.watermark = _NEVER
        self.max_ts = _NEVER
        self._buf = EventBuffer()
        self._seq = 0
        self._next_scan = -1
        self._due = -1
        self._events_since_scan = 0
        self._next_housekeeping = -1
        self._n_records = 0
        self._n_positions = 0
        self._hot: dict[str | None, _Hot] = {}
        # (cell x, cell y, bucket, mmsi) of this engine's own vessels, for ``take_heard`` (streaming only)
        self._heard_log: list[tuple[int, int, int, int]] | None = None
        self._horizon: int | None = None  # see set_coverage_complete
        self._barrier: int | None = None  # scan time of scenes waiting for the other units' parts
        self._rv_out: list[RendezvousInput | IdentityChange] = []
        self._id = d  # identity thresholds: engine-wide (an MMSI's places may lie in different zones)
        all_params = [params.default, *(params.for_zone(z) for z in zones.zones)]
        self._min_dark_ms = int(min(min(p.dark_threshold_s, p.dark_threshold_offshore_s) for p in all_params) * 1000)
        self._max_dark_ms = int(max(p.dark_high_gap_s for p in all_params) * 1000)
        # go-fast on each vessel's own clock (fast_lane.py): provisional versions as reports arrive, confirmed
        # (or revised) by the ordered track at the watermark
        self.lane = FastLane(self.ctx, self._lane_params, d.gofast_max_plausible_kn, grace_ms, self.counters) \
            if provisional_go_fast and self._vessel_kinds else None
        self._gf_publish = self.lane.confirm if self.lane is not None else None

    # ---- input ---------------------------------------------------------------------------------------
    def _count(self, key: str, n: int = 1) -> None:
        self.counters[key] = self.counters.get(key, 0) + n

    def _hot_params(self, zone: str | None) -> _Hot:
        hot = self._hot.get(zone)
        if hot is None:
            p = self.ctx.params.for_zone(zone)
            hot = self._hot[zone] = (p, min(p.sprint_min_speed_kn, p.gofast_min_speed_kn), p.loiter_max_speed_kn,
                                     p.rv_candidate_max_speed_kn, p.rv_min_port_distance_m,
                                     p.gofast_max_plausible_kn, p.gofast_max_fix_gap_s * 1000.0,
                                     p.loiter_bridge_max_gap_s * 1000.0)
        return hot

    def _lane_params(self, zone: str | None) -> LaneParams:
        p, gate_kn, loiter_max_kn, _, _, _, fix_gap_ms, bridge_ms = self._hot_params(zone)
        return p, gate_kn, loiter_max_kn, fix_gap_ms, bridge_ms

    def _ordered_run_id(self, mmsi: int) -> str | None:
        """The alert id the ordered track's current go-fast run of ``mmsi`` has, or would have once raised."""
        vs = self.vessels.get(mmsi)
        run = vs.gofast if vs is not None else None
        if not isinstance(run, go_fast.Run) or go_fast.eligible(mmsi, self.ctx, self.ctx.params.for_zone(run.zone)):
            return None  # (a craft now known to be large or a declared HSC raises no go-fast)
        return run.alert_id or go_fast.alert_id_of(mmsi, run)

    def process(self, rec: Record | RendezvousInput | IdentityChange) -> list[Alert]:
        """Take one record; return the alert versions it caused (possibly none)."""
        self._n_records += 1
        ts = rec.ts_ms
        if not self._vessel_kinds:
            return self._process_pairs(rec)
        if type(rec) is PositionReport:
            lat, lon = rec.lat, rec.lon
            if lat is None or lon is None:
                self._count("no_position")
                return []
            if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):  # also false for NaN
                self._count("bad_position")
                return []
            if ts < self.watermark:
                self._count("late_beyond_grace")
                vs = self.vessels.get(rec.mmsi)
                if vs is None:
                    return []
                return dark_period.on_late_fix(vs, ts, self.watermark, self.ctx)
            self._buf.push((ts, 0, rec.mmsi, rec.lat, rec.lon, self._seq, rec))
            lane = self.lane
            if lane is not None:
                early = lane.on_report(rec, float(lon), float(lat))
                if early:
                    return early + self._pushed(ts)
        elif isinstance(rec, StaticVesselData):  # applies at its event time, like a position
            self._push_static(rec)
            if self.lane is not None:
                self.lane.on_static(rec)
        elif isinstance(rec, SatelliteDetection):
            if not (-90.0 <= rec.lat <= 90.0 and -180.0 <= rec.lon <= 180.0 and 0.0 <= rec.confidence <= 1.0):
                self._count("bad_detection")
                return []
            if ts < self.watermark:
                return self._late_detection(rec)
            self._buf.push((ts, 2, 0, rec.lat, rec.lon, self._seq, rec))
        elif isinstance(rec, SceneFootprint):  # kept at once, on time or late: the scene's alerts carry it
            self._count("scenes")
            self.sat.on_footprint(rec)
            return []
        else:
            self._count("other")
            return []
        return self._pushed(ts)

    def _pushed(self, ts: int) -> list[Alert]:
        """A record of event time ``ts`` was buffered: move the watermark and handle what it passes."""
        self._seq += 1
        if ts > self.max_ts:
            self.max_ts = ts
            wm = ts - self.grace_ms
            if wm > self.watermark:
                self.watermark = wm
                ns = self._next_scan
                if self._buf.first_ts() < wm or 0 <= ns <= wm:  # type: ignore[operator]
                    return self._drain(wm)
        return []

    def _late_detection(self, det: SatelliteDetection) -> list[Alert]:
        """A detection behind the watermark: handled like an on-time one when the scan that resolves its scene
        is still ahead (buffered: the scans run from its time on), else resolved as of that scan at the next
        flush (``SatMatcher.on_late_detection``)."""
        due = det.ts_ms + int(self.ctx.params.for_zone(self.ctx.zones.zone_at(det.lon, det.lat))
                              .sat_match_window_s * 1000)
        ns = self._next_scan
        if ns < 0 or resolve_at(due, self.scan_interval_ms) >= ns:
            self._buf.push((det.ts_ms, 2, 0, det.lat, det.lon, self._seq, det))
            self._seq += 1
            return self._drain(self.watermark)
        self._count("detections")
        self.sat.on_late_detection(det, self.front_ms(), self.counters)
        return []

    def flush_late(self, complete: Callable[[SceneKey], bool] | None = None) -> list[Alert]:
        """Resolve (offline) or publish the parts of (streaming) the late scenes taken since the last call —
        those ``complete`` accepts (every detection of the scene in: the streaming unit knows its satellite
        partitions have moved past it), all of them by default."""
        if not self.sat.late:
            return []
        return self.sat.flush_late(self.vessels, complete)

    def _auto_flush(self) -> list[Alert]:
        """Offline (one engine, input in event order) late scenes are complete when taken; with the scene
        exchange the streaming unit flushes them itself (``flush_late``)."""
        return self.flush_late() if self.sat.late and not self.sat.exchange else []

    def _push_static(self, rec: StaticVesselData | IdentityChange) -> None:
        self._count("static")
        at = rec.ts_ms
        if at < self.watermark:  # late, but an identity is worth having: from the watermark on, in order
            self._count("late_static")
            at = self.watermark
        self._buf.push((at, -1, rec.mmsi, 0.0, 0.0, self._seq, rec))

    def _process_pairs(self, rec: Record | RendezvousInput | IdentityChange) -> list[Alert]:
        """The "pairs" role: rendezvous inputs and identities (``IdentityChange`` or static data), each applied
        at its event time."""
        ts = rec.ts_ms
        if type(rec) is RendezvousInput:
            if ts < self.watermark:
                self._count("late_beyond_grace")
                return []
            self._buf.push((ts, 0, rec.mmsi, rec.lat, rec.lon, self._seq, rec))
        elif type(rec) is IdentityChange or isinstance(rec, StaticVesselData):
            self._push_static(rec)
        else:
            self._count("other")
            return []
        return self._pushed(ts)

    def _identity_update(self, rec: StaticVesselData | IdentityChange, at_ms: int) -> bool:
        if type(rec) is IdentityChange:
            self.ctx.identities.set(rec.mmsi, rec.identity)
            return True
        return self.ctx.identities.update(rec, at_ms)  # type: ignore[arg-type]

    def _on_static(self, rec: StaticVesselData | IdentityChange, now: int) -> list[Alert]:
        """Static data at event time ``now``: identities, go-fast retractions; stage 1 passes changes on."""
        if not self._vessel_kinds:
            self._identity_update(rec, now)
            return []
        if not self._identity_update(rec, now):
            return []
        vs = self.vessels.get(rec.mmsi)
        out = go_fast.on_identity(vs, now, self.ctx) if vs is not None else []
        if self._rv_emit:
            static = self.ctx.identities.static(rec.mmsi)
            if static is not None:
                self._rv_out.append(IdentityChange(rec.mmsi, now, static))
        return out

    def advance_watermark(self, wm_ms: int) -> list[Alert]:
        """Move the watermark forward (never back) and handle everything it passes (and late scenes)."""
        out = self._auto_flush()
        if wm_ms <= self.watermark:
            return out
        self.watermark = wm_ms
        return out + self._drain(wm_ms)

    # ---- coverage exchange (streaming: each engine sees only some of the vessels) ---------------------
    def heard(self, mmsi: int, ts_ms: int, lon: float, lat: float) -> None:
        """Another engine's vessel was heard at (lon, lat): counts for dark-period coverage."""
        self.coverage.heard(mmsi, ts_ms, lon, lat)

    def add_coverage(self, cell: tuple[int, int], bucket: int, mmsis: Iterable[int]) -> None:
        """A coverage summary (``take_heard`` of another engine): MMSIs heard in a 0.2° cell and time bucket."""
        self.coverage.add(cell, bucket, mmsis)

    def set_coverage_complete(self, complete_ms: int | None) -> list[Alert]:
        """Streaming: the coverage of every other engine is known for event times before ``complete_ms`` (a
        bucket boundary; None = no other engine, the default). A dark-period decision at time t reads the
        buckets before t's bucket, so records and scans are then handled only before ``complete_ms`` + one
        bucket, whatever the watermark; returns what a later horizon releases."""
        self._horizon = None if complete_ms is None else complete_ms + self.coverage.bucket_ms
        return self._drain(self.watermark) if self.watermark > _NEVER else []

    def heard_complete_ms(self) -> int:
        """Every own fix before this event time has been handled (and logged for ``take_heard``): the
        earliest buffered record, or the watermark (nothing earlier can still be accepted)."""
        first = self._buf.first_ts()
        return self.watermark if first is None else min(self.watermark, first)

    def buffered(self) -> int:
        """Records waiting for the watermark (or the coverage horizon)."""
        return len(self._buf)

    def record_heard(self) -> None:
        """From now on, remember what this engine's own vessels are heard, for ``take_heard``."""
        if self._heard_log is None:
            self._heard_log = []

    def take_heard(self) -> list[tuple[int, int, int, int]]:
        """(cell x, cell y, bucket, MMSI) of own vessels heard since the last call (needs ``record_heard``).
        Every own fix before the watermark is included, so the summary of bucket b is complete once the
        watermark passes the end of b."""
        log = self._heard_log
        if not log:
            return []
        self._heard_log = []
        return log

    def front_ms(self) -> int:
        """Every record before this event time has been handled and every scan at or before it done (its
        rendezvous inputs and scene parts taken out): nothing this engine emits later is earlier."""
        first = self._buf.first_ts()
        front = self.watermark if first is None else min(self.watermark, first)
        if self._barrier is not None:
            front = min(front, self._barrier)
        if self._horizon is not None:
            front = min(front, self._horizon - 1)
        return front

    def take_rendezvous_inputs(self) -> list[RendezvousInput | IdentityChange]:
        """("vessel" role) What the rendezvous stage needs, handled since the last call, in event-time order:
        candidate fixes and ends of candidacy, and identity changes."""
        out = self._rv_out
        if not out:
            return []
        self._rv_out = []
        return out

    # ---- scene exchange (streaming: satellite scenes resolved over every stage-1 engine's vessels) ------
    def enable_scene_exchange(self, owns_detection: Callable[[SatelliteDetection], bool]) -> None:
        """Resolve satellite scenes only with the other engines' parts (``resolve_scenes``); alert on the
        detections ``owns_detection`` accepts (exactly one engine must own each)."""
        self.sat.exchange = True
        self.sat.owns = owns_detection

    def take_scene_parts(self) -> list[ScenePart]:
        """This engine's parts of the scenes that became due since the last call (to publish)."""
        parts = self.sat.parts_out
        if not parts:
            return []
        self.sat.parts_out = []
        return parts

    def awaiting_scenes(self) -> tuple[int, list[SceneKey]] | None:
        """(scan time, scenes) the engine waits at for the other engines' parts, or None."""
        if self._barrier is None:
            return None
        return self._barrier, sorted(self.sat.awaiting)

    def resolve_scenes(self, others: dict[SceneKey, list[ScenePart]]) -> list[Alert]:
        """Resolve the awaiting scenes with the other engines' parts and go on (to the next barrier, if any)."""
        now = self._barrier
        if now is None:
            return []
        self._barrier = None
        out = self.sat.resolve_awaiting(others, self.vessels, now)
        if self.watermark > _NEVER:
            out += self._drain(self.watermark)
        return out

    def set_pair_owner(self, owns: Callable[[Cell], bool] | None) -> None:
        """Restrict the rendezvous detector to pairs whose centroid lies in owned 0.02° cells."""
        self.rendezvous.owns = owns

    def max_late_ms(self) -> int:
        """How late a satellite detection may arrive and still be judged as if on time."""
        return self.sat.max_late_ms()

    def awaiting_late(self) -> list[tuple[int, SceneKey]]:
        """(resolution scan, key) of the late scenes whose own part was published, waiting for the others'."""
        return sorted((at, key) for key, (at, _) in self.sat.late_awaiting.items())

    def resolve_late(self, key: SceneKey, others: list[ScenePart]) -> list[Alert]:
        """Resolve one late scene with the other engines' parts (as of its on-time resolution scan)."""
        if key not in self.sat.late_awaiting:
            return []
        return self.sat.resolve_late(key, others, self.vessels)

    def trace_open_silences(self) -> None:
        """(review mode, ``ctx.trace``) Record the silences still going on at the end of the input."""
        now = self.max_ts + 1
        for mmsi in sorted(self.vessels):
            dark_period.trace_open(self.vessels[mmsi], now, self.ctx, self.coverage)

    def finish(self) -> list[Alert]:
        """End of input: handle every buffered record (the watermark moves to the last event time)."""
        if self.max_ts == _NEVER:
            return self.flush_late()
        return self.advance_watermark(self.max_ts + 1)

    # ---- event-time loop -----------------------------------------------------------------------------
    def _drain(self, wm: int) -> list[Alert]:
        """Handle the records before the watermark ``wm`` and the scans at or before it (strictly before the
        coverage horizon, when one is set), after the late satellite scenes taken meanwhile."""
        out: list[Alert] = self._auto_flush()
        if self._barrier is not None:
            return out
        events_to = wm
        h = self._horizon
        if h is not None and wm >= h:
            events_to, wm = h, h - 1
        buf = self._buf
        step = self.scan_interval_ms
        pop_before = buf.pop_before
        on_position = self._on_position if self._vessel_kinds else self.rendezvous.on_input
        while True:
            if self._next_scan < 0:
                first = buf.first_ts()
                if first is None or first >= events_to:
                    break
                self._next_scan = (first // step + 1) * step
            ns = self._next_scan
            limit = ns if ns <= wm else events_to  # events strictly before the next scan (and the watermark)
            n = 0
            while (item := pop_before(limit)) is not None:
                n += 1
                if item[1] == 0:
                    alerts = on_position(item[-1])
                    if alerts:
                        out += alerts
                elif item[1] == -1:
                    out += self._on_static(item[-1], item[0])
                else:
                    self._count("detections")
                    self.sat.on_detection(item[-1], self.counters)
            self._events_since_scan += n
            if ns > wm:
                break
            top = buf.first_ts()
            if top is not None and top >= events_to:
                top = None
            if self._events_since_scan == 0:  # nothing happened: jump to the next thing that can
                horizon = min(x for x in (self._due if self._due >= 0 else None, top, wm) if x is not None)
                ns = max(ns, -(-horizon // step) * step)
                if ns > wm or (top is not None and ns > top):
                    self._next_scan = ns
                    continue
            out += self._scan(ns)
            self._next_scan = ns + step
            if self.sat.awaiting:  # wait here for the other engines' parts (resolve_scenes)
                self._barrier = ns
                events_to = ns
                break
        lane = self.lane
        if lane is not None and lane.due:
            out += lane.settle(events_to, self._ordered_run_id)
        return out

    # ---- per-vessel track filter ----------------------------------------------------------------------
    def _on_position(self, r: PositionReport) -> list[Alert]:
        """The track filter: duplicates, the identity filter (``identity.py``: fixes the main track cannot
        take go to alternative segments; a hop that comes back was another transmitter), then the detectors."""
        mmsi, ts = r.mmsi, r.ts_ms
        lon, lat = float(r.lon), float(r.lat)  # type: ignore[arg-type]  # filtered in process()
        vs = self.vessels.get(mmsi)
        if vs is None:
            vs = self.vessels[mmsi] = VesselState(mmsi)
            return self._accept(vs, r, lon, lat, 0.0, 0.0, 0.0)
        last_ts = vs.last_ts
        if ts <= last_ts:
            self._count("duplicates_or_same_time")
            return []
        dt_s = (ts - last_ts) / 1000.0
        dist_m = approx_distance_m(vs.last_lon, vs.last_lat, lon, lat)
        implied = dist_m / dt_s * KN_PER_MPS
        idp = self._id
        if vs.last_hop and vs.prev_ts >= 0 and dist_m >= idp.id_hop_min_m and \
                approx_distance_m(vs.prev_lon, vs.prev_lat, lon, lat) <= idp.id_same_place_m:
            # back where the track was before its last hop: that hop was another transmitter's fix
            self._count("identity_returns")
            ident = self._identity(vs, at_prev=True)
            ident.on_alt(last_ts, vs.last_lon, vs.last_lat, idp.gofast_max_plausible_kn, held=True)
            vs.last_ts, vs.last_lon, vs.last_lat = vs.prev_ts, vs.prev_lon, vs.prev_lat
            vs.prev_ts = -1
            vs.last_hop = False
            dt_s = (ts - vs.last_ts) / 1000.0
            dist_m = approx_distance_m(vs.last_lon, vs.last_lat, lon, lat)
            implied = dist_m / dt_s * KN_PER_MPS
        if implied > idp.gofast_max_plausible_kn and dist_m > GLITCH_MIN_JUMP_M:
            return self._unreachable(vs, r, lon, lat)
        known = vs.ident
        if implied >= idp.id_hop_min_kn and dist_m >= idp.id_hop_min_m and known is not None and \
                known.nearest_alt(ts, lon, lat, idp.gofast_max_plausible_kn, idp.id_same_place_m) is not None:
            return self._to_segment(vs, known, ts, lon, lat, held=True)  # another transmitter's spot again
        return self._accept(vs, r, lon, lat, dt_s, dist_m, implied)

    def _identity(self, vs: VesselState, at_prev: bool = False) -> Identity:
        ident = vs.ident
        if not isinstance(ident, Identity):
            t, x, y = (vs.prev_ts, vs.prev_lon, vs.prev_lat) if at_prev and vs.prev_ts >= 0 else \
                (vs.last_ts, vs.last_lon, vs.last_lat)
            ident = vs.ident = Identity(Segment.start(t, x, y), identity.is_placeholder_mmsi(vs.mmsi))
        return ident

    def _unreachable(self, vs: VesselState, r: PositionReport, lon: float, lat: float) -> list[Alert]:
        """A fix the main track cannot reach: a glitch, another transmitter, or (two in a row, the main track
        silent meanwhile) a track jump that the main track follows."""
        ts = r.ts_ms
        plausible = self._id.gofast_max_plausible_kn
        ident = self._identity(vs)
        seg = ident.nearest_alt(ts, lon, lat, plausible)
        if seg is not None and seg.last_ts > vs.last_ts and ident.alert_id is None:
            self._count("track_jumps")  # two consistent fixes far from the old track: follow them
            from_ts, from_lon, from_lat = seg.last_ts, seg.lon, seg.lat
            ident.swap(seg)
            vs.gofast = None
            vs.last_ts, vs.last_lon, vs.last_lat = from_ts, from_lon, from_lat
            vs.prev_ts = -1
            dt_s = max(0.001, (ts - from_ts) / 1000.0)
            dist_m = haversine_m(from_lon, from_lat, lon, lat)
            out = self._accept(vs, r, lon, lat, dt_s, dist_m, dist_m / dt_s * KN_PER_MPS, jumped=True)
            return out + self._identity_alerts(vs, ident, ts)
        return self._to_segment(vs, ident, ts, lon, lat, held=False)

    def _to_segment(self, vs: VesselState, ident: Identity, ts: int, lon: float, lat: float,
                    held: bool) -> list[Alert]:
        """A fix of another transmitter (or a glitch): to its segment, never to the detectors."""
        n = len(ident.alts)
        seg = ident.on_alt(ts, lon, lat, self._id.gofast_max_plausible_kn, held=held)
        self._count("position_glitches" if seg.n == 1 and len(ident.alts) > n else "identity_segment_fixes")
        return self._identity_alerts(vs, ident, ts)

    def _identity_alerts(self, vs: VesselState, ident: Identity, ts: int) -> list[Alert]:
        was_flagged = ident.alert_id is not None
        out = identity.publish(vs.mmsi, ident, self.ctx, ts)
        if out and not was_flagged:  # newly an identity anomaly: this MMSI raises nothing else
            out += self._silence_other_kinds(vs, ts)
        return out

    def _silence_other_kinds(self, vs: VesselState, ts: int) -> list[Alert]:
        """Retract the go-fast and dark-period alerts of an MMSI found to be shared by several transmitters."""
        out: list[Alert] = []
        reason = "the MMSI is shared by several transmitters (identity anomaly)"
        ids: list[str] = []
        run = vs.gofast
        if isinstance(run, go_fast.Run) and run.alert_id:
            ids.append(run.alert_id)
        if vs.gofast_closed_id:
            ids.append(vs.gofast_closed_id)
        gap = vs.dark
        if isinstance(gap, dark_period.Gap) and gap.alert_id:
            ids.append(gap.alert_id)
        ids += [aid for aid, *_ in (vs.dark_closed or [])]
        for aid in ids:
            prev = self.ctx.book.get(aid)
            if prev is not None and prev.status != AlertStatus.RETRACTED and prev.updated_ms >= ts - identity.FLAG_MS:
                a = self.ctx.book.retract(aid, ts, reason)
                if a is not None:
                    out.append(a)
        vs.gofast = None
        vs.dark = None
        return out

    # ---- the detectors on the main track --------------------------------------------------------------
    def _accept(self, vs: VesselState, r: PositionReport, lon: float, lat: float, dt_s: float, dist_m: float,
                implied: float, jumped: bool = False) -> list[Alert]:
        ctx = self.ctx
        mmsi, ts = vs.mmsi, r.ts_ms
        self._n_positions += 1
        zone_obj = ctx.zones.zone_at(lon, lat)
        zone = None if zone_obj is None else zone_obj.name
        p, gate_kn, loiter_max_kn, rv_max_kn, rv_port_m, _plausible, fix_gap_ms, loiter_bridge_ms = \
            self._hot_params(zone)
        sog = r.sog_kn
        speed: float | None = sog
        last_ts = vs.last_ts
        if last_ts >= 0:
            speed = go_fast.fix_speed_kn(sog, implied, dt_s, p)
        ident = vs.ident
        flagged = False
        if isinstance(ident, Identity):
            ident.on_main(ts, lon, lat)
            flagged = ident.flagged(ts)
        out: list[Alert] = []
        cov = self.coverage
        if last_ts >= 0:
            if vs.dark is not None or ts - last_ts >= self._min_dark_ms:
                out += dark_period.on_fix(vs, ts, lon, lat, sog, ctx, cov, self.counters)
            if ts - last_ts >= cov.bucket_ms:
                dark_period.count_reception(vs, ts, lon, lat, ctx, cov)
            elif ts // cov.bucket_ms != vs.rx_bucket:
                dark_period.heard_bucket(vs, ts // cov.bucket_ms)
        else:
            dark_period.heard_bucket(vs, ts // cov.bucket_ms)
        vs.n_reports += 1
        if speed is not None:
            if speed <= loiter_max_kn:  # loitering: go-fast profile and dark rendezvous
                vs.note_slow(ts, implied, loiter_max_kn, fix_gap_ms, loiter_bridge_ms)
            if not flagged and (vs.gofast is not None or speed >= gate_kn):
                out += go_fast.on_fix(vs, ts, lon, lat, speed, dist_m, zone, p, ctx, self._gf_publish)
        elif vs.gofast is not None:
            out += go_fast.on_fix(vs, ts, lon, lat, speed, dist_m, zone, p, ctx, self._gf_publish)
        nav = r.nav_status
        candidate = (zone is not None and speed is not None and 0.0 <= speed <= rv_max_kn and not flagged
                     and nav != _NAV_MOORED and not jumped
                     and ctx.ports.farther_than(lon, lat, rv_port_m)
                     and not (nav == _NAV_AT_ANCHOR and not ctx.coast.offshore(lon, lat, p.dark_offshore_min_m))
                     and not (speed <= _STOPPED_KN and ctx.coast.near_shore(lon, lat, p.rv_stopped_min_shore_m)))
        if self._rv_direct:
            if candidate:
                prev = (last_ts, vs.last_lon, vs.last_lat) if last_ts >= 0 else None
                out += self.rendezvous.on_fix(mmsi, ts, lon, lat, speed, zone, prev)  # type: ignore[arg-type]
            elif self.rendezvous.has(mmsi):
                out += self.rendezvous.remove(mmsi, ts)
        elif candidate:
            prev = (last_ts, vs.last_lon, vs.last_lat) if last_ts >= 0 else None
            self._rv_out.append(_rv_input((mmsi, ts, lon, lat, speed, zone, ctx.identities.static(mmsi), prev)))
            vs.rv = True
        elif vs.rv:  # no candidate any more: the rendezvous stage ends its meetings (remove)
            self._rv_out.append(RendezvousInput(mmsi, ts, lon, lat, None, zone))
            vs.rv = False
        key = cov.key_of(ts, lon, lat)
        if key != vs.cov_key:
            vs.cov_key = key
            cov.heard(mmsi, ts, lon, lat)
            if self._heard_log is not None:
                self._heard_log.append((*cell_of(lon, lat), ts // cov.bucket_ms, mmsi))
        hist = vs.hist
        if hist is None:
            hist = vs.hist = TrackHistory()
        last_sog = sog if sog is not None else (speed if speed is not None else -1.0)
        cog = r.cog_deg
        hist.add(ts, lon, lat, last_sog, cog if cog is not None else -1.0)
        vs.last_hop = dist_m >= self._id.id_hop_min_m and implied >= self._id.id_hop_min_kn
        vs.prev_ts, vs.prev_lon, vs.prev_lat = vs.last_ts, vs.last_lon, vs.last_lat
        vs.last_ts, vs.last_lon, vs.last_lat, vs.last_zone = ts, lon, lat, zone
        vs.last_sog = last_sog
        vs.last_cog = cog if cog is not None else -1.0
        vs.last_nav = nav if nav is not None else -1
        vs.class_b = r.ais_class == "B"
        return out

    def _scan(self, now: int) -> list[Alert]:
        self._count("scans")
        self._events_since_scan = 0
        ctx = self.ctx
        out: list[Alert] = []
        due = -1

        def later(d: int) -> None:
            nonlocal due
            if d >= 0 and (due < 0 or d < due):
                due = d

        for vs in self.vessels.values() if self._vessel_kinds else ():
            run = vs.gofast
            if isinstance(run, go_fast.Run):
                out += go_fast.on_silence(vs, now, ctx, self._gf_publish)
                if vs.gofast is not None:
                    later(run.last_ts + int(ctx.params.for_zone(run.zone).gofast_bridge_max_gap_s * 1000) + 1)
            alerts, d = dark_period.on_scan(vs, now, ctx, self.coverage, self.counters)
            out += alerts
            later(d)
            ident = vs.ident
            if isinstance(ident, Identity) and ident.alert_id is not None:
                alerts, d = identity.on_scan(vs.mmsi, ident, ctx, now)
                out += alerts
                later(d)
        if self._rv_direct or not self._vessel_kinds:
            alerts, d = self.rendezvous.on_scan(now)
            out += alerts
            later(d + 1 if d >= 0 else -1)
        if self.lane is not None and self.lane.running:
            out += self.lane.on_scan(now)
        if self._vessel_kinds:
            alerts, d = self.sat.on_scan(now, self.vessels)
            out += alerts
            later(d)
        if now >= self._next_housekeeping:
            self._housekeeping(now)
        self._due = due
        self._count("alert_versions", len(out))
        return out

    def _housekeeping(self, now: int) -> None:
        self._next_housekeeping = now + _HOUSEKEEPING_MS
        self.ctx.book.prune(now - self.retention_ms)
        self.coverage.prune(now - 2 * self._max_dark_ms)
        self.rendezvous.prune_stopped(now)
        if self.lane is not None:
            self.lane.prune(now - self.retention_ms)
        keep_from = now - self._history_ms
        idle = []
        for m, vs in self.vessels.items():
            hist = vs.hist
            if isinstance(hist, TrackHistory):
                hist.prune(keep_from)
            if vs.last_ts < now - self.retention_ms and vs.gofast is None and not vs.dark and (
                    not isinstance(vs.ident, Identity) or not vs.ident.flagged(now)):
                idle.append(m)
        for m in idle:
            del self.vessels[m]
            self.rendezvous.remove(m, -1)
        self._count("vessels_forgotten", len(idle))

    # ---- state ---------------------------------------------------------------------------------------
    def stats(self) -> dict[str, int]:
        return {**self.counters, "records": self._n_records, "positions": self._n_positions,
                "vessels_tracked": len(self.vessels), "buffered": len(self._buf),
                "live_alerts": len(self.ctx.book)}

    def snapshot(self) -> bytes:
        """The whole mutable state (not zones, ports or parameters), for a checkpoint."""
        state = {name: getattr(self, name) for name in _STATE_ATTRS}
        state["role"] = self.role
        state.update(version=_SNAPSHOT_VERSION, identities=self.ctx.identities, book=self.ctx.book,
                     rendezvous=self.rendezvous.__getstate__(), sat=self.sat.__getstate__(),
                     lane=None if self.lane is None else self.lane.state())
        return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def restore(cls, data: bytes, zones: ZoneIndex, ports: PortIndex, params: ParamSet, grace_ms: int,
                **kwargs: Any) -> Engine:
        """Rebuild an engine from ``snapshot()`` bytes (trusted: our own checkpoints only)."""
        state = pickle.loads(data)
        if state.get("version") != _SNAPSHOT_VERSION:
            raise ValueError(f"unsupported engine snapshot version {state.get('version')!r}")
        eng = cls(zones, ports, params, grace_ms, **kwargs)
        if state.get("role") != eng.role:
            raise ValueError(f"an engine snapshot of role {state.get('role')!r} cannot restore as {eng.role!r}")
        for name in _STATE_ATTRS:
            setattr(eng, name, state[name])
        eng.ctx.identities, eng.ctx.book = state["identities"], state["book"]
        eng.rendezvous.restore_state(state["rendezvous"])
        eng.sat.restore_state(state["sat"])
        if eng.lane is not None:
            eng.lane.counters = eng.counters
            if state["lane"] is not None:
                eng.lane.restore_state(state["lane"], eng.ctx)
        eng.coverage.coast = eng.ctx.coast  # geography is not state
        return eng
