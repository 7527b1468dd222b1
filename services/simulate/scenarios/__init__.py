"""The scenario registry: name → (number, builder). ``build_world(name, seed)`` runs one; ``all`` merges.

Numbers fix the MMSI block of each scenario (see :mod:`services.simulate.scenario_context`); never renumber, add
new scenarios with new numbers. MMSIs shared on purpose outside every block are in :data:`SHARED_MMSIS`.
"""

from __future__ import annotations

from collections.abc import Callable

from services.simulate.model import World, merge_worlds
from services.simulate.scenario_context import ScenarioContext
from services.simulate.scenarios.dark import atlantic_dark, dark_sar, strait_dark
from services.simulate.scenarios.decoys import anchorage, coverage_gap, ferries, glitch, port_arrival, tug_tow
from services.simulate.scenarios.gofast import alboran_gofast, algarve_gofast, offshore_gofast
from services.simulate.scenarios.identity import SHARED_MMSIS, identity_shared
from services.simulate.scenarios.joint_silence import joint_silence
from services.simulate.scenarios.offshore_dark import offshore_dark
from services.simulate.scenarios.offshore_decoys import offshore_convoy, offshore_fishing, offshore_sparse
from services.simulate.scenarios.offshore_sar import offshore_dark_rendezvous, offshore_dark_vessel
from services.simulate.scenarios.rendezvous import coastal_rendezvous, offshore_rendezvous
from services.simulate.scenarios.satellite import coastal_dark_vessel, dark_rendezvous, dark_vessel

__all__ = ["DURATION_H", "MERGED_BACKGROUND_SCALE", "SCENARIOS", "SHARED_MMSIS", "build_world", "scenario_names"]

Builder = Callable[[ScenarioContext], None]

SCENARIOS: dict[str, tuple[int, Builder]] = {
    "alboran_gofast": (1, alboran_gofast),
    "algarve_gofast": (2, algarve_gofast),
    "atlantic_dark": (3, atlantic_dark),
    "strait_dark": (4, strait_dark),
    "offshore_rendezvous": (5, offshore_rendezvous),
    "dark_rendezvous": (6, dark_rendezvous),
    "dark_vessel": (7, dark_vessel),
    "ferries": (8, ferries),
    "anchorage": (9, anchorage),
    "tug_tow": (10, tug_tow),
    "coverage_gap": (11, coverage_gap),
    "glitch": (12, glitch),
    "dark_sar": (13, dark_sar),
    "offshore_gofast": (14, offshore_gofast),
    "offshore_dark": (15, offshore_dark),
    "coastal_rendezvous": (16, coastal_rendezvous),
    "offshore_dark_rendezvous": (17, offshore_dark_rendezvous),
    "offshore_dark_vessel": (18, offshore_dark_vessel),
    "joint_silence": (19, joint_silence),
    "identity_shared": (20, identity_shared),
    "offshore_sparse": (21, offshore_sparse),
    "offshore_convoy": (22, offshore_convoy),
    "offshore_fishing": (23, offshore_fishing),
    "port_arrival": (24, port_arrival),
    "coastal_dark_vessel": (25, coastal_dark_vessel),
}

DURATION_H: dict[str, float] = {"atlantic_dark": 7.0, "offshore_rendezvous": 7.0, "coverage_gap": 7.5,
                                "strait_dark": 5.0, "offshore_dark": 9.5, "joint_silence": 9.5}


MERGED_BACKGROUND_SCALE = 0.5


def scenario_names() -> list[str]:
    return list(SCENARIOS)


def build_world(name: str, seed: int, duration_h: float | None = None, background_scale: float = 1.0,
                exclude: frozenset[str] = frozenset()) -> World:
    """One scenario's world, or every scenario merged into one when ``name == "all"`` (but ``exclude``).

    Merged, every scenario runs for the longest duration (were some to end earlier, all their vessels
    would fall silent together while the others are still heard — a false dark period) and with half its
    lane traffic (the scenarios share the lanes, which would otherwise carry four times the traffic). Each
    scenario draws from its own random stream: excluding one leaves the others as they are."""
    if name == "all":
        unknown = sorted(exclude - SCENARIOS.keys())
        if unknown:
            raise KeyError(f"unknown scenario(s) to exclude {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
        longest = max(6.0, *DURATION_H.values())
        return merge_worlds("all", [build_world(n, seed, longest, MERGED_BACKGROUND_SCALE)
                                    for n in SCENARIOS if n not in exclude])
    if name not in SCENARIOS:
        raise KeyError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}, all")
    number, builder = SCENARIOS[name]
    ctx = ScenarioContext(name, number, seed, duration_h or DURATION_H.get(name, 6.0), background_scale)
    builder(ctx)
    return ctx.world
