"""Dark period: a vessel that was reporting regularly goes silent where others are still heard.

Rule (defaults, per zone of the last position):
* before the gap: ≥ ``dark_min_reports`` (5) reports, typical interval ≤ ``dark_regular_max_interval_s``
  (10 min), and ≥ ``dark_min_reception_ratio`` (25 %) of the transmissions ITU-R M.1371 prescribes
  were heard (a vessel heard at a fraction of its rate is at the edge of coverage);
* silent ≥ ``dark_threshold_s`` (3 h; 1 h in the Strait/Alboran and Gulf of Cadiz zones);
* coverage good: in ≥ ``dark_min_coverage`` (50 %) of the gap's 10-min buckets other vessels were heard
  within ``dark_coverage_radius_m`` (40 km) of where the vessel should have been (dead-reckoned;
  interpolated once it reappears), ≥ ``dark_min_other_vessels`` (2) distinct others.
The alert opens when the watermark passes the threshold and closes when the vessel reappears, with the
distance and implied speed across the gap. Coverage gaps are not alerted (counted;
``dark_emit_low_coverage`` emits them as low severity). A late position inside the gap that splits it
into sub-threshold pieces retracts the alert.
"""

from __future__ import annotations

from typing import Any

from geo.geodesy import MPS_PER_KN, destination_point, haversine_m, interpolate_position, speed_kn
from msa.domain import Alert, AlertKind, JsonDict, Severity, format_ts
from services.detect.alerts import AlertDraft, fix_evidence, line_geometry, point_geometry
from services.detect.context import DetectContext
from services.detect.coverage import CoverageFigure, CoverageGrid
from services.detect.params import DetectionParams
from services.detect.track import VesselState

__all__ = ["Gap", "add_detection", "on_fix", "on_late_fix", "on_scan", "reception_ratio", "regular",
           "update_regularity"]

_EWMA_ALPHA = 0.2
_MAX_DETECTIONS = 10


class Gap:
    __slots__ = ("alert_id", "checked_ms", "cog", "coverage", "detections", "lat", "lon", "opened",
                 "opened_ms", "ratio", "reports", "sog", "start_ts", "typical_s", "zone")

    def __init__(self, vs: VesselState, zone: str) -> None:
        self.start_ts = vs.last_ts
        self.lon, self.lat = vs.last_lon, vs.last_lat
        self.sog, self.cog = vs.last_sog, vs.last_cog
        self.zone = zone
        self.reports = vs.n_reports
        self.typical_s = vs.ewma_interval_s
        self.ratio = reception_ratio(vs)
        self.opened = False
        self.opened_ms = -1  # watermark (event time) when the alert was raised
        self.alert_id: str | None = None
        self.coverage = CoverageFigure(0, 0, 0)
        self.checked_ms = -1
        self.detections: list[JsonDict] = []

    def __getstate__(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state: dict[str, object]) -> None:
        for k, v in state.items():
            setattr(self, k, v)

    def dead_reckoned(self, t_ms: int) -> tuple[float, float]:
        """Where the vessel would be at ``t_ms`` had it kept its last speed and course."""
        if self.sog <= 0.0 or self.cog < 0.0:
            return self.lon, self.lat
        return destination_point(self.lon, self.lat, self.cog, self.sog * MPS_PER_KN * (t_ms - self.start_ts) / 1000)

    def coverage_to(self, grid: CoverageGrid, mmsi: int, now_ms: int, radius_m: float,
                    reappear: tuple[int, float, float] | None = None) -> CoverageFigure:
        if reappear is None:
            return grid.figure(mmsi, self.dead_reckoned, self.start_ts, now_ms, radius_m)
        t1, x1, y1 = reappear

        def along(t: int) -> tuple[float, float]:
            return interpolate_position(self.lon, self.lat, self.start_ts, x1, y1, t1, t)

        return grid.figure(mmsi, along, self.start_ts, now_ms, radius_m)


