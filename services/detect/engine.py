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

An engine is this event-time loop around the stages its role is built from (``EngineRole``, no flags in the
loop): the vessel stage (``vessel_stage.VesselStage``: the track filter and the per-vessel detectors, with the
fast lane and satellite matching) and the pair stage (``rendezvous.RendezvousDetector``). Offline (``"all"``)
an engine has both, the vessel stage feeding its candidate fixes straight to the pair stage; the streaming
detector's stage 1 (``"vessel"``, by MMSI) has the vessel stage alone and passes those fixes on as
``RendezvousInput`` (``take_outputs``); its stage 2 (``"pairs"``, by spatial cell) has the pair stage
alone. What the streaming units exchange besides (coverage, scene parts, clocks) is ``engine_exchange.py``:
satellite scenes are resolved across stage-1 engines by exchanging ``ScenePart``s, the engine stopping at the
scan that made a scene due until ``resolve_scenes``.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any, Literal

from geo.coast import CoastDistance, load_coast
from geo.ports import PortIndex
from geo.zones import ZoneIndex
from msa.domain import Alert, PositionReport, Record, SatelliteDetection, SceneFootprint, StaticVesselData
from services.detect import dark_period
from services.detect.alerts import AlertBook
from services.detect.buffer import DETECTION, NEVER, POSITION, STATIC, EventBuffer
from services.detect.context import DetectContext
from services.detect.coverage import CoverageGrid
from services.detect.dark_vessel import SatMatcher, SceneKey, resolve_at
from services.detect.engine_exchange import UnitExchange
from services.detect.params import ParamSet
from services.detect.rendezvous import Cell, IdentityChange, RendezvousDetector, RendezvousInput
from services.detect.track import IdentityBook
from services.detect.vessel_stage import VesselStage, apply_identity

__all__ = ["ENGINE_ROLES", "Engine", "EngineRole"]

# Which detectors an engine runs. "all": every kind (offline). "vessel" (streaming stage 1, by MMSI): the
# track filter (duplicates, glitches, jumps, speed), go-fast, dark period (with its coverage bookkeeping) and
# satellite matching (dark vessel, dark rendezvous, dark-period evidence; scenes resolved across engines
# with ``enable_scene_exchange``); the fixes the rendezvous detector needs are passed on
# (``take_outputs``) instead of detected here. "pairs" (streaming stage 2, by spatial cell): only
# the rendezvous detector, fed with those ``RendezvousInput`` records (and static data for identities).
EngineRole = Literal["all", "vessel", "pairs"]
ENGINE_ROLES: tuple[EngineRole, ...] = ("all", "vessel", "pairs")

_SNAPSHOT_VERSION = 7  # 3: track histories, reception model, identity segments, late satellite scenes; 4: buffer;
# 6: the fast lane; 7: the vessel stage's state apart
_HOUSEKEEPING_MS = 3_600_000
_STATE_ATTRS = ("counters", "coverage", "watermark", "max_ts", "_buf", "_seq", "_next_scan", "_due",
                "_events_since_scan", "_next_housekeeping", "_n_records", "_barrier")
_STAGE_ATTRS = ("vessels", "_rv_out", "_n_positions")


