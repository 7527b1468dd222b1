"""Go-fast on the vessel's own clock: a provisional alert the moment a vessel's own reports satisfy the rule.

The engine handles records at the watermark (latest event time − grace: 120 s in production), because dark
periods, coverage, rendezvous and satellite matching need every vessel's reports up to a time. Go-fast needs only
the vessel's own reports, its static data and geography, so this lane runs the same rule (``go_fast.on_fix``) on
each report as it arrives, in the vessel's arrival order, and publishes what it finds at once: a *provisional*
version. The ordered track (the engine's track filter at the watermark, with identity segments, track jumps and
the shared-MMSI check) stays the authority. Its drafts go through ``confirm``:

* a draft the lane has already published (same content) is not published again — with a vessel's reports in
  order (the usual case) the versions are exactly those the ordered track gives, only two minutes sooner;
* a draft the lane did not publish (a report that came out of order, a fix the identity filter set aside) is
  published: a revision;
* a provisional version the ordered track has not confirmed once the watermark has passed the report that
  caused it is settled (``settle``): revised to the ordered track's own content, or retracted when the ordered
  track has no such alert. The lane then stays silent on that alert (``LaneTrack.deferred_id``): where the two
  disagree the ordered track decides, at most one correction per alert.

A report older than the vessel's latest in the lane (another receiver's copy) is left to the ordered track, and
the lane publishes no run of that vessel that started before one grace period after it (``unsteady_until``): the
ordered track sees another sequence than the lane did, so a provisional alert could start at another fix, or end
with other figures, and need a correction.
Reports behind the watermark (satellite batches tens of minutes late) never reach the lane. Pure: no clock, no I/O.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Callable
from functools import partial
from typing import Any

from geo.geodesy import KN_PER_MPS, approx_distance_m, haversine_m
from msa.domain import Alert, AlertStatus, PositionReport, StaticVesselData
from services.detect import go_fast
from services.detect.alerts import AlertDraft, draft_content
from services.detect.context import DetectContext
from services.detect.params import DetectionParams
from services.detect.track import IdentityBook, SlowSpell

__all__ = ["GLITCH_MIN_JUMP_M", "FastLane", "LaneTrack"]

GLITCH_MIN_JUMP_M = 250.0  # a jump shorter than this is never a glitch (position noise)
UNCONFIRMED = "not confirmed by the vessel's reports in time order"

# per zone: (params, go-fast gate kn, loiter max kn, fix gap ms, loiter bridge ms)
LaneParams = tuple[DetectionParams, float, float, float, float]


class LaneTrack(SlowSpell):
    """A vessel as the lane follows it: its latest report, slow spell and go-fast run."""

    __slots__ = ("deferred_id", "gofast", "gofast_closed_id", "held_lat", "held_lon", "held_ts", "last_lat",
                 "last_lon", "last_sog", "last_ts", "loiter_last_ts", "loiter_start_ts", "mmsi", "unsteady_until")

    def __init__(self, mmsi: int) -> None:
        self.mmsi = mmsi
        self.last_ts = -1
        self.last_lon = self.last_lat = 0.0
        self.last_sog = -1.0
        self.loiter_start_ts = self.loiter_last_ts = -1
        self.gofast: object | None = None
        self.gofast_closed_id: str | None = None
        self.held_ts = -1  # a fix the track could not reach (a glitch, or the first fix after a track jump)
        self.held_lon = self.held_lat = 0.0
        self.deferred_id: str | None = None  # the alert the lane leaves to the ordered track
        self.unsteady_until = -1  # reports came out of order: no run starting before this event time is published

    def __getstate__(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state: dict[str, object]) -> None:
        for k, v in state.items():
            setattr(self, k, v)


class FastLane:
    def __init__(self, ctx: DetectContext, params_for_zone: Callable[[str | None], LaneParams],
                 plausible_kn: float, grace_ms: int, counters: dict[str, int]) -> None:
        # the lane's own view of identities, as static data arrives (the engine's applies it at the watermark):
        # with a vessel's records in event order, both see at a report the same static data
        self.identities = IdentityBook()
        self.ctx = dataclasses.replace(ctx, identities=self.identities)
        self.grace_ms = grace_ms
        self._params = params_for_zone
        self._plausible_kn = plausible_kn
        self.counters = counters
        self.tracks: dict[int, LaneTrack] = {}
        self.log: dict[str, list[tuple[int, AlertDraft]]] = {}  # provisional versions not yet confirmed
        self.due: list[tuple[int, str]] = []  # (event time of the report that caused it, alert id)
        self.confirmed: dict[str, AlertDraft] = {}  # the ordered track's latest draft of each go-fast alert
        self.running: set[int] = set()  # vessels with a run under way in the lane

    def _count(self, key: str) -> None:
        self.counters[key] = self.counters.get(key, 0) + 1

    # ---- the vessel's own reports, as they arrive ----------------------------------------------------------
    def on_static(self, rec: StaticVesselData) -> None:
        self.identities.update(rec)

    def on_report(self, r: PositionReport, lon: float, lat: float) -> list[Alert]:
        """A report on time (not behind the watermark) with a valid position."""
        mmsi, ts = r.mmsi, r.ts_ms
        lt = self.tracks.get(mmsi)
        if lt is None:
            lt = self.tracks[mmsi] = LaneTrack(mmsi)
            return self._take(lt, r, lon, lat, 0.0, 0.0, 0.0)
        last_ts = lt.last_ts
        if ts <= last_ts:
            if ts < last_ts:  # the ordered track will see another sequence: leave the vessel to it for a grace
                self._count("gofast_lane_out_of_order")
                lt.unsteady_until = last_ts + self.grace_ms
            return []
        dt_s = (ts - last_ts) / 1000.0
        dist_m = approx_distance_m(lt.last_lon, lt.last_lat, lon, lat)
        implied = dist_m / dt_s * KN_PER_MPS
        plausible = self._plausible_kn
        if implied > plausible and dist_m > GLITCH_MIN_JUMP_M:
            held = lt.held_ts
            if last_ts < held < ts:  # two consistent fixes far from the track: the track jumped, follow them
                hdt_s = (ts - held) / 1000.0
                hdist_m = haversine_m(lt.held_lon, lt.held_lat, lon, lat)
                if hdist_m / hdt_s * KN_PER_MPS <= plausible:
                    lt.gofast = None
                    lt.last_ts, lt.last_lon, lt.last_lat = held, lt.held_lon, lt.held_lat
                    lt.held_ts = -1
                    return self._take(lt, r, lon, lat, hdt_s, hdist_m, hdist_m / hdt_s * KN_PER_MPS)
            lt.held_ts, lt.held_lon, lt.held_lat = ts, lon, lat
            return []
        return self._take(lt, r, lon, lat, dt_s, dist_m, implied)

    def _take(self, lt: LaneTrack, r: PositionReport, lon: float, lat: float, dt_s: float, dist_m: float,
              implied: float) -> list[Alert]:
        ts = r.ts_ms
        zone_obj = self.ctx.zones.zone_at(lon, lat)
        zone = None if zone_obj is None else zone_obj.name
        p, gate_kn, loiter_max_kn, fix_gap_ms, bridge_ms = self._params(zone)
        sog = r.sog_kn
        speed = sog if lt.last_ts < 0 else go_fast.fix_speed_kn(sog, implied, dt_s, p)
        out: list[Alert] = []
        if speed is not None:
            if speed <= loiter_max_kn:
                lt.note_slow(ts, implied, loiter_max_kn, fix_gap_ms, bridge_ms)
            if lt.gofast is not None or speed >= gate_kn:
                out = go_fast.on_fix(lt, ts, lon, lat, speed, dist_m, zone, p, self.ctx,
                                     publish=partial(self._provisional, lt, ts))
                if lt.gofast is not None:
                    self.running.add(lt.mmsi)
        elif lt.gofast is not None:
            out = go_fast.on_fix(lt, ts, lon, lat, speed, dist_m, zone, p, self.ctx,
                                 publish=partial(self._provisional, lt, ts))
        lt.last_ts, lt.last_lon, lt.last_lat = ts, lon, lat
        lt.last_sog = sog if sog is not None else (speed if speed is not None else -1.0)
        return out

    def _provisional(self, lt: LaneTrack, at_ms: int, draft: AlertDraft) -> Alert | None:
        aid = draft.alert_id
        if aid == lt.deferred_id or draft.start_ms < lt.unsteady_until:  # (a run the disorder may have changed)
            return None
        a = self.ctx.book.publish(draft)
        if a is not None:
            self.log.setdefault(aid, []).append((at_ms, draft))
            heapq.heappush(self.due, (at_ms, aid))
            self._count("gofast_provisional")
        return a

    def on_scan(self, now_ms: int) -> list[Alert]:
        """The lane's runs of vessels silent past the bridge gap end, as the ordered track's do."""
        out: list[Alert] = []
        for m in sorted(self.running):
            lt = self.tracks.get(m)
            if lt is None or lt.gofast is None:
                self.running.discard(m)
                continue
            out += go_fast.on_silence(lt, now_ms, self.ctx, publish=partial(self._provisional, lt, now_ms))
            if lt.gofast is None:
                self.running.discard(m)
        return out

    # ---- the ordered track, at the watermark ---------------------------------------------------------------
    def confirm(self, draft: AlertDraft) -> Alert | None:
        """The ordered track's draft: nothing new when it shows what the ordered track's previous draft showed,
        or what the lane has published already (it was ahead on the same path); else the two disagree — the
        draft is published (a revision) and the lane leaves the alert."""
        aid = draft.alert_id
        prev = self.confirmed.get(aid)
        self.confirmed[aid] = draft
        content = draft_content(draft)
        if prev is not None and draft_content(prev) == content:
            return None
        log = self.log.get(aid)
        if log:
            for k, (_, d) in enumerate(log):
                if draft_content(d) == content:
                    del log[:k + 1]
                    if not log:
                        del self.log[aid]
                    self._count("gofast_confirmed")
                    return None
            self._defer(aid, draft.mmsi[0])
        a = self.ctx.book.publish(draft)
        if a is not None and log:
            self._count("gofast_revised")
        return a

    def _defer(self, aid: str, mmsi: int) -> None:
        self.log.pop(aid, None)
        lt = self.tracks.get(mmsi)
        if lt is not None:
            lt.deferred_id = aid

    def settle(self, before_ms: int, ordered_run_id: Callable[[int], str | None]) -> list[Alert]:
        """The ordered track has handled every report before ``before_ms``: a provisional version caused by one
        of them and still unconfirmed is revised to the ordered track's content, or retracted when the ordered
        track has no such alert and cannot have it any more (its current run, ``ordered_run_id``, is another)."""
        out: list[Alert] = []
        due = self.due
        later: list[tuple[int, str]] = []
        while due and due[0][0] < before_ms:
            at_ms, aid = heapq.heappop(due)
            log = self.log.get(aid)
            if not log or log[0][0] > at_ms:
                continue  # confirmed meanwhile
            own = self.confirmed.get(aid)
            mmsi = log[0][1].mmsi[0]
            if own is None and ordered_run_id(mmsi) == aid:
                later.append((at_ms, aid))  # the ordered track's run may still raise it
                continue
            self._defer(aid, mmsi)
            a = self._correct(aid, at_ms, own)
            if a is not None:
                out.append(a)
        for item in later:
            heapq.heappush(due, item)
        return out

    def _correct(self, aid: str, at_ms: int, own: AlertDraft | None) -> Alert | None:
        book = self.ctx.book
        latest = book.get(aid)
        if latest is None or latest.status == AlertStatus.RETRACTED:
            return None
        if own is None:
            self._count("gofast_provisional_retracted")
            return book.retract(aid, at_ms, UNCONFIRMED)
        a = book.publish(own)
        if a is not None:
            self._count("gofast_revised")
        return a

    # ---- state -------------------------------------------------------------------------------------------
    def prune(self, before_ms: int) -> None:
        """Forget vessels silent since ``before_ms`` (no run) and the ordered track's drafts last updated before."""
        idle = [m for m, lt in self.tracks.items() if lt.last_ts < before_ms and lt.gofast is None]
        for m in idle:
            del self.tracks[m]
        old = [aid for aid, d in self.confirmed.items() if d.updated_ms < before_ms and aid not in self.log]
        for aid in old:
            del self.confirmed[aid]

    def state(self) -> dict[str, Any]:
        return {"tracks": self.tracks, "log": self.log, "due": self.due, "confirmed": self.confirmed,
                "running": self.running, "identities": self.identities}

    def restore_state(self, state: dict[str, Any], ctx: DetectContext) -> None:
        """``ctx``: the restored engine's (its alert book)."""
        self.tracks, self.log = state["tracks"], state["log"]
        self.due, self.confirmed, self.running = state["due"], state["confirmed"], state["running"]
        self.identities = state["identities"]
        self.ctx = dataclasses.replace(ctx, identities=self.identities)
