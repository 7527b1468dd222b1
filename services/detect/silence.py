"""The reception model of the dark-period rule: how likely a vessel still transmitting is to be heard.

A 10-minute bucket had reception where the vessel should have been when other vessels were heard near its
(interpolated) track there (``coverage.py``); each run of such buckets is one *opportunity*. A vessel's record
— opportunities it took (heard) against those it missed between its reports, the last ``RX_WINDOW`` of them —
gives P(missing all of N opportunities) as the Beta-binomial predictive (``p_missing_all``). A ``Gap`` is one
silence being judged: where it began, its threshold, the vessel's reception record then (prior included) and
the coverage along where the vessel would have been. The rule itself is in ``dark_period.py``.
"""

from __future__ import annotations

from geo.geodesy import MPS_PER_KN, destination_point, interpolate_position
from msa.domain import JsonDict
from services.detect.context import DetectContext
from services.detect.coverage import EPISODE_BUCKETS, CoverageFigure, CoverageGrid
from services.detect.params import DetectionParams
from services.detect.track import VesselState

__all__ = ["RX_WINDOW", "Gap", "count_reception", "heard_bucket", "p_missing_all", "threshold_ms"]

RX_WINDOW = 36.0  # reception observations (buckets) remembered per vessel
_DR_MIN_KN = 5.0  # slower than this, a silent vessel is assumed to stay put (its course says little)


def threshold_ms(vs: VesselState, p: DetectionParams, grid: CoverageGrid) -> tuple[int, bool]:
    """The silence that counts at the vessel's last position, and whether that is offshore."""
    offshore = grid.offshore(vs.last_lon, vs.last_lat)
    thr = min(p.dark_threshold_s, p.dark_threshold_offshore_s) if offshore else p.dark_threshold_s
    return int(thr * 1000), offshore



def p_missing_all(heard: float, missed: float, n: int) -> float:
    """P(a vessel misses all of ``n`` opportunities) when it took ``heard`` and missed ``missed`` before
    (prior included): the Beta-binomial predictive Π_{k<n} (missed + k) / (heard + missed + k) — the
    chance of being heard is itself uncertain after few observations, so a short record needs more misses."""
    out = 1.0
    for k in range(n):
        out *= (missed + k) / (heard + missed + k)
        if out < 1e-12:
            break
    return out


def count_reception(vs: VesselState, ts: int, lon: float, lat: float, ctx: DetectContext,
                    grid: CoverageGrid) -> None:
    """Called for every accepted fix, before ``vs`` moves: the bucket it was heard in, and the opportunities
    it missed since its previous report (buckets strictly between them in which others were heard near
    its interpolated track) — unless the interval is as long as a dark period (judged on its own)."""
    b = ts // grid.bucket_ms
    p = ctx.params.for_zone(vs.last_zone)
    if vs.last_ts >= 0 and b - vs.last_ts // grid.bucket_ms >= 2 and \
            ts - vs.last_ts < threshold_ms(vs, p, grid)[0]:
        x0, y0, t0 = vs.last_lon, vs.last_lat, vs.last_ts

        def along(t: int) -> tuple[float, float]:
            return interpolate_position(x0, y0, t0, lon, lat, ts, t)

        fig = grid.figure(vs.mmsi, along, t0, ts, p.dark_coverage_radius_m, p.dark_coverage_radius_offshore_m)
        vs.rx_missed += fig.opportunities
    heard_bucket(vs, b)


def heard_bucket(vs: VesselState, b: int) -> None:
    """The vessel was heard in bucket ``b``: one opportunity taken per ``EPISODE_BUCKETS`` consecutive
    buckets heard (as opportunities are counted)."""
    if b == vs.rx_bucket:
        return
    if b == vs.rx_bucket + 1:
        vs.rx_run += 1
        if (vs.rx_run - 1) % EPISODE_BUCKETS == 0:
            vs.rx_heard += 1.0
    else:
        vs.rx_run = 1
        vs.rx_heard += 1.0
    vs.rx_bucket = b
    total = vs.rx_heard + vs.rx_missed
    if total > RX_WINDOW:
        vs.rx_heard *= RX_WINDOW / total
        vs.rx_missed *= RX_WINDOW / total


class Gap:
    __slots__ = ("alert_id", "before", "checked_ms", "cog", "coverage", "detections", "heard", "lat", "lon", "missed",
                 "offshore", "opened", "opened_ms", "p_heard", "reports", "sog", "start_ts", "threshold_ms", "zone")

    def __init__(self, vs: VesselState, zone: str, offshore: bool, threshold: int, p: DetectionParams) -> None:
        self.start_ts = vs.last_ts
        self.lon, self.lat = vs.last_lon, vs.last_lat
        self.sog, self.cog = vs.last_sog, vs.last_cog
        self.zone = zone
        self.reports = vs.n_reports
        self.offshore = offshore
        self.threshold_ms = threshold
        # the reception record at the start of the silence, prior included (Beta pseudo-counts)
        prior = p.dark_prior_p_heard_b if vs.class_b else p.dark_prior_p_heard_a
        self.heard = vs.rx_heard + p.dark_prior_weight * prior
        self.missed = vs.rx_missed + p.dark_prior_weight * (1.0 - prior)
        self.p_heard = self.heard / (self.heard + self.missed)
        self.opened = False
        self.opened_ms = -1  # watermark (event time) when the alert was raised
        self.alert_id: str | None = None
        self.coverage = CoverageFigure(0, 0, 0)
        self.checked_ms = -1
        self.detections: list[JsonDict] = []
        self.before: list[JsonDict] | None = None  # evidence track before the silence (taken when alerted)

    def __getstate__(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state: dict[str, object]) -> None:
        for k, v in state.items():
            setattr(self, k, v)

    def dead_reckoned(self, t_ms: int) -> tuple[float, float]:
        """Where the vessel would be at ``t_ms`` had it kept its last speed and course — a vessel slower than
        ``_DR_MIN_KN`` (fishing, drifting, manoeuvring: its course says little of where it goes) stays put."""
        if self.sog < _DR_MIN_KN or self.cog < 0.0:
            return self.lon, self.lat
        return destination_point(self.lon, self.lat, self.cog, self.sog * MPS_PER_KN * (t_ms - self.start_ts) / 1000)

    def coverage_to(self, grid: CoverageGrid, mmsi: int, now_ms: int, p: DetectionParams,
                    reappear: tuple[int, float, float] | None = None) -> CoverageFigure:
        if reappear is None:
            return grid.figure(mmsi, self.dead_reckoned, self.start_ts, now_ms, p.dark_coverage_radius_m,
                               p.dark_coverage_radius_offshore_m)
        t1, x1, y1 = reappear

        def along(t: int) -> tuple[float, float]:
            return interpolate_position(self.lon, self.lat, self.start_ts, x1, y1, t1, t)

        return grid.figure(mmsi, along, self.start_ts, now_ms, p.dark_coverage_radius_m,
                           p.dark_coverage_radius_offshore_m)

    def p_silent(self) -> float:
        """P(no reception during the gap | the vessel kept transmitting), under the reception model."""
        return p_missing_all(self.heard, self.missed, self.coverage.opportunities)