def update_regularity(vs: VesselState, ts: int, p: DetectionParams, nominal_s: float) -> None:
    """Called for every accepted fix, before ``vs.last_ts`` moves (the gap itself is capped)."""
    if vs.last_ts >= 0:
        interval_s = min((ts - vs.last_ts) / 1000.0, 2.0 * p.dark_regular_max_interval_s)
        if vs.n_reports <= 1:
            vs.ewma_interval_s = interval_s
            vs.ewma_nominal_s = nominal_s
        else:
            vs.ewma_interval_s += _EWMA_ALPHA * (interval_s - vs.ewma_interval_s)
            vs.ewma_nominal_s += _EWMA_ALPHA * (nominal_s - vs.ewma_nominal_s)
    vs.n_reports = min(vs.n_reports + 1, 1_000_000)


def reception_ratio(vs: VesselState) -> float:
    """Share of the vessel's transmissions that were heard recently (nominal / observed interval)."""
    if vs.ewma_interval_s <= 0.0:
        return 1.0
    return min(1.0, vs.ewma_nominal_s / vs.ewma_interval_s)


def regular(vs: VesselState, p: DetectionParams) -> bool:
    """Reporting regularly: enough reports, typically close together, and most of them heard (a vessel
    heard at a fraction of its rate is at the edge of coverage; its silence says little)."""
    return (vs.n_reports >= p.dark_min_reports and vs.ewma_interval_s <= p.dark_regular_max_interval_s
            and reception_ratio(vs) >= p.dark_min_reception_ratio)


def _coverage_ok(cov: CoverageFigure, p: DetectionParams) -> bool:
    return cov.fraction >= p.dark_min_coverage and cov.other_vessels >= p.dark_min_other_vessels


def on_scan(vs: VesselState, now_ms: int, ctx: DetectContext, grid: CoverageGrid,
            counters: dict[str, int]) -> tuple[list[Alert], int]:
    """Open (or re-check) the vessel's dark period at watermark ``now_ms``. Returns alerts and the next
    time this vessel needs a scan (``-1`` = only when it reports again)."""
    gap = vs.dark if isinstance(vs.dark, Gap) else None
    if gap is None:
        if vs.last_ts < 0 or vs.last_zone is None:
            return [], -1
        p = ctx.params.for_zone(vs.last_zone)
        if not regular(vs, p):
            return [], -1
        due = vs.last_ts + int(p.dark_threshold_s * 1000)
        if now_ms < due:
            return [], due
        gap = Gap(vs, vs.last_zone)
        vs.dark = gap
    p = ctx.params.for_zone(gap.zone)
    out: list[Alert] = []
    if not gap.opened:
        if gap.checked_ms >= 0 and now_ms - gap.checked_ms < grid.bucket_ms:
            return [], gap.checked_ms + grid.bucket_ms
        gap.checked_ms = now_ms
        gap.coverage = gap.coverage_to(grid, vs.mmsi, now_ms, p.dark_coverage_radius_m)
        if _coverage_ok(gap.coverage, p) or p.dark_emit_low_coverage:
            gap.opened, gap.opened_ms = True, now_ms
        else:
            counters["dark_gaps_low_coverage_checks"] = counters.get("dark_gaps_low_coverage_checks", 0) + 1
            return [], now_ms + grid.bucket_ms
    out += _publish(vs, gap, ctx, p, now_ms, None)
    high_due = gap.start_ts + int(p.dark_high_gap_s * 1000)
    return out, (high_due if now_ms < high_due else -1)


