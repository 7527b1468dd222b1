"""Every scenario's truth is consistent with what its actors physically do (no rendering needed)."""

from __future__ import annotations

import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.ports import load_ports
from geo.zones import load_zones
from services.simulate.latlon_coast import distance_to_land_m
from services.simulate.latlon_geodesy import distance_m
from services.simulate.model import Actor, TruthItem, World
from services.simulate.sar import detection_id
from services.simulate.scenarios import SCENARIOS, SHARED_MMSIS, build_world, scenario_names
from services.simulate.shore import COAST, OFFSHORE, REGIMES, regime_at

SEEDS = (1, 2, 3)
OFFSHORE_MIN_LAND_M = 74_000.0  # 40 nm: beyond it AIS comes from satellites only
ZONES = load_zones()
PORTS = load_ports()
OFFSHORE_SCENARIOS = {"offshore_rendezvous", "dark_vessel", "coverage_gap", "offshore_gofast", "offshore_dark",
                      "offshore_dark_rendezvous", "offshore_dark_vessel", "joint_silence", "offshore_sparse",
                      "offshore_convoy", "offshore_fishing"}
BOTH_REGIMES = {"identity_shared"}


def _actors(world: World, mmsi: int) -> list[Actor]:
    return [a for a in world.actors if a.transmits and a.spec.mmsi == mmsi]


def _actor(world: World, mmsi: int) -> Actor:
    (a,) = _actors(world, mmsi)
    return a


def _samples(start_ms: int, end_ms: int, n: int = 40) -> list[int]:
    return [start_ms + (end_ms - start_ms) * k // (n - 1) for k in range(n)]


def _gap_m(a: Actor, b: Actor, t: int) -> float:
    sa, sb = a.track.state_at(t), b.track.state_at(t)
    assert sa is not None and sb is not None
    return distance_m(sa.lat, sa.lon, sb.lat, sb.lon)


def _ghost(world: World, e: TruthItem) -> tuple[Actor, int]:
    """The no-AIS actor whose SAR detection the item names, and the scene time."""
    for scene in world.scenes:
        for a in world.actors:
            if not a.transmits and detection_id(scene.scene_id, a.key) == e.detection_id:
                return a, scene.ts_ms
    raise AssertionError(f"no actor for {e.detection_id}")


@pytest.mark.parametrize("seed", SEEDS)
def test_all_merges_every_scenario_with_unique_mmsis(seed: int) -> None:
    world = build_world("all", seed)
    assert {e.scenario for e in world.events + world.decoys} == set(SCENARIOS)
    assert len({e.item_id for e in world.events + world.decoys}) == len(world.events) + len(world.decoys)
    shared = {a.spec.mmsi for a in world.actors if a.shares_mmsi}
    assert set(SHARED_MMSIS) <= shared
    solo = [a.spec.mmsi for a in world.actors if a.transmits and not a.shares_mmsi]
    assert len(solo) == len(set(solo)) and not set(solo) & shared


def test_merged_recording_stays_within_12_h() -> None:
    world = build_world("all", 1)
    assert world.end_ms - world.start_ms <= 12 * 3_600_000


def test_unknown_scenario_is_refused() -> None:
    with pytest.raises(KeyError):
        build_world("nope", 1)


def test_scenario_numbers_are_unique() -> None:
    numbers = [n for n, _ in SCENARIOS.values()]
    assert len(numbers) == len(set(numbers)) and 0 not in numbers


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", scenario_names())
def test_truth_matches_the_actors(name: str, seed: int) -> None:
    check_truth(name, build_world(name, seed))


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(min_value=4, max_value=10**6), name=st.sampled_from(scenario_names()))
def test_truth_matches_the_actors_for_any_seed(name: str, seed: int) -> None:
    check_truth(name, build_world(name, seed))


def _moored_in_port(a: Actor, leg_index: int) -> bool:
    leg = a.track.legs[leg_index]
    return leg.holding and leg.nav_status == 5 and PORTS.in_exclusion(leg.lon0, leg.lat0)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", [*scenario_names(), "all"])
def test_vessels_transmit_until_the_end_or_a_port(name: str, seed: int) -> None:
    """A vessel vanishing at sea is a dark period: no actor may end (or start) at sea unless it is in port,
    and every silence is a labelled dark period or starts while moored in a port."""
    world = build_world(name, seed)
    dark = {(m, e.start_ms, e.end_ms) for e in world.events if e.kind == "dark_period" for m in e.mmsi}
    for a in world.actors:
        if not a.transmits:
            continue
        assert a.track.start_ms <= world.start_ms - 600_000 or _moored_in_port(a, 0), a.key
        assert a.track.end_ms >= world.end_ms + 600_000 or _moored_in_port(a, -1), a.key
        for t0, t1 in a.silences:
            leg = next(g for g in a.track.legs if g.t0_ms <= t0 <= g.t1_ms)
            in_port = leg.holding and leg.nav_status == 5 and PORTS.in_exclusion(leg.lon0, leg.lat0)
            assert (a.spec.mmsi, t0, t1) in dark or (in_port and t1 >= world.end_ms), a.key


