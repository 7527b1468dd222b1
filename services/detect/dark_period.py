"""Dark period: a vessel goes silent where, had it kept transmitting, it would almost surely have been heard.

Rule (defaults, per zone of the last position):
* the vessel was tracked: ≥ ``dark_min_reports`` (5) reports;
* it is silent ≥ ``dark_threshold_s`` (3 h; 1 h in the Strait/Alboran and Gulf of Cadiz zones), or, when its
  last position is beyond terrestrial range (≥ ``dark_offshore_min_m``, ~40 nm from land: the satellite
  regime), ≥ the smaller of that and ``dark_threshold_offshore_s`` (2 h);
* the silence is improbable for a vessel still transmitting. The **reception model**, learned from the
  data: a bucket (10 min) had reception when other vessels were heard near where the vessel should have
  been (``coverage.py``: shore reception near the coast, satellite passes offshore); each run of such
  buckets is one *opportunity* per 20 min (a satellite pass straddles two buckets); the vessel's
  own chance of being heard at an opportunity, ``p_heard``, is learned from its own history — the
  opportunities it took (heard) against those it missed between its reports (a prior of
  ``dark_prior_p_heard_a`` 0.95 for class A, ``dark_prior_p_heard_b`` 0.6 for class B, worth
  ``dark_prior_weight`` (2) observations; the last ~36 opportunities count). With N opportunities during
  the silence, P(no reception | transmitting) — the Beta-binomial predictive of missing all N given the
  vessel's record, h taken and m missed, prior included: Π_{k<N} (m + k) / (h + m + k) — must be ≤
  ``dark_max_p_silent`` (0.01), over ≥ ``dark_min_opportunities`` (3) opportunities, and
  ≥ ``dark_min_other_vessels`` (2) distinct others were heard. A class A
  ship heard at every satellite pass is dark after missing two or three passes; a class B heard at half of
  them needs more than ten; a vessel whose area nobody was heard in (a coverage gap) never is;
* the silence does not start in port: not moored (navigation status 5), not inside a port or anchorage area,
  not at anchor (status 1) within ``rv_min_port_distance_m`` of one.
The alert opens when the watermark passes the threshold and the rule holds (re-checked every bucket),
and closes when the vessel reappears, with the distance and implied speed across the gap. Coverage gaps are
not alerted (counted; ``dark_emit_low_coverage`` emits them as low severity). A late position inside the
gap that splits it into sub-threshold pieces retracts the alert.
"""

from __future__ import annotations

import math
from typing import Any

from geo.geodesy import haversine_m, speed_kn
from msa.domain import Alert, AlertKind, AlertStatus, JsonDict, Severity, format_ts, parse_ts
from msa.evidence import EVIDENCE_VERSION
from services.detect.alerts import AlertDraft, fix_evidence, history_track, line_geometry, point_geometry, track_fix
from services.detect.context import DetectContext
from services.detect.coverage import CoverageGrid
from services.detect.params import DetectionParams
from services.detect.silence import Gap, threshold_ms
from services.detect.track import VesselState

__all__ = [
    "Gap",
    "add_detection",
    "on_fix",
    "on_late_fix",
    "on_scan",
    "recheck_ms",
    "regular",
    "trace_open",
]

_MAX_DETECTIONS = 10
_TRACK_BEFORE_MS = 3_600_000  # evidence: the hour of track before a silence
_MAX_BUCKETS = 288  # evidence: the last 48 h of 10-min reception buckets
_RECHECK_SLOW_AFTER_MS = 12 * 3_600_000
_MAX_CLOSED = 4  # recently closed dark periods kept per vessel (late satellite evidence)
_NAV_AT_ANCHOR, _NAV_MOORED = 1, 5


def regular(vs: VesselState, p: DetectionParams) -> bool:
    """Tracked well enough for its silence to mean something."""
    return vs.n_reports >= p.dark_min_reports


def _in_port(vs: VesselState, ctx: DetectContext, p: DetectionParams) -> bool:
    if vs.last_nav == _NAV_MOORED:
        return True
    d = ctx.ports.distance_to_nearest_m(vs.last_lon, vs.last_lat)
    return d <= 0.0 or (vs.last_nav == _NAV_AT_ANCHOR and d < p.rv_min_port_distance_m)


