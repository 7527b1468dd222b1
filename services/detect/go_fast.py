"""Go-fast: a small or unknown craft sustaining high speed, and the loiter-then-sprint-to-coast profile.

Rule (defaults, per zone):
* speed ≥ ``gofast_min_speed_kn`` (30 kn) on ≥ ``gofast_min_fixes`` (3) consecutive fixes spanning
  ≥ ``gofast_min_duration_s`` (5 min); fixes ≤ ``gofast_max_fix_gap_s`` (10 min) apart, a longer
  reporting gap up to ``gofast_bridge_max_gap_s`` (2 h) is bridged when the speed across it is fast;
* the craft is ≤ ``gofast_max_length_m`` (20 m) or of unknown length, and not a declared high-speed
  craft (ship type 40–49);
* speed is the reported SOG, vetoed when the positions do not move accordingly (implied speed < 60 % of
  the threshold over ≥ 30 s); without SOG the implied speed. A single position jump is a glitch (the
  engine's track filter drops it before it gets here);
* the run goes somewhere: its net displacement (first to last fix) over its duration is ≥
  ``gofast_min_net_ratio`` (0.5) × the threshold — fixes alternating between two places (an MMSI shared
  by two transmitters, ``identity.py``) never make a go-fast however fast each hop looks;
* sparse fixes (satellite passes) continue a run across a gap up to ``gofast_bridge_max_gap_s`` (2 h)
  when the speed across it is fast (the displacement over the gap is a lower bound of the speed).
Severity high from ``gofast_high_speed_kn`` (40 kn) mean speed.

Loiter then sprint: after ≥ ``loiter_min_duration_s`` (30 min) slow (≤ 3 kn), a run starting within
``sprint_max_delay_s`` only needs ``sprint_min_speed_kn`` (25 kn) if it closes ≥
``sprint_min_coast_approach_m`` (5 km) on the coast (nearest port/anchorage); it is then high severity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from geo.geodesy import haversine_m, speed_kn
from msa.domain import Alert, AlertKind, Severity, make_alert_id
from msa.evidence import EVIDENCE_VERSION
from services.detect.alerts import AlertDraft, line_geometry, track_fix
from services.detect.context import DetectContext
from services.detect.params import DetectionParams

__all__ = ["GoFastTrack", "Publish", "Run", "alert_id_of", "eligible", "fix_speed_kn", "on_fix", "on_identity",
           "on_silence"]

# where a draft goes: the alert book (``AlertBook.publish``), or the fast lane's provisional / confirming publish
Publish = Callable[[AlertDraft], "Alert | None"]


class GoFastTrack(Protocol):
    """What go-fast reads and writes of a vessel: ``track.VesselState`` (the ordered track at the watermark)
    or ``fast_lane.LaneTrack`` (the vessel's own reports as they arrive)."""

    mmsi: int
    last_ts: int
    loiter_last_ts: int
    gofast: object | None
    gofast_closed_id: str | None

    def loiter_duration_s(self, ts_ms: int, gap_tolerance_s: float) -> float: ...

_PATH_MAX = 40
_PATH_STEP_MS = 30_000
PROFILE_SPRINT = "loiter_then_sprint_to_coast"


class Run:
    __slots__ = ("alert_id", "coast_start_m", "dist_m", "last_lat", "last_lon", "last_ts", "loitered",
                 "max_kn", "n", "open_track", "path", "profile", "severity", "sig", "start_ts", "sum_kn", "thr_kn",
                 "zone")

    def __init__(self, ts: int, lon: float, lat: float, thr_kn: float, loitered: bool) -> None:
        self.start_ts = self.last_ts = ts
        self.last_lon, self.last_lat = lon, lat
        self.n = 0
        self.max_kn = self.sum_kn = self.dist_m = 0.0
        self.path: list[tuple[float, float, int, float]] = []
        self.zone: str | None = None
        self.alert_id: str | None = None
        self.severity = Severity.MEDIUM
        self.thr_kn = thr_kn
        self.loitered = loitered
        self.coast_start_m = -1.0
        self.profile = "sustained_speed"
        self.sig: tuple[int, bool] | None = None  # what the open alert's content depends on
        self.open_track: list[dict[str, object]] | None = None  # evidence of the open alert: the run as raised

    def __getstate__(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state: dict[str, object]) -> None:
        for k, v in state.items():
            setattr(self, k, v)

    def add(self, ts: int, lon: float, lat: float, kn: float, dist_m: float, zone: str | None) -> None:
        if self.n:
            self.dist_m += dist_m
        self.n += 1
        self.sum_kn += kn
        self.max_kn = max(self.max_kn, kn)
        self.last_ts, self.last_lon, self.last_lat = ts, lon, lat
        if self.zone is None:
            self.zone = zone
        if not self.path or ts - self.path[-1][2] >= _PATH_STEP_MS:
            self.path.append((lon, lat, ts, kn))
            if len(self.path) > _PATH_MAX:
                self.path = self.path[::2]

    @property
    def duration_s(self) -> float:
        return (self.last_ts - self.start_ts) / 1000.0

    @property
    def mean_kn(self) -> float:
        return self.sum_kn / self.n if self.n else 0.0


def alert_id_of(mmsi: int, run: Run) -> str | None:
    """The id the alert of ``run`` has (or will have once raised); None while the run has no zone."""
    if run.zone is None:
        return None
    return make_alert_id(AlertKind.GO_FAST, (mmsi,), run.start_ts, run.zone, "")


def fix_speed_kn(sog_kn: float | None, implied_kn: float, dt_s: float, p: DetectionParams) -> float | None:
    """Best speed estimate of a fix for go-fast purposes (None = not enough information)."""
    if sog_kn is not None and sog_kn <= p.gofast_max_plausible_kn:
        if dt_s >= 30.0 and implied_kn < p.gofast_implied_min_ratio * p.gofast_min_speed_kn:
            return min(sog_kn, implied_kn)
        return sog_kn
    if dt_s >= 5.0:
        return implied_kn
    return None


def eligible(mmsi: int, ctx: DetectContext, p: DetectionParams) -> str | None:
    """None when the craft may be a go-fast, else the reason it may not."""
    st = ctx.identities.ship_type(mmsi)
    if st is not None and p.gofast_hsc_ship_type_min <= st <= p.gofast_hsc_ship_type_max:
        return f"declared high-speed craft (ship type {st})"
    length = ctx.identities.length_m(mmsi)
    if length is not None and length > p.gofast_max_length_m:
        return f"length {length:g} m > {p.gofast_max_length_m:g} m"
    return None


def on_fix(vs: GoFastTrack, ts: int, lon: float, lat: float, speed: float | None, dist_m: float,
           zone: str | None, p: DetectionParams, ctx: DetectContext, publish: Publish | None = None) -> list[Alert]:
    """Called for every accepted fix, before ``vs`` is moved to it; drafts go to ``publish`` (the book)."""
    out: list[Alert] = []
    run = vs.gofast if isinstance(vs.gofast, Run) else None
    if run is not None and (ts - run.last_ts) > p.gofast_max_fix_gap_s * 1000.0:
        bridged = (ts - run.last_ts <= p.gofast_bridge_max_gap_s * 1000.0 and speed is not None
                   and speed >= run.thr_kn and ts - vs.last_ts == ts - run.last_ts)
        if not bridged:
            out += _end(vs, run, ctx, publish)
            run = None
    if speed is None:
        return out
    if run is None:
        loitered = (vs.loiter_duration_s(vs.loiter_last_ts, 0.0) >= p.loiter_min_duration_s
                    and 0 <= ts - vs.loiter_last_ts <= p.sprint_max_delay_s * 1000.0)
        thr = min(p.gofast_min_speed_kn, p.sprint_min_speed_kn) if loitered else p.gofast_min_speed_kn
        if speed < thr:
            return out
        run = Run(ts, lon, lat, thr, loitered)
        vs.gofast = run
    elif speed < run.thr_kn:
        return out + _end(vs, run, ctx, publish)
    run.add(ts, lon, lat, speed, dist_m, zone)
    if run.duration_s >= p.gofast_min_duration_s and run.n >= p.gofast_min_fixes and run.zone is not None:
        sig = (int(run.max_kn // 5), run.mean_kn >= p.gofast_high_speed_kn)
        if sig == run.sig and not (run.loitered and run.profile != PROFILE_SPRINT):
            return out  # nothing the open alert shows has changed
        run.sig = sig
        draft = _draft(vs, run, ctx, p, closed=False, now=ts)
        if draft is not None:
            a = (publish or ctx.book.publish)(draft)
            run.alert_id = draft.alert_id
            if a is not None:
                out.append(a)
    return out


def on_silence(vs: GoFastTrack, now_ms: int, ctx: DetectContext, publish: Publish | None = None) -> list[Alert]:
    """Scan hook: a run whose vessel fell silent longer than the bridge gap ends at its last fast fix."""
    run = vs.gofast if isinstance(vs.gofast, Run) else None
    if run is None:
        return []
    p = ctx.params.for_zone(run.zone)
    if now_ms - run.last_ts > p.gofast_bridge_max_gap_s * 1000.0:
        return _end(vs, run, ctx, publish)
    return []


def on_identity(vs: GoFastTrack, now_ms: int, ctx: DetectContext) -> list[Alert]:
    """Static data arrived: retract go-fast alerts of a craft now known to be large or a declared HSC."""
    run = vs.gofast if isinstance(vs.gofast, Run) else None
    ids = [i for i in (run.alert_id if run else None, vs.gofast_closed_id) if i]
    out: list[Alert] = []
    for aid in ids:
        prev = ctx.book.get(aid)
        if prev is None:
            continue
        reason = eligible(vs.mmsi, ctx, ctx.params.for_zone(prev.zone))
        if reason is not None:
            a = ctx.book.retract(aid, now_ms, reason)
            if a is not None:
                out.append(a)
    return out


def _end(vs: GoFastTrack, run: Run, ctx: DetectContext, publish: Publish | None) -> list[Alert]:
    vs.gofast = None
    if run.alert_id is None or run.zone is None:
        return []
    vs.gofast_closed_id = run.alert_id
    draft = _draft(vs, run, ctx, ctx.params.for_zone(run.zone), closed=True, now=run.last_ts)
    if draft is None:
        return []
    a = (publish or ctx.book.publish)(draft)
    return [] if a is None else [a]


def _draft(vs: GoFastTrack, run: Run, ctx: DetectContext, p: DetectionParams, *, closed: bool,
           now: int) -> AlertDraft | None:
    assert run.zone is not None
    if eligible(vs.mmsi, ctx, p) is not None:
        return None
    first = run.path[0]
    net_m = haversine_m(first[0], first[1], run.last_lon, run.last_lat)
    if speed_kn(net_m, max(1.0, run.duration_s)) < p.gofast_min_net_ratio * run.thr_kn:
        return None  # fast fixes that go nowhere (back and forth: two transmitters, a stuck position)
    mean = run.mean_kn
    profile = "sustained_speed"
    approach_m = 0.0
    if run.loitered:
        if run.coast_start_m < 0:
            first = run.path[0]
            run.coast_start_m = ctx.landing_distance_m(first[0], first[1])
        approach_m = run.coast_start_m - ctx.landing_distance_m(run.last_lon, run.last_lat)
        if approach_m >= p.sprint_min_coast_approach_m:
            profile = PROFILE_SPRINT
    if profile != PROFILE_SPRINT and mean < p.gofast_min_speed_kn:
        return None
    if run.alert_id is not None and run.profile == PROFILE_SPRINT:
        profile = PROFILE_SPRINT  # once established, the profile sticks
    run.profile = profile
    high = mean >= p.gofast_high_speed_kn or profile == PROFILE_SPRINT
    severity = Severity.HIGH if high else Severity.MEDIUM
    if run.severity == Severity.HIGH:
        severity = Severity.HIGH
    run.severity = severity
    span = max(1e-9, p.gofast_high_speed_kn - p.gofast_min_speed_kn)
    score = min(1.0, 0.5 + 0.5 * max(0.0, mean - p.gofast_min_speed_kn) / span)
    if profile == PROFILE_SPRINT:
        score = max(score, 0.8)
    pts = [(x, y) for x, y, _, _ in run.path]
    if (run.last_lon, run.last_lat) != pts[-1]:
        pts.append((run.last_lon, run.last_lat))
    # the alert's content changes only on closing, a severity/profile change or a 5 kn new maximum
    max_bucket = int(run.max_kn // 5) * 5
    evidence: dict[str, object] = {
        "kind": "go_fast", "evidence_version": EVIDENCE_VERSION, "threshold_kn": round(run.thr_kn, 1),
        "profile": profile, "max_speed_kn_floor5": max_bucket,
        "thresholds": p.subset("gofast_", "loiter_", "sprint_"),
        "identity_basis": "length unknown" if ctx.identities.length_m(vs.mmsi) is None else "length known",
    }
    if not closed:  # the run as it was when raised: fixed, so an open alert changes only when its figures do
        if run.open_track is None:
            run.open_track = [track_fix(vs.mmsi, t, x, y, k) for x, y, t, k in run.path]
        evidence["track"] = run.open_track
    if closed:
        evidence.update({
            "mean_speed_kn": round(mean, 1), "max_speed_kn": round(run.max_kn, 1),
            "duration_s": round(run.duration_s), "fixes": run.n,
            "distance_m": round(run.dist_m),
            "track": [track_fix(vs.mmsi, t, x, y, k) for x, y, t, k in run.path],
        })
    if profile == PROFILE_SPRINT and closed:
        evidence["coast_approach_m"] = round(approach_m)
    tail = " after loitering, towards the coast" if profile == PROFILE_SPRINT else ""
    if closed:
        summary = f"{vs.mmsi} at {mean:.0f} kn mean for {run.duration_s / 60:.0f} min in {run.zone}{tail}"
    else:
        summary = f"{vs.mmsi} at {max_bucket}+ kn in {run.zone}{tail}"
    return AlertDraft(
        kind=AlertKind.GO_FAST, mmsi=(vs.mmsi,), start_ms=run.start_ts, zone=run.zone, closed=closed,
        end_ms=run.last_ts if closed else None, updated_ms=now, severity=severity, score=score,
        geometry=line_geometry(pts) if closed else line_geometry(pts[:1]),
        vessels=(ctx.identities.identity(vs.mmsi),), summary=summary,
        evidence=evidence)
