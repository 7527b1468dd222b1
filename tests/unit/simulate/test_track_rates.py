"""Tracks and reporting intervals (ITU-R M.1371)."""

from __future__ import annotations

import pytest

from services.simulate.latlon_geodesy import distance_m
from services.simulate.rates import class_a_interval_s, class_b_interval_s
from services.simulate.trajectory import NAV_ANCHORED, NAV_UNDERWAY, TrackBuilder

T0 = 1_710_273_600_000


@pytest.mark.parametrize(("sog", "status", "expected"), [
    (0.1, NAV_ANCHORED, 180.0), (5.0, NAV_ANCHORED, 10.0), (12.0, NAV_UNDERWAY, 10.0),
    (18.0, NAV_UNDERWAY, 6.0), (32.0, NAV_UNDERWAY, 2.0),
])
def test_class_a_intervals(sog: float, status: int, expected: float) -> None:
    assert class_a_interval_s(sog, status) == expected


def test_class_b_intervals() -> None:
    assert class_b_interval_s(1.5) == 180.0
    assert class_b_interval_s(45.0) == 30.0


def test_sail_to_speed_and_course() -> None:
    tr = TrackBuilder(T0, 36.0, -5.0).sail_to(36.0, -4.0, 12.0).build()
    mid = tr.state_at((tr.start_ms + tr.end_ms) // 2)
    assert mid is not None
    assert mid.sog_kn == pytest.approx(12.0, rel=1e-6)
    assert mid.cog_deg == pytest.approx(90.0, abs=0.5)
    assert tr.state_at(tr.end_ms + 1) is None
    hours = (tr.end_ms - tr.start_ms) / 3.6e6
    assert distance_m(36.0, -5.0, 36.0, -4.0) / 1852 / hours == pytest.approx(12.0, rel=1e-6)


def test_hold_swings_round_the_anchor_slowly() -> None:
    tr = TrackBuilder(T0, 36.1, -5.4).hold(3600).build()
    states = [tr.state_at(T0 + k * 60_000) for k in range(60)]
    assert all(s is not None and distance_m(36.1, -5.4, s.lat, s.lon) < 50 for s in states)
    assert all(s is not None and s.sog_kn < 0.5 and s.nav_status == NAV_ANCHORED for s in states)


def test_shifted_track_follows_behind() -> None:
    tug = TrackBuilder(T0, 36.9, -7.0).sail_to(36.5, -6.6, 7.0).build()
    tow = tug.shifted(120_000)
    t = T0 + 3_600_000
    a, b = tug.state_at(t), tow.state_at(t)
    assert a is not None and b is not None
    assert distance_m(a.lat, a.lon, b.lat, b.lon) == pytest.approx(7.0 * 1852 / 30, rel=0.01)


def test_follow_points_keep_the_offset() -> None:
    lead = TrackBuilder(T0, 31.0, -15.5).sail_for(45.0, 1.0, 7200).build()
    pts = lead.follow_points(T0 + 600_000, T0 + 6_000_000, 90.0, 200.0)
    for t, lat, lon in pts:
        s = lead.state_at(t)
        assert s is not None
        assert distance_m(s.lat, s.lon, lat, lon) == pytest.approx(200.0, rel=1e-3)
