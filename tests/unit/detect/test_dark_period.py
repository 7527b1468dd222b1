"""Dark periods: opening at the watermark, closing on reappearance, coverage gaps, retraction, and the
reception model — shore reception near the coast, satellite passes offshore, class B, ports."""

from __future__ import annotations

from geo.geodesy import haversine_m
from msa.domain import AisClass, AlertStatus, PositionReport, Record
from tests.unit.detect.builders import (
    ALBORAN,
    ALGECIRAS_ANCHORAGE,
    COASTAL,
    OFFSHORE,
    T0,
    heard_in,
    live,
    make_engine,
    ping,
    run,
    satellite_passes,
    track,
)

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


def test_a_days_long_coverage_gap_is_judged_a_few_dozen_times_not_every_bucket() -> None:
    eng = make_engine()
    assert live(run(silent_vessel(ALBORAN, 48 * 3600), engine=eng), "dark_period") == []
    checks = eng.counters["dark_gaps_low_coverage_checks"]
    assert 72 <= checks <= 72 + 40, checks  # 6 per hour up to 12 h, then every twelfth of the silence (288 before)


def test_silence_shorter_than_the_threshold_is_nothing() -> None:
    assert live(run(silent_vessel(ALBORAN, 3000) + companions(ALBORAN, 6000)), "dark_period") == []


def test_beyond_shore_range_the_threshold_is_two_hours() -> None:
    assert live(run(silent_vessel(OFFSHORE, 6600) + companions(OFFSHORE, 10_000)), "dark_period") == []
    (a,) = live(run(silent_vessel(OFFSHORE, 7800) + companions(OFFSHORE, 17_000)), "dark_period")
    assert a.zone == "MAOC-N Atlantic approaches"
    assert a.evidence["regime"] == "satellite" and a.evidence["threshold_s"] == 7200


def test_near_the_coast_the_atlantic_threshold_stays_three_hours() -> None:
    assert live(run(silent_vessel(COASTAL, 2.5 * 3600) + companions(COASTAL, 14_000)), "dark_period") == []
    (a,) = live(run(silent_vessel(COASTAL, 4 * 3600) + companions(COASTAL, 17_000)), "dark_period")
    assert a.evidence["regime"] == "terrestrial" and a.evidence["threshold_s"] == 10800


def satellite_world(silence: tuple[float, float], *, revisit_s: float, ais_class: AisClass = AisClass.A,
                    every: int = 2, skip_passes: int = 1, end_s: float = 30_000,
                    neighbours_heard: bool = True) -> list[PositionReport]:
    """Offshore, heard only by satellite passes: the vessel (class A every 10 s, B every 30 s, silent during
    ``silence``) and three neighbours 20–60 km away, transmitting all along."""
    passes = satellite_passes(0, end_s, revisit_s)
    lat, lon = OFFSHORE
    step = 30 if ais_class == AisClass.B else 10
    own = [r for r in track(V, 0, end_s, step, lat, lon, sog_kn=1.0, ais_class=ais_class)
           if not silence[0] <= (r.ts_ms - T0) / 1000 < silence[1]]
    recs = heard_in(own, passes, every=every, skip_passes=skip_passes)
    if neighbours_heard:
        for i in range(3):
            recs += heard_in(track(224200001 + i, 0, end_s, 10, lat + 0.2 * (i + 1), lon + 0.3, sog_kn=2.0),
                             passes, every=6)
    return recs


def test_a_satellite_only_vessel_that_misses_passes_for_two_and_a_half_hours_is_dark() -> None:
    (a,) = live(run(satellite_world((7200, 7200 + 9000), revisit_s=1800)), "dark_period")
    assert a.status == AlertStatus.CLOSED and a.evidence["regime"] == "satellite"
    rx = a.evidence["reception"]
    assert rx["opportunities"] >= 4 and rx["p_silent"] <= 0.001 and rx["p_heard"] > 0.7


def test_a_satellite_only_vessel_heard_at_its_passes_is_never_dark() -> None:
    for revisit_s in (600, 1800, 3600, 6000):
        assert live(run(satellite_world((0, 0), revisit_s=revisit_s)), "dark_period") == [], revisit_s


def test_a_class_b_vessel_heard_at_half_the_passes_needs_a_longer_silence() -> None:
    def world(silence_h: float) -> list[PositionReport]:
        t0 = 6 * 3600.0
        return satellite_world((t0, t0 + silence_h * 3600), revisit_s=1800, ais_class=AisClass.B, every=1,
                               skip_passes=2, end_s=t0 + silence_h * 3600 + 7200)

    assert live(run(world(2.5)), "dark_period") == []
    t0 = 6 * 3600.0  # a class A heard at every pass is dark by then
    assert len(live(run(satellite_world((t0, t0 + 2.5 * 3600), revisit_s=1800, end_s=t0 + 5 * 3600)),
                    "dark_period")) == 1
    (a,) = live(run(world(5.0)), "dark_period")
    assert 0.4 < a.evidence["reception"]["p_heard"] < 0.7 and a.evidence["reception"]["opportunities"] >= 9


def test_offshore_nobody_heard_is_a_coverage_gap() -> None:
    eng = make_engine()
    recs = satellite_world((7200, 7200 + 9000), revisit_s=1800)
    blackout = [r for r in recs if not 6000 <= (r.ts_ms - T0) / 1000 < 7200 + 9000]  # no pass over the area
    assert live(run(blackout, engine=eng), "dark_period") == []
    assert eng.counters["dark_gaps_low_coverage"] == 4  # the vessel and its three neighbours


def test_a_vessel_heard_in_a_third_of_the_buckets_others_are_heard_in_is_at_the_edge_of_coverage() -> None:
    edge = [r for r in track(V, 0, 1800 * 4, 10, *ALBORAN, sog_kn=1.0) if (r.ts_ms - T0) // 600_000 % 3 == 0]
    recs = [*edge, ping(V, 1800 * 4 + 7200, *ALBORAN, 1.0)]
    assert live(run(recs + companions(ALBORAN, 18_000)), "dark_period") == []


def test_a_silence_that_starts_moored_or_in_port_is_not_a_dark_period() -> None:
    moored = track(V, 0, 1800, 10, *ALBORAN, sog_kn=0.0, nav_status=5)
    assert live(run(moored + companions(ALBORAN, 10_000)), "dark_period") == []
    in_port = track(V, 0, 1800, 10, *ALGECIRAS_ANCHORAGE, sog_kn=0.0)
    eng = make_engine()
    assert live(run(in_port + companions(ALGECIRAS_ANCHORAGE, 10_000), engine=eng), "dark_period") == []
    assert eng.counters["dark_in_port"] == 1


def test_a_vessel_that_was_not_reporting_regularly_is_not_dark() -> None:
    recs = [ping(V, t, *ALBORAN, 1.0) for t in (0, 900, 1800)] + [ping(V, 9000, ALBORAN[0] + 0.01, ALBORAN[1], 1.0)]
    assert live(run(recs + companions(ALBORAN, 10_000)), "dark_period") == []


def test_a_vessel_heard_every_two_minutes_is_heard_in_every_bucket() -> None:
    # the ITU-rate ratio rule refused this (8 % of a class A's transmissions): the reception model does not
    (a,) = live(run(silent_vessel(ALBORAN, 7200, every_s=120) + companions(ALBORAN, 10_000)), "dark_period")
    assert a.evidence["reception"]["p_heard"] > 0.9


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
