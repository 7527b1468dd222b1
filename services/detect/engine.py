"""The pure detection engine: records in, alert versions out, driven by event time only.

``process`` buffers each record in a time-ordered heap and moves the watermark to (max event time seen −
grace). Everything older than the watermark is then handled in event-time order, interleaved with scans
at fixed multiples of ``scan_interval_ms`` (dark periods opening, runs and meetings ending, satellite
detections resolving). A record older than the watermark is late: counted and ignored (a late position
may still retract a dark period it disproves). No wall-clock reads: the same records give the same alerts
however they are chunked or shuffled within the grace period.

The streaming detector splits the engine in two roles (``EngineRole``): stage 1 (by MMSI) runs the track
filter and the per-vessel detectors and passes every fix the rendezvous detector can use on as a
``RendezvousInput`` (``take_rendezvous_inputs``); stage 2 (by spatial cell) runs the rendezvous detector on
those. Satellite scenes are resolved across stage-1 engines by exchanging ``ScenePart``s
(``enable_scene_exchange``): the engine stops at the scan that made a scene due until ``resolve_scenes``.
"""

from __future__ import annotations

import heapq
import pickle
from collections.abc import Callable, Iterable
from typing import Any, Literal

from geo.geodesy import KN_PER_MPS, approx_distance_m, haversine_m, speed_kn
from geo.ports import PortIndex
from geo.zones import ZoneIndex
from msa.domain import Alert, PositionReport, Record, SatelliteDetection, SceneFootprint, StaticVesselData
from services.detect import dark_period, go_fast
from services.detect.alerts import AlertBook
from services.detect.context import DetectContext
from services.detect.coverage import CoverageGrid, cell_of
from services.detect.dark_vessel import SatMatcher, SceneKey, ScenePart
from services.detect.params import DetectionParams, ParamSet
from services.detect.rendezvous import Cell, IdentityChange, RendezvousDetector, RendezvousInput
from services.detect.track import IdentityBook, VesselState, nominal_interval_s

__all__ = ["ENGINE_ROLES", "Engine", "EngineRole"]

# Which detectors an engine runs. "all": every kind (offline). "vessel" (streaming stage 1, by MMSI): the
# track filter (duplicates, glitches, jumps, speed), go-fast, dark period (with its coverage bookkeeping) and
# satellite matching (dark vessel, dark rendezvous, dark-period evidence; scenes resolved across engines
# with ``enable_scene_exchange``); the fixes the rendezvous detector needs are passed on
# (``take_rendezvous_inputs``) instead of detected here. "pairs" (streaming stage 2, by spatial cell): only
# the rendezvous detector, fed with those ``RendezvousInput`` records (and static data for identities).
EngineRole = Literal["all", "vessel", "pairs"]
ENGINE_ROLES: tuple[EngineRole, ...] = ("all", "vessel", "pairs")

_SNAPSHOT_VERSION = 2  # 2: roles split the track filter (stage 1) from the rendezvous detector (stage 2)
_NEVER = -(2**62)
_GLITCH_MIN_JUMP_M = 250.0
_HOUSEKEEPING_MS = 3_600_000
_STATE_ATTRS = ("vessels", "counters", "coverage", "watermark", "max_ts", "_heap", "_seq", "_next_scan", "_due",
                "_events_since_scan", "_next_housekeeping", "_n_records", "_n_positions", "_barrier", "_rv_out")
# per zone, the parameters the per-report path reads (a tuple: cheaper than attribute lookups)
_Hot = tuple[DetectionParams, float, float, float, float, float, float]
_rv_input = RendezvousInput._make  # (all fields given: cheaper than the keyword-aware constructor)


