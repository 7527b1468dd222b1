"""Every scenario's truth is consistent with what its actors physically do (no rendering needed)."""

from __future__ import annotations

import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.simulate.geodesy import distance_m
from services.simulate.model import Actor, World
from services.simulate.scenarios import SCENARIOS, build_world, scenario_names

SEEDS = (1, 2, 3)


def _actor(world: World, mmsi: int) -> Actor:
    (a,) = [a for a in world.actors if a.transmits and a.spec.mmsi == mmsi]
    return a


def _samples(start_ms: int, end_ms: int, n: int = 40) -> list[int]:
    return [start_ms + (end_ms - start_ms) * k // (n - 1) for k in range(n)]


@pytest.mark.parametrize("seed", SEEDS)
def test_all_merges_every_scenario_with_unique_mmsis(seed: int) -> None:
    world = build_world("all", seed)
    assert {e.scenario for e in world.events + world.decoys} == set(SCENARIOS)
    assert len({e.item_id for e in world.events + world.decoys}) == len(world.events) + len(world.decoys)


def test_unknown_scenario_is_refused() -> None:
    with pytest.raises(KeyError):
        build_world("nope", 1)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", scenario_names())
def test_truth_matches_the_actors(name: str, seed: int) -> None:
    check_truth(name, build_world(name, seed))


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(min_value=4, max_value=10**6), name=st.sampled_from(scenario_names()))
def test_truth_matches_the_actors_for_any_seed(name: str, seed: int) -> None:
    check_truth(name, build_world(name, seed))


def check_truth(name: str, world: World) -> None:
    assert world.events or world.decoys
    for e in world.events:
        assert world.start_ms <= e.start_ms <= e.end_ms <= world.end_ms, e.item_id
        actors = [_actor(world, m) for m in e.mmsi]
        if e.kind == "go_fast":
            speeds = [s.sog_kn for t in _samples(e.start_ms + 1000, e.end_ms - 1000)
                      if (s := actors[0].track.state_at(t))]
            assert min(speeds) >= 38.0 and max(speeds) <= 55.0
            assert (e.end_ms - e.start_ms) >= 30 * 60_000
            assert actors[0].spec.length_m is None or actors[0].spec.length_m <= 20
        elif e.kind == "dark_period":
            assert actors[0].silences == ((e.start_ms, e.end_ms),)
            assert e.end_ms - e.start_ms >= (3 if name == "atlantic_dark" else 1) * 3_600_000 + 600_000
        elif e.kind == "rendezvous":
            a, b = actors
            for t in _samples(e.start_ms + 1000, e.end_ms - 1000):
                sa, sb = a.track.state_at(t), b.track.state_at(t)
                assert sa is not None and sb is not None
                assert distance_m(sa.lat, sa.lon, sb.lat, sb.lon) <= 310
                assert sa.sog_kn < 3 and sb.sog_kn < 3
            assert e.end_ms - e.start_ms >= 45 * 60_000
        elif e.kind in ("dark_vessel", "dark_rendezvous"):
            assert e.detection_id is not None
            ghost = [a for a in world.actors if not a.transmits]
            assert len(ghost) == 1
            s = ghost[0].track.state_at(e.start_ms if e.kind == "dark_vessel" else world.scenes[0].ts_ms)
            assert s is not None
            near = [distance_m(s.lat, s.lon, st.lat, st.lon) for a in world.actors if a.transmits
                    if (st := a.track.state_at(world.scenes[0].ts_ms))]
            if e.kind == "dark_vessel":
                assert min(near) > 8000
            else:
                assert min(near) <= 1000


@pytest.mark.parametrize("seed", SEEDS)
def test_decoys_are_what_they_claim(seed: int) -> None:
    world = build_world("all", seed)
    for d in world.decoys:
        actors = [_actor(world, m) for m in d.mmsi]
        if d.scenario == "ferries":
            (ferry,) = actors
            assert ferry.spec.ship_type is not None and 40 <= ferry.spec.ship_type <= 49
            assert ferry.spec.length_m is not None and ferry.spec.length_m >= 40
            top = max(s.sog_kn for t in _samples(world.start_ms, world.end_ms, 400)
                      if (s := ferry.track.state_at(t)))
            assert 30 <= top <= 35.1
        elif d.scenario == "tug_tow":
            tug, tow = actors
            for t in _samples(d.start_ms + 600_000, d.end_ms):
                a, b = tug.track.state_at(t), tow.track.state_at(t)
                assert a is not None and b is not None
                assert 150 <= distance_m(a.lat, a.lon, b.lat, b.lon) <= 450 and 6 <= a.sog_kn <= 8
        elif d.scenario == "anchorage":
            t = d.end_ms - 60_000
            speeds = [s.sog_kn for a in actors if (s := a.track.state_at(t))]
            assert len(speeds) == len(actors) and statistics.median(speeds) < 0.5
        elif d.scenario == "glitch":
            assert len(actors[0].glitches) == 1
        elif d.scenario == "coverage_gap":
            assert world.reception.blackouts
