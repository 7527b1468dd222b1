"""The compressed track history that late satellite scenes are judged from."""

from __future__ import annotations

import math
import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from geo.geodesy import MPS_PER_KN, haversine_m
from services.detect.history import MAX_FIXES, MAX_STEP_S, TOLERANCE_M, Kept, TrackHistory

T0 = 1_700_000_000_000
M_PER_DEG = 111_195.0


def _move(lon: float, lat: float, sog_kn: float, cog_deg: float, dt_s: float) -> tuple[float, float]:
    d = sog_kn * MPS_PER_KN * dt_s
    lat2 = lat + d * math.cos(math.radians(cog_deg)) / M_PER_DEG
    lon2 = lon + d * math.sin(math.radians(cog_deg)) / (M_PER_DEG * math.cos(math.radians(lat)))
    return (lon2 + 540.0) % 360.0 - 180.0, lat2


def _dead_reckoned(k: Kept, t_ms: int) -> tuple[float, float]:
    if k.sog_kn <= 0.0 or k.cog_deg < 0.0:
        return k.lon, k.lat
    return _move(k.lon, k.lat, k.sog_kn, k.cog_deg, (t_ms - k.ts_ms) / 1000.0)


def _straight(hist: TrackHistory, hours: float, every_s: int, lon: float = -12.0, lat: float = 40.0,
              sog_kn: float = 12.0, cog_deg: float = 75.0) -> int:
    t = T0
    for _ in range(int(hours * 3600 / every_s)):
        hist.add(t, lon, lat, sog_kn, cog_deg)
        lon, lat = _move(lon, lat, sog_kn, cog_deg, every_s)
        t += every_s * 1000
    return t


def test_a_ship_sailing_straight_keeps_six_fixes_an_hour() -> None:
    hist = TrackHistory()
    _straight(hist, 3.0, 10)
    assert len(hist) == 3 * 3600 // int(MAX_STEP_S)
    assert all(b - a == MAX_STEP_S * 1000 for a, b in zip(hist.ts, hist.ts[1:], strict=False))


def test_straight_across_the_antimeridian_is_still_straight() -> None:
    hist = TrackHistory()
    _straight(hist, 2.0, 10, lon=179.9, lat=-17.0, sog_kn=15.0, cog_deg=90.0)
    assert hist.at(len(hist) - 1).lon < -179.0  # it crossed
    assert len(hist) == 2 * 3600 // int(MAX_STEP_S)


def test_a_turn_is_kept() -> None:
    hist = TrackHistory()
    t = _straight(hist, 0.25, 10)
    before = len(hist)
    last = hist.at(len(hist) - 1)
    lon, lat = _dead_reckoned(last, t)
    lon, lat = _move(lon, lat, 12.0, 165.0, 120)  # two minutes on a new heading: > 150 m off the old line
    assert hist.add(t + 120_000, lon, lat, 12.0, 165.0)
    assert len(hist) == before + 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(2, 120), st.floats(0.0, 35.0), st.floats(-40.0, 40.0), st.booleans()),
                min_size=5, max_size=150),
       st.floats(-179.5, 179.5), st.floats(-60.0, 60.0))
def test_every_dropped_fix_lies_near_the_dead_reckoning_of_the_kept_one_before_it(
        steps: list[tuple[int, float, float, bool]], lon: float, lat: float) -> None:
    hist = TrackHistory()
    t, cog = T0, 0.0
    for dt_s, sog, turn, sog_known in steps:
        cog = (cog + turn) % 360.0
        lon, lat = _move(lon, lat, sog, cog, dt_s)
        t += dt_s * 1000
        kept = hist.add(t, lon, lat, sog if sog_known else -1.0, cog if sog_known else -1.0)
        if not kept:
            k = hist.before(t)
            assert k is not None and t - k.ts_ms < MAX_STEP_S * 1000
            if k.sog_kn >= 0.0:  # with SOG: the documented bound (velocity from SOG/COG)
                dlon, dlat = _dead_reckoned(k, t)
                assert haversine_m(dlon, dlat, lon, lat) <= TOLERANCE_M * 1.05


def test_what_was_known_as_of_a_time() -> None:
    hist = TrackHistory()
    _straight(hist, 1.0, 10)
    mid = hist.ts[3]
    assert hist.after(mid - 1, as_of_ms=mid + 1) is not None
    assert hist.after(mid - 1, as_of_ms=mid) is None  # a fix at as_of was not known yet
    assert hist.before(mid).ts_ms == mid  # type: ignore[union-attr]


def test_prune_keeps_the_anchor_before_the_horizon() -> None:
    hist = TrackHistory()
    _straight(hist, 2.0, 10)
    anchor, n = hist.ts[5], len(hist)
    hist.prune(anchor + 1)
    assert hist.ts[0] == anchor  # the newest fix before the horizon stays: where a silent vessel was
    assert len(hist) == n - 5


def test_at_most_max_fixes_are_kept() -> None:
    hist = TrackHistory()
    t, lon = T0, 0.0
    for i in range(MAX_FIXES + 50):
        lon += 0.01 * (1 if i % 2 else -1) * 2  # zigzag: every fix is kept
        hist.add(t, lon, 0.0, 5.0, 0.0)
        t += 1000
    assert len(hist) == MAX_FIXES


def test_pickle_round_trip_keeps_deciding_the_same() -> None:
    a = TrackHistory()
    t = _straight(a, 0.5, 10)
    b = pickle.loads(pickle.dumps(a))
    assert list(b.ts) == list(a.ts)
    last = a.at(len(a) - 1)
    for k in range(1, 40):
        lon, lat = _dead_reckoned(last, t + k * 10_000)
        assert a.add(t + k * 10_000, lon, lat + 0.0003 * k, 12.0, 75.0) == \
            b.add(t + k * 10_000, lon, lat + 0.0003 * k, 12.0, 75.0)
