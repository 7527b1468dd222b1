"""Rendezvous: duration, slowness, ports, moving together, merging, satellite-pass bridging."""

from __future__ import annotations

from msa.domain import AlertStatus, PositionReport
from tests.unit.detect.builders import ALGECIRAS_ANCHORAGE, OFFSHORE, T0, end_of, live, run, track

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