def test_every_kind_has_events_and_decoys_in_both_regimes() -> None:
    world = build_world("all", 1)
    for kind in ("go_fast", "dark_period", "rendezvous", "dark_vessel", "dark_rendezvous", "identity_anomaly"):
        for regime in REGIMES:
            assert any(e.kind == kind and e.regime == regime for e in world.events), (kind, regime)
            assert any(d.kind == kind and d.regime == regime for d in world.decoys), (kind, regime)


def check_truth(name: str, world: World) -> None:
    assert world.events or world.decoys
    for item in world.events + world.decoys:
        assert item.regime == regime_at(world.reception.stations, item.lat, item.lon), item.item_id
        if item.scenario not in BOTH_REGIMES:
            assert item.regime == (OFFSHORE if item.scenario in OFFSHORE_SCENARIOS else COAST), item.item_id
        assert ZONES.zone_at(item.lon, item.lat) is not None, item.item_id
        if item.regime == OFFSHORE:
            assert distance_to_land_m(item.lat, item.lon) > OFFSHORE_MIN_LAND_M, item.item_id
    for e in world.events:
        assert world.start_ms <= e.start_ms <= e.end_ms <= world.end_ms, e.item_id
        {"go_fast": _go_fast, "dark_period": _dark_period, "rendezvous": _rendezvous, "dark_vessel": _dark_vessel,
         "dark_rendezvous": _dark_rendezvous, "identity_anomaly": _identity}[e.kind](world, e)


def _go_fast(world: World, e: TruthItem) -> None:
    (a,) = [_actor(world, m) for m in e.mmsi]
    states = [s for t in _samples(e.start_ms + 1000, e.end_ms - 1000) if (s := a.track.state_at(t))]
    speeds = [s.sog_kn for s in states]
    assert min(speeds) >= 35.0 and max(speeds) <= 55.0
    assert (e.end_ms - e.start_ms) >= 30 * 60_000
    assert a.spec.length_m is None or a.spec.length_m <= 20
    if e.regime == OFFSHORE:
        assert e.end_ms - e.start_ms >= 3_600_000
        assert not any(world.reception.in_terrestrial_range(s.lat, s.lon) for s in states)
        assert min(distance_to_land_m(s.lat, s.lon) for s in states) > OFFSHORE_MIN_LAND_M
        assert world.reception.satellites is not None
        passes = world.reception.satellites.schedule_at(e.lat, e.lon).passes_between(e.start_ms, e.end_ms)
        assert len(passes) >= 2  # heard several times


def _dark_period(world: World, e: TruthItem) -> None:
    (a,) = [_actor(world, m) for m in e.mmsi]
    assert a.silences == ((e.start_ms, e.end_ms),)
    hours = (e.end_ms - e.start_ms) / 3_600_000
    assert hours >= (3 if e.scenario == "atlantic_dark" else 1) + 1 / 6
    if e.regime == OFFSHORE:
        states = [s for t in _samples(e.start_ms, e.end_ms) if (s := a.track.state_at(t))]
        assert min(distance_to_land_m(s.lat, s.lon) for s in states) > OFFSHORE_MIN_LAND_M
        if a.spec.ais_class == "B":  # heard on 5 % of her transmissions: only a long silence is improbable
            assert hours >= 5.0 and min(s.sog_kn for s in states) > 2.0
        elif e.scenario == "offshore_dark":
            assert 2.0 <= hours <= 3.5 and min(s.sog_kn for s in states) > 2.0
            assert min(distance_to_land_m(s.lat, s.lon) for s in states) > 150_000


def _rendezvous(world: World, e: TruthItem) -> None:
    a, b = [_actor(world, m) for m in e.mmsi]
    top = 2.0 if e.regime == COAST else 3.0
    for t in _samples(e.start_ms + 1000, e.end_ms - 1000):
        assert _gap_m(a, b, t) <= 500
        sa, sb = a.track.state_at(t), b.track.state_at(t)
        assert sa is not None and sb is not None and sa.sog_kn < top and sb.sog_kn < top
        if a.silent_at(t):
            assert b.silent_at(t) and sa.sog_kn < 1.0 and sb.sog_kn < 1.0  # drifting together, both silent
    assert e.end_ms - e.start_ms >= 45 * 60_000
    if e.regime == COAST:
        assert 3_600_000 <= e.end_ms - e.start_ms <= 2 * 3_600_000
        for t in _samples(e.start_ms + 1000, e.end_ms - 1000, 10):
            s = a.track.state_at(t)
            assert s is not None and PORTS.distance_to_nearest_m(s.lon, s.lat) >= 8000
            assert 15_000 <= distance_to_land_m(s.lat, s.lon) <= 40_000
            assert 100 <= _gap_m(a, b, t) <= 400
    if e.scenario == "joint_silence":
        (quiet,) = a.silences
        assert quiet == b.silences[0] and 5 * 3_600_000 <= quiet[1] - quiet[0] <= 6 * 3_600_000
        assert e.start_ms < quiet[0] and e.end_ms - quiet[1] >= 30 * 60_000
        after = [_gap_m(a, b, t) for t in _samples(e.end_ms + 1_200_000, e.end_ms + 2_400_000, 5)]
        assert min(after) > 2000  # then they part


