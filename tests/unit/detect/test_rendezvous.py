"""Rendezvous: duration, slowness, ports, moving together, merging, satellite-pass bridging."""

from __future__ import annotations

from msa.domain import AlertStatus, PositionReport
from tests.unit.detect.builders import (
    ALGECIRAS_ANCHORAGE,
    OFFSHORE,
    T0,
    WORLD,
    box_zones,
    end_of,
    live,
    make_engine,
    run,
    track,
)

A, B = 242005001, 613005001


def meeting(t0: float, minutes: float, *, at: tuple[float, float] = OFFSHORE, sog_kn: float = 1.0,
            apart_deg: float = 0.0018, every_s: float = 30) -> list[PositionReport]:
    """A and B about 200 m apart, both at ``sog_kn`` on course 90, then A leaves at 12 kn."""
    lat, lon = at
    t1 = t0 + minutes * 60
    a = track(A, t0, t1, every_s, lat, lon, sog_kn=sog_kn, cog_deg=90.0)
    b = track(B, t0 + 5, t1 + 5, every_s, lat + apart_deg, lon, sog_kn=sog_kn, cog_deg=90.0)
    leave = track(A, t1 + every_s, t1 + 1200, every_s, *end_of(a), sog_kn=12.0, cog_deg=180.0)
    return a + b + leave


def test_forty_minutes_together_offshore_is_a_rendezvous() -> None:
    (a,) = live(run(meeting(0, 40)), "rendezvous")
    assert a.mmsi == (A, B) and a.status == AlertStatus.CLOSED
    assert a.zone == "MAOC-N Atlantic approaches"
    assert a.start_ms == T0 + 5_000
    assert a.end_ms is not None and 39 * 60_000 <= a.end_ms - a.start_ms <= 41 * 60_000
    assert 150 <= a.evidence["closest_m"] <= 250
    assert a.evidence["median_speed_kn"] == [1.0, 1.0]
    assert a.evidence["thresholds"]["rv_max_distance_m"] == 500.0
    assert a.geometry["type"] == "Point"
    assert [v.flag for v in a.vessels] == ["MA", "CM"]


def test_twenty_minutes_is_too_short() -> None:
    assert live(run(meeting(0, 20)), "rendezvous") == []


def test_more_than_500_m_apart_is_no_meeting() -> None:
    assert live(run(meeting(0, 60, apart_deg=0.006)), "rendezvous") == []


def test_ships_together_in_an_anchorage_are_excluded() -> None:
    assert live(run(meeting(0, 90, at=ALGECIRAS_ANCHORAGE, sog_kn=0.1)), "rendezvous") == []


def test_moving_together_at_speed_is_a_convoy() -> None:
    assert live(run(meeting(0, 60, sog_kn=8.0)), "rendezvous") == []


def test_tug_and_tow_drifting_steadily_are_moving_together() -> None:
    # both report 2.5 kn (< 3 kn) but the pair's centroid moves at 2.5 kn > 2 kn drift
    assert live(run(meeting(0, 60, sog_kn=2.5)), "rendezvous") == []


def test_two_meetings_two_hours_apart_merge() -> None:
    first = meeting(0, 40)
    second = meeting(40 * 60 + 1200 + 3600, 40)
    (a,) = live(run(first + second), "rendezvous")
    assert len(a.evidence["meetings"]) == 2
    assert a.start_ms == T0 + 5_000


def test_two_meetings_six_hours_apart_are_two_alerts() -> None:
    alerts = live(run(meeting(0, 40) + meeting(40 * 60 + 1200 + 6 * 3600, 40)), "rendezvous")
    assert len(alerts) == 2


