"""The live demo's world (``msa run``): every scenario but ``glitch``, the others exactly as in ``all``."""

from __future__ import annotations

import pytest

from msa.run import DEMO_SIMULATION
from services.simulate.scenarios import SCENARIOS, build_world


def test_the_demo_world_is_all_but_the_excluded_scenarios_unchanged() -> None:
    assert DEMO_SIMULATION[DEMO_SIMULATION.index("--exclude") + 1] == "glitch"
    full = build_world("all", 1)
    demo = build_world("all", 1, exclude=frozenset({"glitch"}))
    assert {e.scenario for e in demo.events + demo.decoys} == set(SCENARIOS) - {"glitch"}
    kept = [e for e in full.events + full.decoys if e.scenario != "glitch"]
    assert demo.events + demo.decoys == kept  # every other scenario draws the same from its own stream
    assert (demo.start_ms, demo.end_ms) == (full.start_ms, full.end_ms)
    glitch_mmsis = {a.spec.mmsi for a in build_world("glitch", 1).actors}
    assert not glitch_mmsis & {a.spec.mmsi for a in demo.actors}


def test_an_unknown_scenario_to_exclude_is_refused() -> None:
    with pytest.raises(KeyError, match="nope"):
        build_world("all", 1, exclude=frozenset({"nope"}))