def on_fix(vs: VesselState, ts: int, lon: float, lat: float, sog: float | None, ctx: DetectContext,
           grid: CoverageGrid, counters: dict[str, int]) -> list[Alert]:
    """The vessel reports again (called before ``vs`` moves): close its dark period."""
    gap = vs.dark if isinstance(vs.dark, Gap) else None
    if gap is None:
        if vs.last_ts < 0 or vs.last_zone is None:
            return []
        p = ctx.params.for_zone(vs.last_zone)
        if ts - vs.last_ts < p.dark_threshold_s * 1000 or not regular(vs, p):
            return []
        gap = Gap(vs, vs.last_zone)  # the scan did not get there first (gap just over the threshold)
    vs.dark = None
    p = ctx.params.for_zone(gap.zone)
    out: list[Alert] = []
    gap.coverage = gap.coverage_to(grid, vs.mmsi, ts, p.dark_coverage_radius_m, (ts, lon, lat))
    if not gap.opened:
        if not (_coverage_ok(gap.coverage, p) or p.dark_emit_low_coverage):
            counters["dark_gaps_low_coverage"] = counters.get("dark_gaps_low_coverage", 0) + 1
            return []
        gap.opened, gap.opened_ms = True, ts
        out += _publish(vs, gap, ctx, p, ts, None)
    out += _publish(vs, gap, ctx, p, ts, (ts, lon, lat, sog))
    if gap.alert_id is not None:
        vs.dark_closed = (gap.alert_id, gap.start_ts, ts, gap.zone)
    return out


def on_late_fix(vs: VesselState, ts: int, now_ms: int, ctx: DetectContext) -> list[Alert]:
    """A position beyond the grace period: if it splits an alerted gap into sub-threshold pieces, the
    gap was not there — retract the alert."""
    gap = vs.dark if isinstance(vs.dark, Gap) else None
    if gap is not None and gap.opened and gap.alert_id is not None and ts > gap.start_ts:
        p = ctx.params.for_zone(gap.zone)
        thr = p.dark_threshold_s * 1000
        if ts - gap.start_ts < thr and now_ms - ts < thr:
            vs.dark = None
            a = ctx.book.retract(gap.alert_id, now_ms, "a late position inside the gap")
            return [] if a is None else [a]
    if vs.dark_closed is not None:
        aid, start, end, zone = vs.dark_closed
        thr = ctx.params.for_zone(zone).dark_threshold_s * 1000
        if start < ts < end and ts - start < thr and end - ts < thr:
            vs.dark_closed = None
            a = ctx.book.retract(aid, now_ms, "a late position inside the gap")
            return [] if a is None else [a]
    return []


def add_detection(vs: VesselState, det: JsonDict, now_ms: int, ctx: DetectContext) -> list[Alert]:
    """A satellite detection that matches the silent vessel: evidence on its dark period."""
    gap = vs.dark if isinstance(vs.dark, Gap) else None
    if gap is None or len(gap.detections) >= _MAX_DETECTIONS:
        return []
    gap.detections.append(det)
    if not gap.opened:
        return []
    return _publish(vs, gap, ctx, ctx.params.for_zone(gap.zone), now_ms, None)


def _publish(vs: VesselState, gap: Gap, ctx: DetectContext, p: DetectionParams, now_ms: int,
             reappear: tuple[int, float, float, float | None] | None) -> list[Alert]:
    cov = gap.coverage
    low = not _coverage_ok(cov, p)
    end_ms = reappear[0] if reappear else None
    silent_s = ((end_ms if end_ms is not None else now_ms) - gap.start_ts) / 1000.0
    if low:
        severity = Severity.LOW
    elif silent_s >= p.dark_high_gap_s:
        severity = Severity.HIGH
    else:
        severity = Severity.MEDIUM
    evidence: dict[str, Any] = {
        "last_fix": fix_evidence(gap.start_ts, gap.lon, gap.lat),
        "opened_at": format_ts(gap.opened_ms if gap.opened_ms >= 0 else now_ms),
        "reports_before_gap": gap.reports, "typical_interval_s": round(gap.typical_s, 1),
        "reception_ratio": round(gap.ratio, 3),
        "coverage": {"fraction": round(cov.fraction, 3), "buckets_heard": cov.buckets_heard,
                     "buckets_total": cov.buckets_total, "other_vessels": cov.other_vessels,
                     "low": low},
        "thresholds": p.subset("dark_"),
        "satellite_detections": list(gap.detections),
    }
    score = max(0.05, cov.fraction) * (0.3 if low else 1.0)
    if reappear is not None:
        t, x, y, sog = reappear
        dist = haversine_m(gap.lon, gap.lat, x, y)
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