class Engine:
    def __init__(self, zones: ZoneIndex, ports: PortIndex, params: ParamSet, grace_ms: int,
                 scan_interval_ms: int = 60_000, retention_ms: int = 48 * 3_600_000,
                 pair_owner: Callable[[Cell], bool] | None = None, role: EngineRole = "all") -> None:
        if role not in ENGINE_ROLES:
            raise ValueError(f"unknown engine role {role!r} (one of {', '.join(ENGINE_ROLES)})")
        self.role = role
        self._vessel_kinds = role != "pairs"  # track filter, go-fast, dark period, coverage, satellite matching
        self._rv_direct = role == "all"  # the rendezvous detector runs on this engine's own fixes
        self._rv_emit = role == "vessel"  # …or they are passed on (take_rendezvous_inputs)
        self.ctx = DetectContext(zones, ports, params, AlertBook(), IdentityBook())
        self.grace_ms = grace_ms
        self.scan_interval_ms = scan_interval_ms
        self.retention_ms = retention_ms
        self.vessels: dict[int, VesselState] = {}
        self.counters: dict[str, int] = {}
        self.rendezvous = RendezvousDetector(self.ctx, pair_owner)
        self.sat = SatMatcher(self.ctx)
        self.coverage = CoverageGrid(params.default.dark_coverage_bucket_s)
        self.watermark = _NEVER
        self.max_ts = _NEVER
        self._heap: list[tuple[Any, ...]] = []
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
        self._regular_cap_s = 2.0 * params.default.dark_regular_max_interval_s
        all_params = [params.default, *(params.for_zone(z) for z in zones.zones)]
        self._min_dark_ms = int(min(p.dark_threshold_s for p in all_params) * 1000)
        self._max_dark_ms = int(max(p.dark_high_gap_s for p in all_params) * 1000)

    # ---- input ---------------------------------------------------------------------------------------
    def _count(self, key: str, n: int = 1) -> None:
        self.counters[key] = self.counters.get(key, 0) + n

    def _hot_params(self, zone: str | None) -> _Hot:
        hot = self._hot.get(zone)
        if hot is None:
            p = self.ctx.params.for_zone(zone)
            hot = self._hot[zone] = (p, min(p.sprint_min_speed_kn, p.gofast_min_speed_kn), p.loiter_max_speed_kn,
                                     p.rv_candidate_max_speed_kn, p.rv_min_port_distance_m,
                                     p.gofast_max_plausible_kn, p.gofast_max_fix_gap_s * 1000.0)
        return hot

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
            heapq.heappush(self._heap, (ts, 0, rec.mmsi, rec.lat, rec.lon, self._seq, rec))
        elif isinstance(rec, StaticVesselData):  # applies at its event time, like a position
            self._push_static(rec)
        elif isinstance(rec, SatelliteDetection | SceneFootprint):
            if isinstance(rec, SatelliteDetection) and not (-90.0 <= rec.lat <= 90.0 and -180.0 <= rec.lon <= 180.0
                                                            and 0.0 <= rec.confidence <= 1.0):
                self._count("bad_detection")
                return []
            if ts < self.watermark:
                self._count("late_beyond_grace")
                return []
            rank, lat, lon = (2, rec.lat, rec.lon) if isinstance(rec, SatelliteDetection) else (1, 0.0, 0.0)
            heapq.heappush(self._heap, (ts, rank, 0, lat, lon, self._seq, rec))
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
                if self._heap[0][0] < wm or 0 <= ns <= wm:
                    return self._drain(wm)
        return []

    def _push_static(self, rec: StaticVesselData | IdentityChange) -> None:
        self._count("static")
        at = rec.ts_ms
        if at < self.watermark:  # late, but an identity is worth having: from the watermark on, in order
            self._count("late_static")
            at = self.watermark
        heapq.heappush(self._heap, (at, -1, rec.mmsi, 0.0, 0.0, self._seq, rec))

    def _process_pairs(self, rec: Record | RendezvousInput | IdentityChange) -> list[Alert]:
        """The "pairs" role: rendezvous inputs and identities (``IdentityChange`` or static data), each applied
        at its event time."""
        ts = rec.ts_ms
        if type(rec) is RendezvousInput:
            if ts < self.watermark:
                self._count("late_beyond_grace")
                return []
            heapq.heappush(self._heap, (ts, 0, rec.mmsi, rec.lat, rec.lon, self._seq, rec))
        elif type(rec) is IdentityChange or isinstance(rec, StaticVesselData):
            self._push_static(rec)
        else:
            self._count("other")
            return []
        return self._pushed(ts)

    def _identity_update(self, rec: StaticVesselData | IdentityChange) -> bool:
        if type(rec) is IdentityChange:
            self.ctx.identities.set(rec.mmsi, rec.identity)
            return True
        return self.ctx.identities.update(rec)  # type: ignore[arg-type]

    def _on_static(self, rec: StaticVesselData | IdentityChange, now: int) -> list[Alert]:
        """Static data at event time ``now``: identities, go-fast retractions; stage 1 passes changes on."""
        if not self._vessel_kinds:
            self._identity_update(rec)
            return []
        if not self._identity_update(rec):
            return []
        vs = self.vessels.get(rec.mmsi)
        out = go_fast.on_identity(vs, now, self.ctx) if vs is not None else []
        if self._rv_emit:
            static = self.ctx.identities.static(rec.mmsi)
            if static is not None:
                self._rv_out.append(IdentityChange(rec.mmsi, now, static))
        return out

    def advance_watermark(self, wm_ms: int) -> list[Alert]:
        """Move the watermark forward (never back) and handle everything it passes."""
        if wm_ms <= self.watermark:
            return []
        self.watermark = wm_ms
        return self._drain(wm_ms)

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
        heap = self._heap
        return min(self.watermark, heap[0][0]) if heap else self.watermark

    def buffered(self) -> int:
        """Records waiting for the watermark (or the coverage horizon)."""
        return len(self._heap)

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
        heap = self._heap
        front = min(self.watermark, heap[0][0]) if heap else self.watermark
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

    def finish(self) -> list[Alert]:
        """End of input: handle every buffered record (the watermark moves to the last event time)."""
        if self.max_ts == _NEVER:
            return []
        return self.advance_watermark(self.max_ts + 1)

    # ---- event-time loop -----------------------------------------------------------------------------
    def _drain(self, wm: int) -> list[Alert]:
        """Handle the records before the watermark ``wm`` and the scans at or before it (strictly before the
        coverage horizon, when one is set)."""
        out: list[Alert] = []
        if self._barrier is not None:
            return out
        events_to = wm
        h = self._horizon
        if h is not None and wm >= h:
            events_to, wm = h, h - 1
        heap = self._heap
        step = self.scan_interval_ms
        pop = heapq.heappop
        on_position = self._on_position if self._vessel_kinds else self.rendezvous.on_input
        while True:
            if self._next_scan < 0:
                if not heap or heap[0][0] >= events_to:
                    break
                self._next_scan = (heap[0][0] // step + 1) * step
            ns = self._next_scan
            limit = ns if ns <= wm else events_to  # events strictly before the next scan (and the watermark)
            n = 0
            while heap and heap[0][0] < limit:
                item = pop(heap)
                n += 1
                if item[1] == 0:
                    alerts = on_position(item[-1])
                    if alerts:
                        out += alerts
                elif item[1] == -1:
                    out += self._on_static(item[-1], item[0])
                elif item[1] == 2:
                    self._count("detections")
                    self.sat.on_detection(item[-1], self.vessels, self.counters)
                else:
                    self._count("scenes")
            self._events_since_scan += n
            if ns > wm:
                break
            top = heap[0][0] if heap and heap[0][0] < events_to else None
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
                break
        return out

    def _on_position(self, r: PositionReport) -> list[Alert]:
        ctx = self.ctx
        mmsi, ts = r.mmsi, r.ts_ms
        lon, lat = float(r.lon), float(r.lat)  # type: ignore[arg-type]  # filtered in process()
        vs = self.vessels.get(mmsi)
        if vs is None:
            vs = self.vessels[mmsi] = VesselState(mmsi)
        elif ts <= vs.last_ts:
            self._count("duplicates_or_same_time")
            return []
        self._n_positions += 1
        zone_obj = ctx.zones.zone_at(lon, lat)
        zone = None if zone_obj is None else zone_obj.name
        p, gate_kn, loiter_max_kn, rv_max_kn, rv_port_m, plausible_kn, fix_gap_ms = self._hot_params(zone)
        sog = r.sog_kn
        dist_m = dt_s = 0.0
        speed: float | None = sog
        last_ts = vs.last_ts
        if last_ts >= 0:
            dt_s = (ts - last_ts) / 1000.0
            dist_m = approx_distance_m(vs.last_lon, vs.last_lat, lon, lat)
            implied = dist_m / dt_s * KN_PER_MPS
            if implied > plausible_kn and dist_m > _GLITCH_MIN_JUMP_M:
                g = vs.glitch
                if g is None or speed_kn(haversine_m(g[1], g[2], lon, lat), (ts - g[0]) / 1000.0) > plausible_kn:
                    vs.glitch = (ts, lon, lat)
                    self._count("position_glitches")
                    return []
                self._count("track_jumps")  # two consistent fixes far from the old track: follow them
                vs.gofast = None
                last_ts = g[0]
                vs.last_ts, vs.last_lon, vs.last_lat = g
                dt_s = (ts - last_ts) / 1000.0
                dist_m = haversine_m(g[1], g[2], lon, lat)
                implied = speed_kn(dist_m, dt_s)
            if vs.glitch is not None:
                vs.glitch = None
            speed = go_fast.fix_speed_kn(sog, implied, dt_s, p)
        out: list[Alert] = []
        if vs.dark is not None or (last_ts >= 0 and ts - last_ts >= self._min_dark_ms):
            out += dark_period.on_fix(vs, ts, lon, lat, sog, ctx, self.coverage, self.counters)
            self.sat.early.pop(mmsi, None)
        # reporting regularity (dark_period.update_regularity, inlined: this runs for every report)
        nominal_s = nominal_interval_s(r.ais_class, sog, r.nav_status)
        if last_ts >= 0:
            interval_s = min(dt_s, self._regular_cap_s)
            if vs.n_reports <= 1:
                vs.ewma_interval_s, vs.ewma_nominal_s = interval_s, nominal_s
            else:
                vs.ewma_interval_s += 0.2 * (interval_s - vs.ewma_interval_s)
                vs.ewma_nominal_s += 0.2 * (nominal_s - vs.ewma_nominal_s)
        vs.n_reports += 1
        if speed is not None:
            if speed <= loiter_max_kn:  # loitering: go-fast profile and dark rendezvous
                if vs.loiter_start_ts < 0 or vs.last_sog > loiter_max_kn or ts - vs.loiter_last_ts > fix_gap_ms:
                    vs.loiter_start_ts = ts
                vs.loiter_last_ts = ts
            if vs.gofast is not None or speed >= gate_kn:
                out += go_fast.on_fix(vs, ts, lon, lat, speed, dist_m, zone, p, ctx)
        elif vs.gofast is not None:
            out += go_fast.on_fix(vs, ts, lon, lat, speed, dist_m, zone, p, ctx)
        candidate = (zone is not None and speed is not None and 0.0 <= speed <= rv_max_kn
                     and ctx.ports.farther_than(lon, lat, rv_port_m))
        if self._rv_direct:
            if candidate:
                out += self.rendezvous.on_fix(mmsi, ts, lon, lat, speed, zone)  # type: ignore[arg-type]
            elif self.rendezvous.has(mmsi):
                out += self.rendezvous.remove(mmsi, ts)
        elif candidate:
            self._rv_out.append(_rv_input((mmsi, ts, lon, lat, speed, zone, ctx.identities.static(mmsi))))
            vs.rv = True
        elif vs.rv:  # no candidate any more: the rendezvous stage ends its meetings (remove)
            self._rv_out.append(RendezvousInput(mmsi, ts, lon, lat, None, zone))
            vs.rv = False
        if self.sat.watch:
            self.sat.on_fix(mmsi, ts, lon, lat)
        cov = self.coverage
        key = cov.key_of(ts, lon, lat)
        if key != vs.cov_key:
            vs.cov_key = key
            cov.heard(mmsi, ts, lon, lat)
            if self._heard_log is not None:
                self._heard_log.append((*cell_of(lon, lat), ts // cov.bucket_ms, mmsi))
        vs.last_ts, vs.last_lon, vs.last_lat, vs.last_zone = ts, lon, lat, zone
        vs.last_sog = sog if sog is not None else (speed if speed is not None else -1.0)
        cog = r.cog_deg
        vs.last_cog = cog if cog is not None else -1.0
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
                out += go_fast.on_silence(vs, now, ctx)
                if vs.gofast is not None:
                    later(run.last_ts + int(ctx.params.for_zone(run.zone).gofast_bridge_max_gap_s * 1000) + 1)
            was_open = isinstance(vs.dark, dark_period.Gap) and vs.dark.opened
            alerts, d = dark_period.on_scan(vs, now, ctx, self.coverage, self.counters)
            out += alerts
            later(d)
            if not was_open and isinstance(vs.dark, dark_period.Gap) and vs.dark.opened:
                for ev in self.sat.early.pop(vs.mmsi, []):
                    out += dark_period.add_detection(vs, ev, now, ctx)
        if self._rv_direct or not self._vessel_kinds:
            alerts, d = self.rendezvous.on_scan(now)
            out += alerts
            later(d + 1 if d >= 0 else -1)
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
        idle = [m for m, vs in self.vessels.items() if vs.last_ts < now - self.retention_ms
                and vs.gofast is None and vs.dark is None]
        for m in idle:
            del self.vessels[m]
            self.rendezvous.remove(m, -1)
        self._count("vessels_forgotten", len(idle))

    # ---- state ---------------------------------------------------------------------------------------
    def stats(self) -> dict[str, int]:
        return {**self.counters, "records": self._n_records, "positions": self._n_positions,
                "vessels_tracked": len(self.vessels), "buffered": len(self._heap),
                "live_alerts": len(self.ctx.book)}

    def snapshot(self) -> bytes:
        """The whole mutable state (not zones, ports or parameters), for a checkpoint."""
        state = {name: getattr(self, name) for name in _STATE_ATTRS}
        state["role"] = self.role
        state.update(version=_SNAPSHOT_VERSION, identities=self.ctx.identities, book=self.ctx.book,
                     rendezvous=self.rendezvous.__getstate__(), sat=self.sat.__getstate__())
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
        return eng