def _dark_vessel(world: World, e: TruthItem) -> None:
    ghost, t_scene = _ghost(world, e)
    s = ghost.track.state_at(t_scene)
    assert s is not None and t_scene == e.start_ms
    near = [distance_m(s.lat, s.lon, st.lat, st.lon) for a in world.actors if a.transmits
            if (st := a.track.state_at(t_scene))]
    assert min(near) > (10_000 if e.scenario == "offshore_dark_vessel" else 8000)


def _dark_rendezvous(world: World, e: TruthItem) -> None:
    ghost, t_scene = _ghost(world, e)
    (fisher,) = [_actor(world, m) for m in e.mmsi]
    assert e.start_ms <= t_scene <= e.end_ms
    for t in _samples(e.start_ms + 1000, e.end_ms - 1000, 12):
        assert _gap_m(ghost, fisher, t) <= 1000
    if e.regime == OFFSHORE:
        assert 1.5 * 3_600_000 <= e.end_ms - e.start_ms <= 2.5 * 3_600_000
        assert world.reception.satellites is not None
        lo, hi = world.reception.satellites.schedule_at(e.lat, e.lon).area.revisit_min
        assert (lo, hi) == (30, 60)


def _identity(world: World, e: TruthItem) -> None:
    (mmsi,) = e.mmsi
    twins = _actors(world, mmsi)
    assert len(twins) == 2 and all(a.shares_mmsi for a in twins)
    a, b = twins
    gaps = [_gap_m(a, b, t) for t in _samples(e.start_ms, e.end_ms, 10)]
    if e.regime == OFFSHORE:  # one ship near the Spanish coast, one offshore, both heard all along
        assert min(gaps) > 300_000
        assert sum(world.reception.in_terrestrial_range(s.lat, s.lon)
                   for x in twins if (s := x.track.state_at(e.start_ms))) == 1
    else:  # two boats ~1 km apart, alternating reports every ~30 s, without SOG
        assert all(700 <= g <= 1300 for g in gaps)
        assert all(x.report_interval_s == 60.0 and not x.reports_sog for x in twins)
        assert abs(a.track.start_ms - b.track.start_ms) == 30_000


@pytest.mark.parametrize("seed", SEEDS)
def test_decoys_are_what_they_claim(seed: int) -> None:
    world = build_world("all", seed)
    for d in world.decoys:
        actors = [a for m in d.mmsi for a in _actors(world, m)]
        if d.scenario == "ferries":
            (ferry,) = actors
            assert ferry.spec.ship_type is not None and 40 <= ferry.spec.ship_type <= 49
            assert ferry.spec.length_m is not None and ferry.spec.length_m >= 40
            top = max(s.sog_kn for t in _samples(world.start_ms, world.end_ms, 400)
                      if (s := ferry.track.state_at(t)))
            assert 30 <= top <= 35.1
        elif d.scenario in ("tug_tow", "offshore_convoy"):
            tug, tow = actors
            for t in _samples(d.start_ms + 600_000, d.end_ms):
                lead = tug.track.state_at(t)
                assert lead is not None and 150 <= _gap_m(tug, tow, t) <= 450 and 6 <= lead.sog_kn <= 9
        elif d.scenario == "anchorage":
            t = d.end_ms - 60_000
            speeds = [s.sog_kn for a in actors if (s := a.track.state_at(t))]
            assert len(speeds) == len(actors) and statistics.median(speeds) < 0.5
        elif d.scenario == "glitch":
            assert len(actors[0].glitches) == 1
        elif d.scenario == "coverage_gap":
            assert world.reception.satellites is not None and world.reception.satellites.blackouts
        elif d.scenario == "offshore_fishing" and d.kind == "rendezvous":
            for i, a in enumerate(actors):
                for b in actors[i + 1:]:
                    assert min(_gap_m(a, b, t) for t in _samples(d.start_ms, d.end_ms, 120)) > 500
        elif d.scenario == "offshore_sparse" and d.kind == "dark_period":  # transmitting all along
            assert actors and all(not a.silences and a.track.end_ms >= world.end_ms for a in actors)
        elif d.scenario == "port_arrival":
            (arrival,) = actors
            (silence,) = arrival.silences
            assert silence[0] == d.start_ms and _moored_in_port(arrival, -1)
        elif d.scenario == "identity_shared":
            assert len(actors) == 2


@pytest.mark.parametrize("seed", SEEDS)
def test_dark_vessels_are_alone_in_the_merged_world(seed: int) -> None:
    world = build_world("all", seed)
    for e in world.events:
        if e.kind == "dark_vessel":
            _dark_vessel(world, e)
