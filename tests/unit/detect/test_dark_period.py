"""Dark periods: opening at the watermark, closing on reappearance, coverage gaps, retraction."""

from __future__ import annotations

from geo.geodesy import haversine_m
from msa.domain import AlertStatus, PositionReport, Record
from tests.unit.detect.builders import ALBORAN, OFFSHORE, T0, live, make_engine, ping, run, track

V = 224100001


def companions(at: tuple[float, float], until_s: float, n: int = 3) -> list[PositionReport]:
    """Vessels that keep being heard around ``at`` (a few km away) all along."""
    lat, lon = at
    out: list[PositionReport] = []
    for i in range(n):
        out += track(224200001 + i, 0, until_s, 60, lat + 0.03 * (i + 1), lon + 0.02, sog_kn=0.5)
    return out


def silent_vessel(at: tuple[float, float], silence_s: float, *, every_s: float = 10) -> list[PositionReport]:
    lat, lon = at
    before = track(V, 0, 1800, every_s, lat, lon, sog_kn=1.0)
    after = track(V, 1800 + silence_s, 1800 + silence_s + 600, every_s, lat + 0.045, lon, sog_kn=1.0)
    return before + after


def test_silent_two_hours_in_the_strait_is_a_closed_dark_period() -> None:
    recs = silent_vessel(ALBORAN, 7200)
    last, back = recs[180], recs[181]
    assert last.lat is not None and last.lon is not None and back.lat is not None and back.lon is not None
    gap_m = haversine_m(last.lon, last.lat, back.lon, back.lat)
    alerts = live(run(recs + companions(ALBORAN, 10_000)), "dark_period")
    assert len(alerts) == 1
    a = alerts[0]
    assert a.status == AlertStatus.CLOSED and a.mmsi == (V,)
    assert a.zone == "Strait of Gibraltar and Alboran Sea"
    assert a.start_ms == T0 + 1_800_000 and a.end_ms == T0 + 9_000_000
    ev = a.evidence
    assert ev["gap_s"] == 7200
    assert ev["gap_distance_m"] == round(gap_m)
    assert abs(ev["implied_speed_kn"] - gap_m / 7200 * 3600 / 1852) < 0.01
    assert ev["coverage"]["fraction"] >= 0.5 and ev["coverage"]["other_vessels"] >= 2
    assert ev["thresholds"]["dark_threshold_s"] == 3600
    assert a.geometry["type"] == "LineString"


def test_alert_opens_when_the_watermark_passes_the_threshold() -> None:
    eng = make_engine(grace_s=60)
    recs: list[Record] = sorted([*silent_vessel(ALBORAN, 7200)[:181], *companions(ALBORAN, 1800 + 3500)],
                                key=lambda r: r.ts_ms)
    versions = [a for r in recs for a in eng.process(r)]
    assert not [a for a in versions if a.kind == "dark_period"]  # 58 min of silence: not yet
    versions = eng.advance_watermark(T0 + (1800 + 3600 + 120) * 1000)
    opened = [a for a in versions if a.kind == "dark_period"]
    assert [a.status for a in opened] == [AlertStatus.OPEN]
    assert opened[0].end_ms is None and opened[0].geometry["type"] == "Point"


def test_nobody_heard_around_is_a_coverage_gap_not_an_alert() -> None:
    eng = make_engine()
    assert live(run(silent_vessel(ALBORAN, 7200), engine=eng), "dark_period") == []
    assert eng.counters["dark_gaps_low_coverage"] == 1


def test_silence_shorter_than_the_threshold_is_nothing() -> None:
    assert live(run(silent_vessel(ALBORAN, 3000) + companions(ALBORAN, 6000)), "dark_period") == []


def test_offshore_threshold_is_three_hours() -> None:
    assert live(run(silent_vessel(OFFSHORE, 7200) + companions(OFFSHORE, 10_000)), "dark_period") == []
    (a,) = live(run(silent_vessel(OFFSHORE, 4 * 3600) + companions(OFFSHORE, 17_000)), "dark_period")
    assert a.zone == "MAOC-N Atlantic approaches"


def test_a_vessel_that_was_not_reporting_regularly_is_not_dark() -> None:
    recs = [ping(V, t, *ALBORAN, 1.0) for t in (0, 900, 1800)] + [ping(V, 9000, ALBORAN[0] + 0.01, ALBORAN[1], 1.0)]
    assert live(run(recs + companions(ALBORAN, 10_000)), "dark_period") == []


def test_a_vessel_heard_at_a_fraction_of_its_rate_is_at_the_edge_of_coverage() -> None:
    # class A underway should be heard every 10 s; heard every 2 min = 8 % of its transmissions
    recs = silent_vessel(ALBORAN, 7200, every_s=120)
    assert live(run(recs + companions(ALBORAN, 10_000)), "dark_period") == []


def test_still_silent_at_the_end_of_input_stays_open() -> None:
    recs = track(V, 0, 1800, 10, *ALBORAN, sog_kn=1.0) + companions(ALBORAN, 1800 + 7200)
    (a,) = live(run(recs), "dark_period")
    assert a.status == AlertStatus.OPEN and a.end_ms is None


def test_a_late_position_inside_the_gap_retracts_the_alert() -> None:
    eng = make_engine(grace_s=60)
    recs = sorted(track(V, 0, 1800, 10, *ALBORAN, sog_kn=1.0) + companions(ALBORAN, 1800 + 4500),
                  key=lambda r: r.ts_ms)
    versions = [a for r in recs for a in eng.process(r)]
    assert [a.status for a in versions if a.kind == "dark_period"] == [AlertStatus.OPEN]
    late = eng.process(ping(V, 1800 + 2400, *ALBORAN, 1.0))  # 40 min into the gap, beyond the grace
    assert [a.status for a in late] == [AlertStatus.RETRACTED]
    assert eng.counters["late_beyond_grace"] == 1