def _trace(ctx: DetectContext, vs: VesselState, end_ms: int | None, outcome: str, gap: Gap | None = None,
           until_ms: int | None = None, **detail: Any) -> None:
    """Record why a silence was or was not a dark period (review mode only: ``ctx.trace``); ``end_ms`` None:
    still silent at ``until_ms``, the end of the input."""
    if ctx.trace is None:
        return
    start = gap.start_ts if gap is not None else vs.last_ts
    to = end_ms if end_ms is not None else (until_ms if until_ms is not None else start)
    rec: dict[str, Any] = {"mmsi": vs.mmsi, "start": format_ts(start),
                           "end": None if end_ms is None else format_ts(end_ms),
                           "silent_s": round((to - start) / 1000), "open": end_ms is None,
                           "lon": round(vs.last_lon if gap is None else gap.lon, 5),
                           "lat": round(vs.last_lat if gap is None else gap.lat, 5),
                           "zone": vs.last_zone if gap is None else gap.zone, "reports_before": vs.n_reports,
                           "outcome": outcome, **detail}
    if gap is not None:
        rec.update(regime="satellite" if gap.offshore else "terrestrial", threshold_s=gap.threshold_ms // 1000,
                   p_heard=round(gap.p_heard, 3), opportunities=gap.coverage.opportunities,
                   other_vessels=gap.coverage.other_vessels, p_silent=float(f"{gap.p_silent():.3g}"))
    ctx.trace.append(rec)


def trace_open(vs: VesselState, now_ms: int, ctx: DetectContext, grid: CoverageGrid) -> None:
    """At the end of a review: the vessel's silence, if it is one, as it stands."""
    if ctx.trace is None or vs.last_ts < 0 or now_ms - vs.last_ts < 3_600_000:
        return
    gap = vs.dark if isinstance(vs.dark, Gap) else None
    if gap is not None:
        _trace(ctx, vs, None, "alerted (open)" if gap.opened else "not improbable (coverage)", gap, now_ms)
    elif vs.dark is False:
        _trace(ctx, vs, None, "in port", None, now_ms)
    else:
        _trace(ctx, vs, None, _why_not(vs, ctx, grid, now_ms), None, now_ms)


def _why_not(vs: VesselState, ctx: DetectContext, grid: CoverageGrid, now_ms: int) -> str:
    if vs.last_zone is None:
        return "outside every zone"
    if vs.flagged(now_ms):
        return "identity anomaly (MMSI shared)"
    p = ctx.params.for_zone(vs.last_zone)
    if not regular(vs, p):
        return f"not tracked (< {p.dark_min_reports} reports before)"
    thr, _ = threshold_ms(vs, p, grid)
    if now_ms - vs.last_ts < thr:
        return f"shorter than the threshold ({thr // 1000} s)"
    return "in port"


def _evidence_ok(gap: Gap, p: DetectionParams) -> bool:
    return (gap.coverage.opportunities >= p.dark_min_opportunities and gap.p_silent() <= p.dark_max_p_silent
            and gap.coverage.other_vessels >= p.dark_min_other_vessels)


def _new_gap(vs: VesselState, ctx: DetectContext, grid: CoverageGrid, counters: dict[str, int],
             now_ms: int) -> tuple[Gap | None, int]:
    """A gap for the vessel's current silence, or (None, when to look again: −1 = at its next report)."""
    if vs.last_ts < 0 or vs.last_zone is None or vs.flagged(now_ms):
        return None, -1
    p = ctx.params.for_zone(vs.last_zone)
    if not regular(vs, p):
        return None, -1
    soonest = vs.last_ts + int(min(p.dark_threshold_s, p.dark_threshold_offshore_s) * 1000)
    if now_ms < soonest:  # (most vessels at most scans: no need to look up the coast yet)
        return None, soonest
    thr, offshore = threshold_ms(vs, p, grid)
    if now_ms < vs.last_ts + thr:
        return None, vs.last_ts + thr
    if _in_port(vs, ctx, p):
        counters["dark_in_port"] = counters.get("dark_in_port", 0) + 1
        vs.dark = False  # this silence is settled (until the vessel reports again)
        return None, -1
    return Gap(vs, vs.last_zone, offshore, thr, p), -1


