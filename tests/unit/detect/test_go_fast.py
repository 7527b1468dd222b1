"""Go-fast: sustained speed, severity, identity exclusions, glitches, implied speed, loiter-then-sprint."""

from __future__ import annotations

from msa.domain import AlertStatus, Severity
from tests.unit.detect.builders import ALBORAN, NOWHERE, OFFSHORE, T0, end_of, live, make_engine, run, static, track

ZONE = "Strait of Gibraltar and Alboran Sea"


def fast_then_slow(mmsi: int, sog_kn: float, fast_s: float, *, at: tuple[float, float] = ALBORAN,
                   **kw: object) -> list:  # type: ignore[type-arg]
    fast = track(mmsi, 0, fast_s, 10, *at, sog_kn=sog_kn, **kw)  # type: ignore[arg-type]
    return fast + track(mmsi, fast_s + 10, fast_s + 600, 10, *end_of(fast), sog_kn=5.0)


def test_sustained_35_kn_for_10_min_is_one_closed_medium_alert() -> None:
    alerts = live(run(fast_then_slow(224000001, 35.0, 600)), "go_fast")
    assert len(alerts) == 1
    a = alerts[0]
    assert (a.mmsi, a.zone, a.status, a.severity) == ((224000001,), ZONE, AlertStatus.CLOSED, Severity.MEDIUM)
    assert a.start_ms == T0 and a.end_ms == T0 + 600_000
    assert a.evidence["mean_speed_kn"] == 35.0
    assert a.evidence["thresholds"]["gofast_min_speed_kn"] == 30.0
    assert a.geometry["type"] == "LineString" and len(a.geometry["coordinates"]) >= 2
    assert a.vessels[0].flag == "ES"


def test_45_kn_is_high_severity() -> None:
    (a,) = live(run(fast_then_slow(224000002, 45.0, 600)), "go_fast")
    assert a.severity == Severity.HIGH


def test_four_minutes_is_not_sustained() -> None:
    assert live(run(fast_then_slow(224000003, 35.0, 240)), "go_fast") == []


def test_below_30_kn_is_not_a_go_fast() -> None:
    assert live(run(fast_then_slow(224000004, 28.0, 900)), "go_fast") == []


def test_declared_high_speed_craft_is_not_flagged() -> None:
    recs = [static(224000005, -60, ship_type=40, length_m=15.0), *fast_then_slow(224000005, 35.0, 900)]
    assert live(run(recs), "go_fast") == []


def test_craft_longer_than_20_m_is_not_flagged() -> None:
    recs = [static(224000006, -60, ship_type=37, length_m=30.0), *fast_then_slow(224000006, 35.0, 900)]
    assert live(run(recs), "go_fast") == []


def test_small_craft_with_known_length_is_flagged() -> None:
    recs = [static(224000007, -60, ship_type=37, length_m=12.0), *fast_then_slow(224000007, 35.0, 900)]
    (a,) = live(run(recs), "go_fast")
    assert a.vessels[0].length_m == 12.0
    assert a.evidence["identity_basis"] == "length known"


def test_static_data_arriving_after_the_alert_retracts_it() -> None:
    recs = [*fast_then_slow(224000008, 35.0, 900), static(224000008, 2000, ship_type=42, length_m=35.0)]
    alerts = run(recs, sort=False)
    assert [a.status for a in alerts if a.kind == "go_fast"] == [AlertStatus.RETRACTED]
    assert "high-speed craft" in alerts[0].evidence["retracted_because"]


def test_a_single_position_jump_is_a_glitch() -> None:
    recs = track(224000009, 0, 1800, 10, *ALBORAN, sog_kn=8.0)
    bad = recs[90]
    assert bad.lat is not None
    recs[90] = type(bad)(mmsi=bad.mmsi, ts_ms=bad.ts_ms, lat=bad.lat + 0.1, lon=bad.lon, sog_kn=8.0)
    eng = make_engine()
    assert live(run(recs, engine=eng)) == []
    assert eng.counters["position_glitches"] == 1


def test_implied_speed_without_sog_is_enough() -> None:
    recs = track(224000010, 0, 600, 10, *ALBORAN, sog_kn=36.0, report_sog=False)
    recs += track(224000010, 610, 900, 10, *end_of(recs), sog_kn=3.0, report_sog=False)
    (a,) = live(run(recs), "go_fast")
    assert 35.0 <= a.evidence["mean_speed_kn"] <= 37.0


def test_reported_sog_not_borne_out_by_positions_is_ignored() -> None:
    recs = track(224000011, 0, 900, 30, *ALBORAN, sog_kn=0.0)
    recs = [type(r)(mmsi=r.mmsi, ts_ms=r.ts_ms, lat=r.lat, lon=r.lon, sog_kn=35.0) for r in recs]
    assert live(run(recs), "go_fast") == []


def test_outside_every_zone_nothing_is_alerted() -> None:
    assert live(run(fast_then_slow(224000012, 45.0, 900, at=NOWHERE))) == []


def test_loiter_then_sprint_to_the_coast_at_27_kn() -> None:
    loiter = track(224000013, 0, 2700, 30, *ALBORAN, sog_kn=0.5, cog_deg=90.0)
    sprint = track(224000013, 2730, 2730 + 1200, 10, *end_of(loiter), sog_kn=27.0, cog_deg=0.0)  # to Motril
    ashore = track(224000013, 3940, 4200, 10, *end_of(sprint), sog_kn=2.0)
    (a,) = live(run(loiter + sprint + ashore), "go_fast")
    assert a.evidence["profile"] == "loiter_then_sprint_to_coast"
    assert a.severity == Severity.HIGH
    assert a.evidence["coast_approach_m"] >= 5000


def test_27_kn_without_loitering_is_not_flagged() -> None:
    recs = track(224000014, 0, 1200, 10, *ALBORAN, sog_kn=27.0, cog_deg=0.0)
    assert live(run(recs), "go_fast") == []


def test_reception_gap_during_a_run_is_bridged() -> None:
    first = track(224000015, 0, 600, 10, *OFFSHORE, sog_kn=40.0, cog_deg=90.0)
    second = track(224000015, 600 + 900, 2400, 10, *end_of(track(224000015, 0, 1500, 1500, *OFFSHORE,
                                                                 sog_kn=40.0, cog_deg=90.0)),
                   sog_kn=40.0, cog_deg=90.0)
    tail = track(224000015, 2410, 2700, 10, *end_of(second), sog_kn=5.0)
    (a,) = live(run(first + second + tail), "go_fast")
    assert a.start_ms == T0 and a.end_ms == T0 + 2400_000
