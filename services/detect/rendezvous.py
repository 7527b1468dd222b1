"""Rendezvous: two AIS vessels within 500 m for ≥ 30 min, both slow, away from ports, not moving together.

Rule (defaults, per zone where the meeting starts): a vessel's new fix within ``rv_max_distance_m`` (500 m)
of the other's position *at the same instant*: its latest fix when that is fresher than
``rv_max_fix_age_s`` (15 min), else — sparse fixes, satellite passes — the new fix's vessel interpolated
back to the time of the other's fix, between its previous fix and this one, when those are at most
``rv_sparse_max_fix_age_s`` (1 h) apart (both are slow: the interpolation is good to a few tens of
metres). The meeting goes on while they keep being seen close; a reporting gap is bridged up to
``rv_bridge_max_gap_s`` (3 h) when, seen again close, neither vessel moved faster than
``rv_max_median_speed_kn`` across the gap; a **joint silence** — neither vessel heard at all since they were
last seen together — is bridged up to ``rv_joint_silence_max_s`` (24 h) when they reappear together having
drifted slowly (one encounter, as Global Fishing Watch publishes it; ``evidence.joint_silence_s``). A fix of
either vessel seen away from the other (or fast, or in port) ends it. It qualifies after
``rv_min_duration_s`` (30 min) with both median speeds < ``rv_max_median_speed_kn`` (3 kn), the pair's
centroid drifting slower than ``rv_max_drift_kn`` (2 kn: a tug and tow or a convoy moves together) and every
fix ≥ ``rv_min_port_distance_m`` (5 km) from a port or anchorage and not moored (the caller only feeds such
fixes), nor in an **anchorage inferred from the data**: a ~1 km cell whose 3 × 3 block held
≥ ``rv_anchorage_min_vessels`` (5) distinct vessels stopped (≤ 0.5 kn) within ``rv_anchorage_window_s``
(48 h), within terrestrial range of a coast (where ships anchor; offshore gatherings stay candidates).
Meetings of the same pair less than ``rv_merge_gap_s`` (4 h) apart merge into one alert.

Candidate pairs come from a spatial grid of slow vessels (cells of 0.02°, neighbours 3 × 3, columns wrapping
at the antimeridian), visited in MMSI order so the output is deterministic. The detector is self-contained so
it can also run on a stream re-keyed by spatial cell: with ``owns``, a pair series whose centroid at its first
close approach lies in a cell not owned is still followed (the same state machine as in the owning partition,
which sees the same fixes) but never published, so a meeting that drifts over a cell border stays one alert.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from typing import NamedTuple

from geo.geodesy import haversine_m, interpolate_position, mean_lon_deg, speed_kn
from msa.domain import Alert, AlertKind, Severity, format_ts
from msa.evidence import EVIDENCE_VERSION
from services.detect.alerts import AlertDraft, point_geometry, track_fix
from services.detect.context import DetectContext
from services.detect.pairs import Pair
from services.detect.stops import StopGrid
from services.detect.track import VesselStatic

__all__ = ["RENDEZVOUS_GRID_DEG", "IdentityChange", "Pair", "RendezvousDetector", "RendezvousInput", "cell_of"]

RENDEZVOUS_GRID_DEG = 0.02
_COLUMNS = round(360 / RENDEZVOUS_GRID_DEG)
_SOG_CAP = 64
_STALE_GRID_MS = 3 * 3_600_000

Cell = tuple[int, int]
Fix = tuple[int, float, float, float]  # ts_ms, lon, lat, speed_kn


class RendezvousInput(NamedTuple):
    """What the detector needs of one accepted fix (after the track filter): a candidate fix, or, with
    ``speed_kn`` None, the end of the vessel's candidacy (fast, in port or outside every zone). The streaming
    detector's stage 1 emits these (``Engine.take_outputs``); its stage 2 (per spatial cell) feeds
    them to ``on_input``."""

    mmsi: int
    ts_ms: int
    lon: float
    lat: float
    speed_kn: float | None
    zone: str | None
    identity: VesselStatic | None = None  # stage 1: the vessel's identity when the fix was handled
    prev: tuple[int, float, float] | None = None  # the vessel's previous fix (ts_ms, lon, lat), to interpolate


class IdentityChange(NamedTuple):
    """Stage 1 learnt new static data for a vessel at event time ``ts_ms`` (the rendezvous stage needs it to
    name the vessels of its alerts)."""

    mmsi: int
    ts_ms: int
    identity: VesselStatic


def cell_of(lon: float, lat: float) -> Cell:
    return (math.floor(lon / RENDEZVOUS_GRID_DEG) % _COLUMNS, math.floor(lat / RENDEZVOUS_GRID_DEG))


def _push(values: list[float], v: float) -> None:
    values.append(v)
    if len(values) > _SOG_CAP:
        del values[::2]


class RendezvousDetector:
    """Feed it slow positions in event-time order (``on_fix``/``remove``) and the watermark (``on_scan``)."""

    __slots__ = ("_grid", "_pairs_of", "_where", "ctx", "owns", "pairs", "stops")

    def __init__(self, ctx: DetectContext, owns: Callable[[Cell], bool] | None = None) -> None:
        self.ctx = ctx
        self.owns = owns
        self._grid: dict[Cell, dict[int, Fix]] = {}
        self._where: dict[int, Cell] = {}
        self._pairs_of: dict[int, set[tuple[int, int]]] = {}
        self.pairs: dict[tuple[int, int], Pair] = {}
        self.stops = StopGrid(ctx)  # anchorages learnt from where vessels stop

    def __getstate__(self) -> dict[str, object]:
        return {"grid": self._grid, "where": self._where, "pairs": self.pairs, "pairs_of": self._pairs_of,
                "stopped": self.stops.stopped}

    def restore_state(self, state: dict[str, object]) -> None:
        self._grid = state["grid"]  # type: ignore[assignment]
        self._where = state["where"]  # type: ignore[assignment]
        self.pairs = state["pairs"]  # type: ignore[assignment]
        self._pairs_of = state["pairs_of"]  # type: ignore[assignment]
        self.stops = StopGrid(self.ctx, state["stopped"])  # type: ignore[arg-type]

    # ---- input ---------------------------------------------------------------------------------------
    def on_input(self, r: RendezvousInput) -> list[Alert]:
        """A fix as the track filter passed it on: ``on_fix`` for a candidate, else ``remove``."""
        if r.speed_kn is None:
            return self.remove(r.mmsi, r.ts_ms)
        return self.on_fix(r.mmsi, r.ts_ms, r.lon, r.lat, r.speed_kn, r.zone, r.prev)

    def has(self, mmsi: int) -> bool:
        """The vessel is in the grid or has a pair (so ``remove`` has something to do)."""
        return mmsi in self._where or mmsi in self._pairs_of

    def remove(self, mmsi: int, ts: int = -1) -> list[Alert]:
        """The vessel is no candidate any more (fast, in port, outside zones): its meetings end."""
        cell = self._where.pop(mmsi, None)
        if cell is not None:
            members = self._grid[cell]
            members.pop(mmsi, None)
            if not members:
                del self._grid[cell]
        keys = self._pairs_of.get(mmsi)
        if not keys or ts < 0:
            return []
        out: list[Alert] = []
        for key in sorted(keys):
            pair = self.pairs.get(key)
            if pair is not None and pair.active:
                out += self._end_meeting(key, pair, ts)
        return out

    def on_fix(self, mmsi: int, ts: int, lon: float, lat: float, speed: float, zone: str | None,
               prev: tuple[int, float, float] | None = None) -> list[Alert]:
        """A candidate fix: ``speed`` ≤ ``rv_candidate_max_speed_kn`` and outside port exclusion (the
        caller checks both; otherwise it calls ``remove``). ``prev``: the vessel's previous fix."""
        if self.stops.in_anchorage(mmsi, ts, lon, lat, speed):
            return self.remove(mmsi, ts)
        cell = cell_of(lon, lat)
        old = self._where.get(mmsi)
        if old != cell:
            if old is not None:
                old_members = self._grid[old]
                old_members.pop(mmsi, None)
                if not old_members:
                    del self._grid[old]
            self._where[mmsi] = cell
            self._grid.setdefault(cell, {})
        self._grid[cell][mmsi] = (ts, lon, lat, speed)
        near: list[tuple[int, Fix]] = []
        cx, cy = cell
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                members = self._grid.get(((cx + dx) % _COLUMNS, cy + dy))
                if members:
                    near.extend(item for item in members.items() if item[0] != mmsi)
        out: list[Alert] = []
        p = self.ctx.params.for_zone(zone)
        close: set[int] = set()
        near.sort()
        for other, (ots, olon, olat, ospeed) in near:
            if ts - ots <= p.rv_max_fix_age_s * 1000.0:
                d = haversine_m(lon, lat, olon, olat)
            elif prev is not None and prev[0] <= ots and ts - prev[0] <= p.rv_sparse_max_fix_age_s * 1000.0:
                # not simultaneous: where this vessel was when the other was heard
                x, y = interpolate_position(prev[1], prev[2], prev[0], lon, lat, ts, ots)
                d = haversine_m(x, y, olon, olat)
            else:
                continue
            if d > p.rv_max_distance_m:
                continue
            centroid = (mean_lon_deg(lon, olon), (lat + olat) / 2.0)
            close.add(other)
            out += self._close(mmsi, (ts, lon, lat, speed), other, (ots, olon, olat, ospeed), d, centroid, zone)
        for key in sorted(self._pairs_of.get(mmsi, ())):
            other = key[0] if key[1] == mmsi else key[1]
            pair = self.pairs.get(key)
            if other in close or pair is None or not pair.active:
                continue
            ofix = self._fix_of(other)
            if ofix is not None and ts - ofix[0] <= p.rv_max_fix_age_s * 1000.0:
                out += self._end_meeting(key, pair, ts)  # both seen, not together any more
            elif pair.joint:  # back from a joint silence alone: still near where they were, or gone
                was = pair.last_a if key[0] == mmsi else pair.last_b
                pp = self.ctx.params.for_zone(pair.zone)
                if speed_kn(haversine_m(*was, lon, lat), (ts - pair.m_last) / 1000.0) > pp.rv_max_median_speed_kn:
                    out += self._end_meeting(key, pair, pair.m_last)
        return out

    def _new_pair(self, key: tuple[int, int], ts: int, zone: str, centroid: tuple[float, float]) -> Pair:
        pair = self.pairs[key] = Pair(ts, zone, centroid)
        pair.foreign = self.owns is not None and not self.owns(cell_of(*centroid))
        self._pairs_of.setdefault(key[0], set()).add(key)
        self._pairs_of.setdefault(key[1], set()).add(key)
        return pair

    def _fix_of(self, mmsi: int) -> Fix | None:
        cell = self._where.get(mmsi)
        return None if cell is None else self._grid[cell].get(mmsi)

    def _close(self, mmsi: int, fix: Fix, other: int, ofix: Fix, d: float, centroid: tuple[float, float],
               zone: str | None) -> list[Alert]:
        ts = fix[0]
        key = (mmsi, other) if mmsi < other else (other, mmsi)
        fa, fb = (fix, ofix) if mmsi < other else (ofix, fix)
        pair = self.pairs.get(key)
        out: list[Alert] = []
        starts = pair is None or not pair.active
        if pair is None:
            if zone is None:
                return []
            pair = self._new_pair(key, ts, zone, centroid)
        elif not pair.active:
            pair.begin(ts, centroid)  # a new meeting of a series still within the merge window
        else:
            p = self.ctx.params.for_zone(pair.zone)
            gap_s = (ts - pair.m_last) / 1000.0
            max_gap_s = p.rv_joint_silence_max_s if pair.joint else p.rv_bridge_max_gap_s
            if gap_s > p.rv_max_fix_age_s and not (
                    gap_s <= max_gap_s
                    and speed_kn(haversine_m(*pair.last_a, fa[1], fa[2]), gap_s) <= p.rv_max_median_speed_kn
                    and speed_kn(haversine_m(*pair.last_b, fb[1], fb[2]), gap_s) <= p.rv_max_median_speed_kn):
                out += self._end_meeting(key, pair, pair.m_last)
                starts = True
                if key not in self.pairs:
                    if zone is None:
                        return out
                    pair = self._new_pair(key, ts, zone, centroid)
                else:
                    pair.begin(ts, centroid)
            elif pair.joint:
                pair.joint_s = max(pair.joint_s, round(gap_s))
                pair.joint = False
        pair.m_last = ts
        pair.c_last = centroid
        pair.last_a, pair.last_b = (fa[1], fa[2]), (fb[1], fb[2])
        pair.closest_m = min(pair.closest_m, d)
        pair.record((ts, mmsi, fix[1], fix[2], fix[3]), d,
                    (ofix[0], other, ofix[1], ofix[2], ofix[3]) if starts else None)
        _push(pair.sogs_a, fa[3])
        _push(pair.sogs_b, fb[3])
        return out + self._evaluate(key, pair, ts, closed=False)

    # ---- decisions -----------------------------------------------------------------------------------
    def _qualifies(self, pair: Pair) -> bool:
        p = self.ctx.params.for_zone(pair.zone)
        dur_s = (pair.m_last - pair.m_start) / 1000.0
        if dur_s < p.rv_min_duration_s:
            return False
        if statistics.median(pair.sogs_a) >= p.rv_max_median_speed_kn:
            return False
        if statistics.median(pair.sogs_b) >= p.rv_max_median_speed_kn:
            return False
        drift_m = haversine_m(pair.c_first[0], pair.c_first[1], pair.c_last[0], pair.c_last[1])
        return speed_kn(drift_m, dur_s) <= p.rv_max_drift_kn

    def _end_meeting(self, key: tuple[int, int], pair: Pair, now: int) -> list[Alert]:
        out: list[Alert] = []
        if pair.alert_id is None and not self._qualifies(pair):
            if pair.meetings:
                pair.m_start = -1
            else:
                self._forget(key)
            return out
        if pair.alert_id is None:
            out += self._evaluate(key, pair, pair.m_last, closed=False)
        pair.meetings.append((pair.m_start, pair.m_last))
        pair.m_start = -1
        return out + self._evaluate(key, pair, max(now, pair.m_last), closed=True)

    def _silent_since(self, key: tuple[int, int], t_ms: int) -> bool:
        """Neither vessel of the pair has had a candidate fix after ``t_ms`` (nor left candidacy: that ends
        their meetings)."""
        for m in key:
            fix = self._fix_of(m)
            if fix is not None and fix[0] > t_ms:
                return False
        return True

    def _forget(self, key: tuple[int, int]) -> None:
        del self.pairs[key]
        for m in key:
            s = self._pairs_of.get(m)
            if s is not None:
                s.discard(key)
                if not s:
                    del self._pairs_of[m]

    def _evaluate(self, key: tuple[int, int], pair: Pair, now: int, *, closed: bool) -> list[Alert]:
        if pair.alert_id is None:
            if not self._qualifies(pair):
                return []
            pair.series_start = pair.m_start
            pair.c_series = pair.c_first
        p = self.ctx.params.for_zone(pair.zone)
        meetings = [*pair.meetings, (pair.m_start, pair.m_last)] if pair.active else list(pair.meetings)
        total_s = sum(e - s for s, e in meetings) / 1000.0
        evidence: dict[str, object] = {
            "kind": "rendezvous", "evidence_version": EVIDENCE_VERSION,
            "meetings": [{"start": format_ts(s), "end": format_ts(e) if (closed or i < len(meetings) - 1)
                          else None} for i, (s, e) in enumerate(meetings)],
            "thresholds": p.subset("rv_"),
        }
        if pair.joint_s:
            evidence["joint_silence_s"] = pair.joint_s
        if not closed:  # the meeting as it was when raised (fixed: an open alert changes only when it does)
            if pair.open_track is None:
                pair.open_track = [track_fix(m, t, x, y, sog) for t, m, x, y, sog in sorted(pair.fixes)]
            evidence["track"] = pair.open_track
        if closed:
            evidence.update({
                "together_s": round(total_s), "closest_m": round(pair.closest_m),
                "median_speed_kn": [round(statistics.median(pair.sogs_a), 2),
                                    round(statistics.median(pair.sogs_b), 2)],
                "last_centroid": [round(pair.c_last[0], 6), round(pair.c_last[1], 6)],
                "track": [track_fix(m, t, x, y, sog) for t, m, x, y, sog in sorted(pair.fixes)],
                "distance_series": [{"ts": format_ts(t), "distance_m": round(d)} for t, d in pair.dists],
            })
        severity = Severity.HIGH if closed and total_s >= p.rv_high_duration_s else Severity.MEDIUM
        draft = AlertDraft(
            kind=AlertKind.RENDEZVOUS, mmsi=key, start_ms=pair.series_start, zone=pair.zone, closed=closed,
            end_ms=meetings[-1][1] if closed else None, updated_ms=now, severity=severity,
            score=min(1.0, 0.5 + total_s / (4.0 * p.rv_min_duration_s)) if closed else 0.5,
            geometry=point_geometry(*pair.c_series),  # stable anchor point across versions
            vessels=(self.ctx.identities.identity(key[0]), self.ctx.identities.identity(key[1])),
            summary=f"{key[0]} and {key[1]} together in {pair.zone}", evidence=evidence)
        pair.alert_id = draft.alert_id
        if pair.foreign:  # another partition owns this series and publishes it
            return []
        a = self.ctx.book.publish(draft)
        return [] if a is None else [a]

    def on_scan(self, now: int) -> tuple[list[Alert], int]:
        """End meetings not seen for longer than the bridge gap; forget finished series.
        Returns alerts and the next time a scan can change anything (-1 = none pending)."""
        out: list[Alert] = []
        due = -1
        for key in sorted(self.pairs):
            pair = self.pairs[key]
            p = self.ctx.params.for_zone(pair.zone)
            if pair.active:
                end_due = pair.m_last + int(p.rv_bridge_max_gap_s * 1000)
                if now > end_due and not pair.joint and self._silent_since(key, pair.m_last):
                    pair.joint = True  # neither heard since they were together: wait for them to reappear
                if pair.joint:
                    end_due = pair.m_last + int(p.rv_joint_silence_max_s * 1000)
                if now <= end_due:
                    due = end_due if due < 0 else min(due, end_due)
                    continue
                out += self._end_meeting(key, pair, now)
                if key not in self.pairs:
                    continue
            last_end = pair.meetings[-1][1] if pair.meetings else pair.series_start
            forget = last_end + int(p.rv_merge_gap_s * 1000)
            if now > forget:
                self._forget(key)
            else:
                due = forget if due < 0 else min(due, forget)
        stale = [m for m, c in self._where.items() if now - self._grid[c][m][0] > _STALE_GRID_MS]
        for m in stale:
            self.remove(m)
        return out, due