def recheck_ms(silent_ms: int, bucket_ms: int) -> int:
    """How soon a silence not (yet) judged dark is judged again: every bucket for its first
    ``_RECHECK_SLOW_AFTER_MS`` (12 h), then every twelfth of its length (whole buckets). Each judgement reads
    the whole silence, so checking a days-long coverage gap every bucket would cost its length squared; this
    keeps it to a few dozen judgements, at most ~9 % of its length late."""
    if silent_ms < _RECHECK_SLOW_AFTER_MS:
        return bucket_ms
    return max(bucket_ms, silent_ms // 12 // bucket_ms * bucket_ms)


def on_scan(vs: VesselState, now_ms: int, ctx: DetectContext, grid: CoverageGrid,
            counters: dict[str, int]) -> tuple[list[Alert], int]:
    """Open (or re-check) the vessel's dark period at watermark ``now_ms``. Returns alerts and the next
    time this vessel needs a scan (``-1`` = only when it reports again)."""
    if vs.dark is False:
        return [], -1
    gap = vs.dark if isinstance(vs.dark, Gap) else None
    if gap is None:
        gap, due = _new_gap(vs, ctx, grid, counters, now_ms)
        if gap is None:
            return [], due
        vs.dark = gap
    p = ctx.params.for_zone(gap.zone)
    out: list[Alert] = []
    if not gap.opened:
        step = recheck_ms(now_ms - gap.start_ts, grid.bucket_ms)
        if gap.checked_ms >= 0 and now_ms - gap.checked_ms < step:
            return [], gap.checked_ms + step
        gap.checked_ms = now_ms
        gap.coverage = gap.coverage_to(grid, vs.mmsi, now_ms, p)
        if _evidence_ok(gap, p) or p.dark_emit_low_coverage:
            gap.opened, gap.opened_ms = True, now_ms
            out += _publish(vs, gap, ctx, p, now_ms, None)
            out += _attach_early(vs, gap, ctx, now_ms)
        else:
            counters["dark_gaps_low_coverage_checks"] = counters.get("dark_gaps_low_coverage_checks", 0) + 1
            return [], now_ms + step
    else:
        out += _publish(vs, gap, ctx, p, now_ms, None)
    high_due = gap.start_ts + int(p.dark_high_gap_s * 1000)
    return out, (high_due if now_ms < high_due else -1)


def on_fix(vs: VesselState, ts: int, lon: float, lat: float, sog: float | None, ctx: DetectContext,
           grid: CoverageGrid, counters: dict[str, int]) -> list[Alert]:
    """The vessel reports again (called before ``vs`` moves): close its dark period."""
    if vs.dark is False:
        _trace(ctx, vs, ts, "in port")
        vs.dark = None
        vs.sat_early = None
        return []
    gap = vs.dark if isinstance(vs.dark, Gap) else None
    if gap is None:
        if ctx.trace is not None:
            why = _why_not(vs, ctx, grid, ts)
        gap, _ = _new_gap(vs, ctx, grid, counters, ts)  # the scan did not get there first
        if gap is None:
            if ctx.trace is not None:
                _trace(ctx, vs, ts, "in port" if vs.dark is False else why)
            vs.dark = None
            vs.sat_early = None
            return []
    vs.dark = None
    p = ctx.params.for_zone(gap.zone)
    out: list[Alert] = []
    gap.coverage = gap.coverage_to(grid, vs.mmsi, ts, p, (ts, lon, lat))
    if not (_evidence_ok(gap, p) or p.dark_emit_low_coverage):
        counters["dark_gaps_low_coverage"] = counters.get("dark_gaps_low_coverage", 0) + 1
        _trace(ctx, vs, ts, "retracted (coverage along its track)" if gap.opened else "not improbable (coverage)",
               gap)
        vs.sat_early = None
        if gap.opened and gap.alert_id is not None:  # along the track it really took, nobody could hear it
            a = ctx.book.retract(gap.alert_id, ts, "reappeared: along its track between the two positions the "
                                                   "silence was not improbable (a reception gap)")
            return [] if a is None else [a]
        return []
    if not gap.opened:
        gap.opened, gap.opened_ms = True, ts
        out += _publish(vs, gap, ctx, p, ts, None)
        out += _attach_early(vs, gap, ctx, ts)
    out += _publish(vs, gap, ctx, p, ts, (ts, lon, lat, sog))
    _trace(ctx, vs, ts, "alerted", gap, alert_id=gap.alert_id)
    vs.sat_early = None
    if gap.alert_id is not None:
        closed = [*(vs.dark_closed or []), (gap.alert_id, gap.start_ts, ts, gap.zone)]
        vs.dark_closed = closed[-_MAX_CLOSED:]
    return out


def on_late_fix(vs: VesselState, ts: int, now_ms: int, ctx: DetectContext) -> list[Alert]:
    """A position beyond the grace period: if it splits an alerted gap into sub-threshold pieces, the
    gap was not there — retract the alert."""
    gap = vs.dark if isinstance(vs.dark, Gap) else None
    if gap is not None and gap.opened and gap.alert_id is not None and ts > gap.start_ts:
        thr = gap.threshold_ms
        if ts - gap.start_ts < thr and now_ms - ts < thr:
            vs.dark = None
            a = ctx.book.retract(gap.alert_id, now_ms, "a late position inside the gap")
            return [] if a is None else [a]
    for i, (aid, start, end, _zone) in enumerate(vs.dark_closed or []):
        prev = ctx.book.get(aid)
        thr = int((prev.evidence.get("threshold_s", 0) if prev is not None else 0) * 1000)
        if start < ts < end and ts - start < thr and end - ts < thr:
            del vs.dark_closed[i]  # type: ignore[union-attr]
            a = ctx.book.retract(aid, now_ms, "a late position inside the gap")
            return [] if a is None else [a]
    return []


def add_detection(vs: VesselState, det: JsonDict, t_ms: int, now_ms: int, ctx: DetectContext) -> list[Alert]:
    """A satellite detection at ``t_ms`` that matches the vessel silent then: evidence on that silence's dark
    period — open, already closed (the detection arrived late), or not yet alerted (kept until it is).
    Each detection is a version of its own, at ``now_ms`` or the alert's last update if later, so the final
    alert is the same whether the detection came on time or hours late."""
    gap = vs.dark if isinstance(vs.dark, Gap) else None
    if gap is not None and gap.start_ts < t_ms:
        if len(gap.detections) >= _MAX_DETECTIONS or any(d["detection_id"] == det["detection_id"]
                                                          for d in gap.detections):
            return []
        gap.detections.append(det)
        gap.detections.sort(key=lambda d: (str(d["ts"]), str(d["detection_id"])))
        if not gap.opened:
            return []
        prev = ctx.book.get(gap.alert_id) if gap.alert_id else None
        at = max(now_ms, prev.updated_ms) if prev is not None else now_ms
        return _publish(vs, gap, ctx, ctx.params.for_zone(gap.zone), at, None)
    for aid, start, end, _zone in reversed(vs.dark_closed or []):
        if start < t_ms < end:
            return _add_to_closed(aid, det, ctx)
    if vs.dark is None and vs.last_ts < t_ms:  # silent, not (yet) alerted: kept for when it is
        early = vs.sat_early or []
        if all(d["detection_id"] != det["detection_id"] for d in early):
            vs.sat_early = [*early, det][-_MAX_DETECTIONS:]
    return []


def _attach_early(vs: VesselState, gap: Gap, ctx: DetectContext, now_ms: int) -> list[Alert]:
    """Detections matched while the gap was not yet alerted: one version each, after the opening one."""
    out: list[Alert] = []
    for det in sorted(vs.sat_early or [], key=lambda d: (str(d["ts"]), str(d["detection_id"]))):
        out += add_detection(vs, det, _det_ms(det), now_ms, ctx)
    vs.sat_early = None
    return out


def _det_ms(det: JsonDict) -> int:
    return parse_ts(str(det["ts"]))


def _add_to_closed(aid: str, det: JsonDict, ctx: DetectContext) -> list[Alert]:
    prev = ctx.book.get(aid)
    if prev is None or prev.status == AlertStatus.RETRACTED:
        return []
    dets = list(prev.evidence.get("detections") or [])
    if len(dets) >= _MAX_DETECTIONS or any(d["detection_id"] == det["detection_id"] for d in dets):
        return []
    dets = sorted([*dets, det], key=lambda d: (str(d["ts"]), str(d["detection_id"])))
    evidence = {**prev.evidence, "detections": dets}
    a = ctx.book.publish(AlertDraft(
        kind=prev.kind, mmsi=prev.mmsi, start_ms=prev.start_ms, zone=prev.zone, closed=True, end_ms=prev.end_ms,
        updated_ms=prev.updated_ms, severity=prev.severity, score=prev.score, geometry=prev.geometry,
        vessels=prev.vessels, detection_ids=tuple(str(d["detection_id"]) for d in dets), summary=prev.summary,
        evidence=evidence))
    return [] if a is None else [a]


def _score(gap: Gap) -> float:
    """0.5 at P(silent) = 10⁻³, 1.0 at 10⁻⁶ or below (log scale)."""
    return min(1.0, max(0.05, -math.log10(max(gap.p_silent(), 1e-12)) / 6.0))


def _publish(vs: VesselState, gap: Gap, ctx: DetectContext, p: DetectionParams, now_ms: int,
             reappear: tuple[int, float, float, float | None] | None) -> list[Alert]:
    cov = gap.coverage
    low = not _evidence_ok(gap, p)
    end_ms = reappear[0] if reappear else None
    silent_s = ((end_ms if end_ms is not None else now_ms) - gap.start_ts) / 1000.0
    if low:
        severity = Severity.LOW
    elif silent_s >= p.dark_high_gap_s:
        severity = Severity.HIGH
    else:
        severity = Severity.MEDIUM
    p_silent = gap.p_silent()
    bucket_ms = int(p.dark_coverage_bucket_s * 1000)
    if gap.before is None:  # the track before the silence, as the history holds it when first alerted
        gap.before = history_track(vs.mmsi, vs.hist, gap.start_ts - _TRACK_BEFORE_MS, gap.start_ts)
        if not gap.before or parse_ts(str(gap.before[-1]["ts"])) != gap.start_ts:
            gap.before.append(track_fix(vs.mmsi, gap.start_ts, gap.lon, gap.lat, gap.sog, gap.cog))
    evidence: dict[str, Any] = {
        "kind": "dark_period", "evidence_version": EVIDENCE_VERSION, "track": list(gap.before),
        "last_fix": fix_evidence(gap.start_ts, gap.lon, gap.lat),
        "opened_at": format_ts(gap.opened_ms if gap.opened_ms >= 0 else now_ms),
        "reports_before_gap": gap.reports,
        "threshold_s": round(gap.threshold_ms / 1000),
        "regime": "satellite" if gap.offshore else "terrestrial",
        "reception": {"p_heard": round(gap.p_heard, 3), "opportunities": cov.opportunities,
                      "buckets_with_reception": cov.buckets_heard, "buckets_total": cov.buckets_total,
                      "p_silent": float(f"{p_silent:.3g}"), "offshore_buckets": cov.offshore_buckets},
        "coverage": {"fraction": round(cov.fraction, 3), "buckets_heard": cov.buckets_heard,
                     "buckets_total": cov.buckets_total, "other_vessels": cov.other_vessels,
                     "low": low},
        "thresholds": p.subset("dark_"),
        "detections": list(gap.detections),
        "neighbour_buckets": [
            {"ts": format_ts(cov.first_bucket_ms + i * bucket_ms), "heard": bool(cov.heard_mask >> i & 1)}
            for i in range(max(0, cov.buckets_total - _MAX_BUCKETS), cov.buckets_total)],
    }
    score = _score(gap) * (0.3 if low else 1.0)
    if reappear is not None:
        t, x, y, sog = reappear
        dist = haversine_m(gap.lon, gap.lat, x, y)
        evidence["track"].append(track_fix(vs.mmsi, t, x, y, sog))
        evidence["expected_path"] = line_geometry([(gap.lon, gap.lat), (x, y)])
        evidence.update({"reappeared": fix_evidence(t, x, y, sog), "gap_s": round(silent_s),
                         "gap_distance_m": round(dist),
                         "implied_speed_kn": round(speed_kn(dist, silent_s), 2)})
        geometry = line_geometry([(gap.lon, gap.lat), (x, y)])
        summary = (f"{vs.mmsi} silent {silent_s / 3600:.1f} h in {gap.zone}, reappeared "
                   f"{dist / 1852:.1f} NM away")
    else:
        geometry = point_geometry(gap.lon, gap.lat)
        summary = f"{vs.mmsi} silent since {fix_evidence(gap.start_ts, 0, 0)['ts']} in {gap.zone}"
    draft = AlertDraft(kind=AlertKind.DARK_PERIOD, mmsi=(vs.mmsi,), start_ms=gap.start_ts, zone=gap.zone,
                       closed=reappear is not None, end_ms=end_ms, updated_ms=now_ms, severity=severity,
                       score=min(1.0, score), geometry=geometry, vessels=(ctx.identities.identity(vs.mmsi),),
                       detection_ids=tuple(str(d["detection_id"]) for d in gap.detections),
                       summary=summary, evidence=evidence)
    gap.alert_id = draft.alert_id
    a = ctx.book.publish(draft)
    return [] if a is None else [a]