class Engine(UnitExchange):
    def __init__(self, zones: ZoneIndex, ports: PortIndex, params: ParamSet, grace_ms: int,
                 scan_interval_ms: int = 60_000, retention_ms: int = 48 * 3_600_000,
                 pair_owner: Callable[[Cell], bool] | None = None, role: EngineRole = "all",
                 coast: CoastDistance | None = None, provisional_go_fast: bool = True) -> None:
        if role not in ENGINE_ROLES:
            raise ValueError(f"unknown engine role {role!r} (one of {', '.join(ENGINE_ROLES)})")
        self.role = role
        coast = coast if coast is not None else load_coast()
        self.ctx = DetectContext(zones, ports, params, AlertBook(), IdentityBook(), coast)
        self.grace_ms = grace_ms
        self.scan_interval_ms = scan_interval_ms
        self.retention_ms = retention_ms
        self.counters: dict[str, int] = {}
        # the pair stage: the rendezvous detector, on this engine's own fixes ("all") or on stage 1's ("pairs")
        self.rendezvous = RendezvousDetector(self.ctx, pair_owner) if role != "vessel" else None
        self.sat = SatMatcher(self.ctx, scan_interval_ms)
        d = params.default
        self.coverage = CoverageGrid(d.dark_coverage_bucket_s, coast, d.dark_offshore_min_m)
        # the vessel stage: track filter, go-fast (with its fast lane), dark period, coverage, satellite matching
        self.stage = None if role == "pairs" else VesselStage(
            self.ctx, self.coverage, self.sat, self.counters, self.rendezvous,
            grace_ms if provisional_go_fast else None)
        self.lane = None if self.stage is None else self.stage.lane
        # track histories cover what a scene judged late needs: max lateness + the loiter look-back + the window
        self._history_ms = int((d.sat_max_late_s + d.sat_loiter_max_fix_age_s + d.sat_match_window_s) * 1000
                               + 2 * scan_interval_ms)
        self.watermark = NEVER
        self.max_ts = NEVER
        self._buf = EventBuffer()
        self._seq = 0
        self._next_scan = -1
        self._due = -1
        self._events_since_scan = 0
        self._next_housekeeping = -1
        self._n_records = 0
        self._horizon: int | None = None  # see set_coverage_complete
        self._barrier: int | None = None  # scan time of scenes waiting for the other units' parts
        all_params = [params.default, *(params.for_zone(z) for z in zones.zones)]
        self._max_dark_ms = int(max(p.dark_high_gap_s for p in all_params) * 1000)

    # ---- input ---------------------------------------------------------------------------------------
    def _count(self, key: str, n: int = 1) -> None:
        self.counters[key] = self.counters.get(key, 0) + n

    def process(self, rec: Record | RendezvousInput | IdentityChange) -> list[Alert]:
        """Take one record; return the alert versions it caused (possibly none)."""
        self._n_records += 1
        ts = rec.ts_ms
        stage = self.stage
        if stage is None:
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
                return stage.on_late_fix(rec, self.watermark)
            self._buf.push((ts, POSITION, rec.mmsi, rec.lat, rec.lon, self._seq, rec))
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
            self._buf.push((ts, DETECTION, 0, rec.lat, rec.lon, self._seq, rec))
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
            self._buf.push((det.ts_ms, DETECTION, 0, det.lat, det.lon, self._seq, det))
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
        self._buf.push((at, STATIC, rec.mmsi, 0.0, 0.0, self._seq, rec))

    def _process_pairs(self, rec: Record | RendezvousInput | IdentityChange) -> list[Alert]:
        """The "pairs" role: rendezvous inputs and identities (``IdentityChange`` or static data), each applied
        at its event time."""
        ts = rec.ts_ms
        if type(rec) is RendezvousInput:
            if ts < self.watermark:
                self._count("late_beyond_grace")
                return []
            self._buf.push((ts, POSITION, rec.mmsi, rec.lat, rec.lon, self._seq, rec))
        elif type(rec) is IdentityChange or isinstance(rec, StaticVesselData):
            self._push_static(rec)
        else:
            self._count("other")
            return []
        return self._pushed(ts)

    def _pair_identity(self, rec: StaticVesselData | IdentityChange, now: int) -> list[Alert]:
        apply_identity(self.ctx, rec, now)
        return []

    def advance_watermark(self, wm_ms: int) -> list[Alert]:
        """Move the watermark forward (never back) and handle everything it passes (and late scenes)."""
        out = self._auto_flush()
        if wm_ms <= self.watermark:
            return out
        self.watermark = wm_ms
        return out + self._drain(wm_ms)

    def trace_open_silences(self) -> None:
        """(review mode, ``ctx.trace``) Record the silences still going on at the end of the input."""
        now = self.max_ts + 1
        for mmsi in sorted(self.vessels):
            dark_period.trace_open(self.vessels[mmsi], now, self.ctx, self.coverage)

    def finish(self) -> list[Alert]:
        """End of input: handle every buffered record (the watermark moves to the last event time)."""
        if self.max_ts == NEVER:
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
        stage = self.stage
        on_position: Callable[[Any], list[Alert]]
        if stage is not None:
            on_position, on_static = stage.on_position, stage.on_static
        else:
            assert self.rendezvous is not None
            on_position, on_static = self.rendezvous.on_input, self._pair_identity
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
                if item[1] == POSITION:
                    alerts = on_position(item[-1])
                    if alerts:
                        out += alerts
                elif item[1] == STATIC:
                    out += on_static(item[-1], item[0])
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
            out += lane.settle(events_to, stage.ordered_run_id)  # type: ignore[union-attr]
        return out

    def _scan(self, now: int) -> list[Alert]:
        self._count("scans")
        self._events_since_scan = 0
        out: list[Alert] = []
        due = -1

        def later(d: int) -> None:
            nonlocal due
            if d >= 0 and (due < 0 or d < due):
                due = d

        stage = self.stage
        if stage is not None:
            out += stage.on_scan(now, later)
        if self.rendezvous is not None:
            alerts, d = self.rendezvous.on_scan(now)
            out += alerts
            later(d + 1 if d >= 0 else -1)
        if self.lane is not None and self.lane.running:
            out += self.lane.on_scan(now)
        if stage is not None:
            alerts, d = self.sat.on_scan(now, stage.vessels)
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
        if self.rendezvous is not None:
            self.rendezvous.stops.prune(now)
        if self.lane is not None:
            self.lane.prune(now - self.retention_ms)
        if self.stage is not None:
            for m in self.stage.forget(now, now - self._history_ms, now - self.retention_ms):
                if self.rendezvous is not None:
                    self.rendezvous.remove(m, -1)

    # ---- state ---------------------------------------------------------------------------------------
    def stats(self) -> dict[str, int]:
        return {**self.counters, "records": self._n_records,
                "positions": 0 if self.stage is None else self.stage._n_positions,
                "vessels_tracked": len(self.vessels), "buffered": len(self._buf),
                "live_alerts": len(self.ctx.book)}

    def snapshot(self) -> bytes:
        """The whole mutable state (not zones, ports or parameters), for a checkpoint."""
        stage = self.stage
        # the vessels first: the names their objects repeat get pickle's short memo references (~20 % smaller)
        state: dict[str, Any] = {
            "stage": None if stage is None else {name: getattr(stage, name) for name in _STAGE_ATTRS}}
        state.update({name: getattr(self, name) for name in _STATE_ATTRS})
        state["role"] = self.role
        state.update(version=_SNAPSHOT_VERSION, identities=self.ctx.identities, book=self.ctx.book,
                     rendezvous=None if self.rendezvous is None else self.rendezvous.__getstate__(),
                     sat=self.sat.__getstate__(),
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
        if eng.rendezvous is not None:
            eng.rendezvous.restore_state(state["rendezvous"])
        eng.sat.restore_state(state["sat"])
        stage = eng.stage
        if stage is not None:
            for name in _STAGE_ATTRS:
                setattr(stage, name, state["stage"][name])
            stage.counters, stage.coverage = eng.counters, eng.coverage
        if eng.lane is not None:
            eng.lane.counters = eng.counters
            if state["lane"] is not None:
                eng.lane.restore_state(state["lane"], eng.ctx)
        eng.coverage.coast = eng.ctx.coast  # geography is not state
        return eng