def test_satellite_passes_are_bridged() -> None:
    """Heard only during 10-minute passes every 80 minutes, still together: one 3 h meeting."""
    recs: list[PositionReport] = []
    for k in range(3):
        t0 = k * 80 * 60
        lat, lon = OFFSHORE
        lon += k * 0.01  # drifting slowly east between passes (< 1 kn)
        recs += track(A, t0, t0 + 600, 60, lat, lon, sog_kn=0.8, cog_deg=90.0)
        recs += track(B, t0 + 20, t0 + 620, 60, lat + 0.0018, lon, sog_kn=0.8, cog_deg=90.0)
    (a,) = live(run(recs), "rendezvous")
    assert len(a.evidence["meetings"]) == 1


# ---- sparse fixes, joint silence, ports of the world, the antimeridian -------------------------------------
def test_fixes_never_simultaneous_are_compared_at_the_same_instant() -> None:
    """A heard every 10 min, B only 20–25 min after A each time (different satellite passes): B's fix is too
    old for a direct comparison, so A is interpolated back to B's time. One meeting of 2 h."""
    lat, lon = OFFSHORE
    recs = track(A, 0, 7200, 600, lat, lon, sog_kn=0.8, cog_deg=90.0)
    recs += [r for r in track(B, 0, 7200, 60, lat + 0.0018, lon, sog_kn=0.8, cog_deg=90.0)
             if (r.ts_ms - T0) // 1000 % 1800 == 1320]
    recs += track(A, 7260, 9000, 60, *end_of(recs[:13]), sog_kn=12.0, cog_deg=180.0)  # A leaves
    (a,) = live(run(recs), "rendezvous")
    assert a.mmsi == (A, B) and len(a.evidence["meetings"]) == 1
    assert a.evidence["together_s"] >= 5400


def test_two_vessels_silent_together_then_back_together_are_one_encounter() -> None:
    """Meet, both switch AIS off for 6 h while drifting together (< 1 kn), reappear together: one alert, as
    Global Fishing Watch publishes such an encounter; the joint silence is in the evidence."""
    lat, lon = OFFSHORE
    before = meeting(0, 60)[:240]  # both, 1 h, no departure
    drift_lon = lon + 0.7 * 1852 * 7 / 88_000  # ~0.7 kn east for 7 h
    after = track(A, 7 * 3600, 8 * 3600, 30, lat, drift_lon, sog_kn=0.7, cog_deg=90.0)
    after += track(B, 7 * 3600 + 5, 8 * 3600 + 5, 30, lat + 0.0018, drift_lon, sog_kn=0.7, cog_deg=90.0)
    after += track(A, 8 * 3600 + 30, 9 * 3600, 30, lat - 0.01, drift_lon, sog_kn=12.0, cog_deg=180.0)
    (a,) = live(run(before + after), "rendezvous")
    assert len(a.evidence["meetings"]) == 1 and a.evidence["joint_silence_s"] >= 5 * 3600
    assert a.end_ms is not None and a.end_ms - a.start_ms >= 7.9 * 3600 * 1000


def test_back_from_a_joint_silence_far_apart_ends_the_meeting_when_they_went_silent() -> None:
    lat, lon = OFFSHORE
    before = meeting(0, 60)[:240]
    after = track(A, 7 * 3600, 8 * 3600, 30, lat + 0.8, lon, sog_kn=0.5)  # 90 km away: it sailed off
    after += track(B, 7 * 3600, 8 * 3600, 30, lat, lon + 0.05, sog_kn=0.5)
    (a,) = live(run(before + after), "rendezvous")
    assert a.status == AlertStatus.CLOSED and "joint_silence_s" not in a.evidence
    assert a.end_ms is not None and a.end_ms <= T0 + 3600 * 1000


def test_a_moored_vessel_is_never_in_a_rendezvous() -> None:
    lat, lon = OFFSHORE
    recs = track(A, 0, 3600, 30, lat, lon, sog_kn=0.0, nav_status=5)
    recs += track(B, 5, 3605, 30, lat + 0.0018, lon, sog_kn=0.0)
    assert live(run(recs), "rendezvous") == []


def test_ships_at_anchor_near_the_coast_are_no_rendezvous_but_offshore_they_are() -> None:
    from tests.unit.detect.builders import COASTAL

    def anchored(at: tuple[float, float]) -> list[PositionReport]:
        lat, lon = at
        return (track(A, 0, 3600, 30, lat, lon, sog_kn=0.1, nav_status=1)
                + track(B, 5, 3605, 30, lat + 0.0018, lon, sog_kn=0.1, nav_status=1))

    assert live(run(anchored(COASTAL)), "rendezvous") == []
    assert len(live(run(anchored(OFFSHORE)), "rendezvous")) == 1  # nobody anchors 390 km out: suspicious


def test_a_port_of_the_world_outside_the_curated_list_excludes_a_meeting() -> None:
    auckland = (-36.8446, 174.7617)  # NZAKL, one of the searoute package's ports of the world
    eng = make_engine(zone_index=box_zones(WORLD))
    assert live(run(meeting(0, 90, at=auckland, sog_kn=0.1), engine=eng), "rendezvous") == []
    eng = make_engine(zone_index=box_zones(WORLD))
    assert len(live(run(meeting(0, 90, at=(-36.0, 176.5), sog_kn=0.1), engine=eng), "rendezvous")) == 1


def test_vessels_meeting_across_the_antimeridian_are_a_rendezvous() -> None:
    zones = box_zones((179.0, -20.0, 180.0, -15.0), (-180.0, -20.0, -179.0, -15.0), name="Fiji east")
    lat = -17.5
    recs = track(A, 0, 3600, 30, lat, 179.9995, sog_kn=0.0)
    recs += track(B, 5, 3605, 30, lat, -179.9990, sog_kn=0.0)  # 160 m apart, on either side of 180°
    recs += track(A, 3630, 5400, 30, lat, 179.9995, sog_kn=12.0, cog_deg=270.0)  # A leaves
    (a,) = live(run(recs, engine=make_engine(zone_index=zones)), "rendezvous")
    assert a.mmsi == (A, B) and a.evidence["closest_m"] < 200


def test_an_anchorage_is_learnt_where_many_vessels_stop_near_the_coast() -> None:
    from tests.unit.detect.builders import COASTAL

    lat, lon = COASTAL
    others = [r for i in range(5) for r in track(636000100 + i, 0, 7200, 300, lat + 0.004 * (i - 2),
                                                   lon + 0.003, sog_kn=0.0)]
    recs = others + track(A, 3600, 7200, 30, lat, lon, sog_kn=0.2) + track(B, 3605, 7205, 30, lat + 0.0018, lon,
                                                                             sog_kn=0.2)
    assert live(run(recs), "rendezvous") == []
    assert len(live(run(track(A, 3600, 7200, 30, lat, lon, sog_kn=0.2)
                        + track(B, 3605, 7205, 30, lat + 0.0018, lon, sog_kn=0.2)), "rendezvous")) == 1


def test_stops_older_than_the_anchorage_window_are_forgotten() -> None:
    """Learnt anchorages cost memory only for the stops of the last 48 h: housekeeping forgets older ones,
    and a meeting at a place where five vessels stopped three days earlier is a rendezvous again."""
    from tests.unit.detect.builders import COASTAL, make_engine

    lat, lon = COASTAL
    others = [r for i in range(5) for r in track(636000100 + i, 0, 3600, 300, lat + 0.004 * (i - 2),
                                                   lon + 0.003, sog_kn=0.0)]
    later = 72 * 3600
    pair = track(A, later, later + 3600, 30, lat, lon, sog_kn=0.2) + track(B, later + 5, later + 3605, 30,
                                                                          lat + 0.0018, lon, sog_kn=0.2)
    eng = make_engine()
    alerts = run(others + pair, engine=eng)
    assert len(live(alerts, "rendezvous")) == 1
    assert {m for cell in eng.rendezvous.stops.stopped.values() for m in cell} == {A, B}  # type: ignore[union-attr]
