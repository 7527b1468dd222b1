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
