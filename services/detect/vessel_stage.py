"""Stage 1 of the engine (by MMSI; all of it offline): the track filter and the per-vessel detectors.

The event-time loop (``engine.py``) hands every position to :meth:`VesselStage.on_position` in event-time
order. The track filter drops duplicates, sends fixes the main track cannot reach to alternative segments
(``identity.py``: a glitch, another transmitter, or a track jump the track then follows), and runs the
detectors on the rest (:meth:`VesselStage._accept`): dark period (``dark_period.py``, with the reception
bookkeeping it needs), go-fast (``go_fast.py``, its drafts confirmed against the fast lane), the loiter
bookkeeping satellite matching reads, and rendezvous candidacy — detected here (offline) or passed on to the
pair stage as ``RendezvousInput``s (streaming). Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Callable

from geo.geodesy import KN_PER_MPS, approx_distance_m, haversine_m
from msa.domain import Alert, AlertStatus, PositionReport, StaticVesselData
from services.detect import dark_period, go_fast, identity, silence
from services.detect.context import DetectContext
from services.detect.coverage import CoverageGrid, cell_of
from services.detect.dark_vessel import SatMatcher
from services.detect.fast_lane import GLITCH_MIN_JUMP_M, FastLane, LaneParams
from services.detect.history import TrackHistory
from services.detect.identity import Identity, Segment
from services.detect.params import DetectionParams
from services.detect.rendezvous import IdentityChange, RendezvousDetector, RendezvousInput
from services.detect.track import VesselState

__all__ = ["VesselStage", "apply_identity"]

_NAV_AT_ANCHOR, _NAV_MOORED = 1, 5
_STOPPED_KN = 0.5
# per zone, the parameters the per-report path reads (a tuple: cheaper than attribute lookups)
_Hot = tuple[DetectionParams, float, float, float, float, float, float, float]
_rv_input = RendezvousInput._make  # (all fields given: cheaper than the keyword-aware constructor)


def apply_identity(ctx: DetectContext, rec: StaticVesselData | IdentityChange, at_ms: int) -> bool:
    """Static data (or a stage-1 identity change) into the identity book; True if the identity changed."""
    if type(rec) is IdentityChange:
        ctx.identities.set(rec.mmsi, rec.identity)
        return True
    return ctx.identities.update(rec, at_ms)  # type: ignore[arg-type]


class VesselStage:
    """``rendezvous``: the detector to feed candidate fixes to directly (offline), or None to pass them on
    (``take_outputs``: streaming stage 1). ``lane_grace_ms``: run the fast lane (provisional go-fast
    versions the ordered track confirms) with this grace; None: the ordered track publishes go-fast alone."""

    def __init__(self, ctx: DetectContext, coverage: CoverageGrid, sat: SatMatcher, counters: dict[str, int],
                 rendezvous: RendezvousDetector | None, lane_grace_ms: int | None) -> None:
        self.ctx = ctx
        self.coverage = coverage
        self.sat = sat
        self.counters = counters
        # go-fast on each vessel's own clock (fast_lane.py): provisional versions as reports arrive, confirmed
        # (or revised) by the ordered track at the watermark
        self.lane = None if lane_grace_ms is None else FastLane(
            ctx, self.lane_params, ctx.params.default.gofast_max_plausible_kn, lane_grace_ms, counters)
        self._gf_publish = self.lane.confirm if self.lane is not None else None
        self.rendezvous = rendezvous
        self._rv_direct = rendezvous is not None
        self.vessels: dict[int, VesselState] = {}
        self._rv_out: list[RendezvousInput | IdentityChange] = []
        self._heard_log: list[tuple[int, int, int, int]] | None = None  # (cell x, cell y, bucket, mmsi)
        self._n_positions = 0
        self._hot: dict[str | None, _Hot] = {}
        self._lane: dict[str | None, LaneParams] = {}
        params = ctx.params
        self._id = params.default  # identity thresholds: engine-wide (an MMSI's places may lie in different zones)
        all_params = [params.default, *(params.for_zone(z) for z in ctx.zones.zones)]
        self._min_dark_ms = int(min(min(p.dark_threshold_s, p.dark_threshold_offshore_s) for p in all_params) * 1000)

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

    def lane_params(self, zone: str | None) -> LaneParams:
        """The fast lane's share of the per-zone parameters (made once per zone)."""
        lane = self._lane.get(zone)
        if lane is None:
            p, gate_kn, loiter_max_kn, _, _, _, fix_gap_ms, bridge_ms = self._hot_params(zone)
            lane = self._lane[zone] = (p, gate_kn, loiter_max_kn, fix_gap_ms, bridge_ms)
        return lane

    def ordered_run_id(self, mmsi: int) -> str | None:
        """The alert id the ordered track's current go-fast run of ``mmsi`` has, or would have once raised."""
        vs = self.vessels.get(mmsi)
        run = vs.gofast if vs is not None else None
        if not isinstance(run, go_fast.Run) or go_fast.eligible(mmsi, self.ctx, self.ctx.params.for_zone(run.zone)):
            return None  # (a craft now known to be large or a declared HSC raises no go-fast)
        return run.alert_id or go_fast.alert_id_of(mmsi, run)

    def on_late_fix(self, r: PositionReport, watermark: int) -> list[Alert]:
        """A position behind the watermark: not tracked, but it may disprove an open dark period."""
        vs = self.vessels.get(r.mmsi)
        return [] if vs is None else dark_period.on_late_fix(vs, r.ts_ms, watermark, self.ctx)

    def on_static(self, rec: StaticVesselData | IdentityChange, now: int) -> list[Alert]:
        """Static data at event time ``now``: identities, go-fast retractions; stage 1 passes changes on."""
        if not apply_identity(self.ctx, rec, now):
            return []
        vs = self.vessels.get(rec.mmsi)
        out = go_fast.on_identity(vs, now, self.ctx) if vs is not None else []
        if not self._rv_direct:
            static = self.ctx.identities.static(rec.mmsi)
            if static is not None:
                self._rv_out.append(IdentityChange(rec.mmsi, now, static))
        return out

    def on_position(self, r: PositionReport) -> list[Alert]:
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
                silence.count_reception(vs, ts, lon, lat, ctx, cov)
            elif ts // cov.bucket_ms != vs.rx_bucket:
                silence.heard_bucket(vs, ts // cov.bucket_ms)
        else:
            silence.heard_bucket(vs, ts // cov.bucket_ms)
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
        rv = self.rendezvous
        if rv is not None:
            if candidate:
                prev = (last_ts, vs.last_lon, vs.last_lat) if last_ts >= 0 else None
                out += rv.on_fix(mmsi, ts, lon, lat, speed, zone, prev)  # type: ignore[arg-type]
            elif rv.has(mmsi):
                out += rv.remove(mmsi, ts)
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


    # ---- scans and housekeeping -----------------------------------------------------------------------
    def on_scan(self, now: int, later: Callable[[int], None]) -> list[Alert]:
        """Every vessel at the scan ``now``: go-fast runs ending, dark periods opening, identity anomalies
        ageing; ``later`` learns when the next scan can change something."""
        ctx = self.ctx
        out: list[Alert] = []
        for vs in self.vessels.values():
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
        return out

    def forget(self, now: int, history_from: int, idle_before: int) -> list[int]:
        """Track histories before ``history_from`` pruned; vessels silent since before ``idle_before`` with
        nothing open forgotten. Returns the MMSIs forgotten."""
        idle = []
        for m, vs in self.vessels.items():
            hist = vs.hist
            if isinstance(hist, TrackHistory):
                hist.prune(history_from)
            if vs.last_ts < idle_before and vs.gofast is None and not vs.dark and (
                    not isinstance(vs.ident, Identity) or not vs.ident.flagged(now)):
                idle.append(m)
        for m in idle:
            del self.vessels[m]
        self._count("vessels_forgotten", len(idle))
        return idle
