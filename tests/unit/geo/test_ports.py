"""Ports and anchorages: distances, exclusion, inferred anchorages."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from geo.anchorages import infer_anchorages
from geo.ports import Port, PortIndex, load_ports

PORTS = load_ports()


def test_bundled_ports_include_the_named_ones() -> None:
    names = " | ".join(p.name for p in PORTS.ports)
    for wanted in ("Algeciras", "Gibraltar", "Tarifa", "Tanger Med", "Ceuta", "Cadiz", "Huelva", "Sanlucar",
                   "Lisbon", "Sines", "Vigo", "Las Palmas", "Santa Cruz de Tenerife", "Funchal", "Praia",
                   "Mindelo", "Dakar", "Malaga", "Almeria", "Motril", "Nador", "Al Hoceima", "Valencia",
                   "Barcelona", "Marseille", "Genoa", "Livorno", "Naples", "Gioia Tauro", "Valletta", "Piraeus",
                   "Algiers", "Tunis"):
        assert wanted in names, wanted


def test_inside_the_algeciras_anchorage() -> None:
    assert PORTS.in_exclusion(-5.395, 36.105)
    assert PORTS.distance_to_nearest_m(-5.395, 36.105) == 0.0


def test_distance_from_the_edge_of_a_port_area() -> None:
    idx = PortIndex([Port("p", "port", 0.0, 0.0, 1000.0)])
    d = idx.distance_to_nearest_m(0.0, 0.05)  # 5.56 km from the centre
    assert abs(d - (5560 - 1000)) < 10
    assert not idx.in_exclusion(0.0, 0.05)


def test_far_from_every_port_is_infinite() -> None:
    assert PORTS.distance_to_nearest_m(-14.0, 38.5) == math.inf


def test_five_vessels_sitting_still_make_an_anchorage() -> None:
    fixes = [(m, -9.501 + 0.0005 * m, 38.4, 0.1) for m in range(5)] + [(99, -9.5, 38.4, 8.0)]
    (a,) = infer_anchorages(fixes)
    assert a.kind == "inferred_anchorage" and "5 vessels" in a.name
    extended = PORTS.with_extra([a])
    assert extended.in_exclusion(-9.5, 38.4) and not PORTS.in_exclusion(-9.5, 38.4)


def test_four_vessels_or_moving_ones_do_not() -> None:
    assert infer_anchorages([(m, -9.5, 38.4, 0.1) for m in range(4)]) == []
    assert infer_anchorages([(m, -9.5, 38.4, 6.0) for m in range(10)]) == []


@settings(max_examples=400, deadline=None)
@given(st.floats(-10.0, 0.0), st.floats(35.0, 40.0), st.sampled_from([0.0, 2000.0, 5000.0, 20_000.0]))
def test_farther_than_agrees_with_the_measured_distance(lon: float, lat: float, dist_m: float) -> None:
    """The cell bounds only decide what measuring would decide (Iberia and Morocco: many ports and polygons)."""
    assert PORTS.farther_than(lon, lat, dist_m) == (PORTS.distance_to_nearest_m(lon, lat) >= dist_m)


def test_the_ports_of_the_world_are_there() -> None:
    """searoute's UN/LOCODE seaports: ports the curated list does not hold (Auckland, Tauranga, Kwinana)."""
    from geo.ports import WORLD_PORT_RADIUS_M, load_world_ports

    world = load_world_ports()
    assert len(world) > 3_000
    names = {p.name for p in world}
    assert {"Auckland (NZAKL)", "Tauranga (NZTRG)"} <= names
    assert all(p.radius_m == WORLD_PORT_RADIUS_M for p in world)
    curated_only = load_ports(world=False)
    assert curated_only.distance_to_nearest_m(174.77, -36.84) == math.inf  # Auckland harbour
    assert PORTS.distance_to_nearest_m(174.77, -36.84) == 0.0
    assert PORTS.distance_to_nearest_m(-30.0, 45.0) == math.inf  # the open Atlantic


def test_world_ports_across_the_antimeridian() -> None:
    """A port just east of ±180° is found from a position just west of it (grid columns wrap)."""
    idx = PortIndex([Port("Date line", "port", 179.99, -16.8, 3_000.0)], search_radius_m=50_000.0)
    assert idx.distance_to_nearest_m(-179.99, -16.8) == 0.0
    assert 0.0 < idx.distance_to_nearest_m(-179.9, -16.8) < 12_000.0
