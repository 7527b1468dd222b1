"""Reception: shore stations fading with range, per-area satellite passes, class B heard less, blackouts,
and the coast / offshore regime of a place."""

from __future__ import annotations

import itertools
import random
import statistics

import pytest

from services.simulate.places import STATIONS
from services.simulate.reception import ReceptionModel
from services.simulate.satcoverage import (
    AREAS,
    DEFAULT_AREA,
    PASS_S,
    Blackout,
    PassSchedule,
    SatelliteArea,
    SatelliteCoverage,
    satellite_coverage,
)
from services.simulate.shore import COAST, OFFSHORE, Station, regime_at, station_from_dict, station_to_dict

T0 = 1_710_273_600_000
H = 3_600_000
STATION = Station("rx", 36.0, -5.0, range_m=75_000.0, p_max=1.0)
EVERYWHERE = SatelliteArea("all", -90, 90, -180, 180, (60, 60))


def _always(t0: int, t1: int, area: SatelliteArea = EVERYWHERE) -> SatelliteCoverage:
    return SatelliteCoverage((PassSchedule(area, ((t0, t1),)),))


def test_terrestrial_reception_fades_with_range() -> None:
    model = ReceptionModel((STATION,), p_late=0.0)
    rng = random.Random(1)
    near = sum(bool(model.receive(T0, 36.1, -5.0, rng)) for _ in range(200))
    edge = sum(bool(model.receive(T0, 36.0, -5.0 + 0.78, rng)) for _ in range(200))  # ~70 km east
    assert near == 200
    assert 0 < edge < 100


def test_satellite_only_outside_range_during_passes_and_not_in_blackout() -> None:
    model = ReceptionModel((STATION,), _always(T0, T0 + 600_000), p_sat_a=1.0)
    rng = random.Random(2)
    got = model.receive(T0 + 60_000, 31.0, -15.0, rng)
    assert [r.source for r in got] == ["sat-ais"]
    assert got[0].arrival_ms > got[0].rx_ms
    assert model.receive(T0 + 700_000, 31.0, -15.0, rng) == []
    assert [r.source for r in model.receive(T0 + 60_000, 36.1, -5.0, rng)] == ["rx"]  # in range: shore only
    dark = ReceptionModel((STATION,), _always(T0, T0 + 600_000).with_blackout(
        Blackout(30, 32, -16, -14, T0, T0 + 600_000)), p_sat_a=1.0)
    assert dark.receive(T0 + 60_000, 31.0, -15.0, rng) == []
    assert ReceptionModel((STATION,)).receive(T0 + 60_000, 31.0, -15.0, rng) == []  # no satellites at all


def test_class_b_is_heard_less_by_satellites() -> None:
    model = ReceptionModel((STATION,), _always(T0, T0 + H))
    rng = random.Random(3)
    heard = {c: sum(bool(model.receive(T0 + 1000, 31.0, -15.0, rng, c)) for _ in range(20_000)) for c in "AB"}
    assert heard["A"] / 20_000 == pytest.approx(0.15, abs=0.015)
    assert heard["B"] / 20_000 == pytest.approx(0.05, abs=0.01)


def test_each_area_has_its_own_revisits_and_the_default_covers_the_rest() -> None:
    cov = satellite_coverage(1, T0, T0 + 48 * H)
    assert [s.area for s in cov.schedules] == [*AREAS, DEFAULT_AREA]
    for s in cov.schedules:
        lo, hi = s.area.revisit_min
        gaps_min = [(b[0] - a[0]) / 60_000 for a, b in itertools.pairwise(s.passes)]
        assert lo <= min(gaps_min) and max(gaps_min) <= hi, s.area.name
        assert statistics.mean(gaps_min) == pytest.approx((lo + hi) / 2, rel=0.25), s.area.name
        assert all(PASS_S[0] * 1000 <= t1 - t0 <= PASS_S[1] * 1000 for t0, t1 in s.passes)
    assert cov.schedule_at(41.0, -13.0).area.name == "atlantic_approaches"
    assert cov.schedule_at(31.0, -15.5).area.name == "macaronesia"
    assert cov.schedule_at(38.5, -21.5).area.name == "azores"
    assert cov.schedule_at(38.2, 5.0).area.name == "mediterranean"
    assert cov.schedule_at(10.0, -19.5).area is DEFAULT_AREA


def test_pass_schedules_are_deterministic_per_seed_and_area() -> None:
    assert satellite_coverage(1, T0, T0 + 12 * H) == satellite_coverage(1, T0, T0 + 12 * H)
    a, b = satellite_coverage(1, T0, T0 + 12 * H), satellite_coverage(2, T0, T0 + 12 * H)
    assert a.schedules[0].passes != b.schedules[0].passes
    assert a.schedules[0].passes != a.schedules[1].passes


def test_overhead_agrees_with_the_pass_list() -> None:
    (s,) = satellite_coverage(5, T0, T0 + 24 * H).schedules[:1]
    for t in range(T0, T0 + 24 * H, 37_000):
        assert s.overhead(t) == any(t0 <= t < t1 for t0, t1 in s.passes)


def test_merged_coverage_unites_blackouts() -> None:
    one = satellite_coverage(1, T0, T0 + 12 * H).with_blackout(Blackout(30, 31, -20, -19, T0, T0 + H))
    two = satellite_coverage(1, T0, T0 + 12 * H).with_blackout(Blackout(24, 27, -23, -19.5, T0, T0 + H))
    merged = one.merged(two)
    assert merged.schedules == one.schedules and len(merged.blackouts) == 2


def test_regime_of_a_place() -> None:
    assert regime_at(STATIONS, 36.0, -5.5) == COAST  # the Strait
    assert regime_at(STATIONS, 41.0, -13.0) == OFFSHORE  # 300 km west of Portugal
    assert regime_at(STATIONS, 38.2, 5.0) == OFFSHORE  # open western Mediterranean
    assert regime_at((), 36.0, -5.5) == OFFSHORE
    assert station_from_dict(station_to_dict(STATIONS[0])) == STATIONS[0]
