"""Which scenario an alert belongs to, in a merged (``--scenario all``) run.

Simulated MMSIs are ``MID·10⁶ + scenario number·1000 + n``, and scene ids start with the scenario name,
so an alert is attributed by its vessels or, for a dark vessel, by its satellite detections. Placeholder
MMSIs outside every block (``MID·10⁶`` exactly) belong to the scenario that uses them
(:data:`services.simulate.scenarios.SHARED_MMSIS`). An alert mixing vessels of two scenarios belongs to
``"_cross"``.
"""

from __future__ import annotations

from services.simulate.evaluate import EvalResult, evaluate
from services.simulate.model import TruthItem
from services.simulate.scenarios import SCENARIOS, SHARED_MMSIS
from services.simulate.shore import Station
from services.simulate.truth_matching import AlertView, MatchRules

__all__ = ["CROSS", "evaluate_by_scenario", "scenario_of"]

CROSS = "_cross"
_BY_NUMBER = {number: name for name, (number, _) in SCENARIOS.items()}


def scenario_of(alert: AlertView) -> str:
    names = {SHARED_MMSIS.get(m) or _BY_NUMBER.get((m // 1000) % 1000, CROSS) for m in alert.mmsi}
    for det in alert.detection_ids:
        names.update(n for n in SCENARIOS if det.startswith(f"{n}-scene"))
    return names.pop() if len(names) == 1 else CROSS


def evaluate_by_scenario(events: list[TruthItem], decoys: list[TruthItem], alerts: list[AlertView],
                         rules: MatchRules = MatchRules(),
                         stations: tuple[Station, ...] | None = None) -> dict[str, EvalResult]:
    """One result per scenario (plus ``_cross`` when some alerts mix scenarios)."""
    out: dict[str, EvalResult] = {}
    groups: dict[str, list[AlertView]] = {}
    for a in alerts:
        groups.setdefault(scenario_of(a), []).append(a)
    for name in sorted({e.scenario for e in events + decoys} | set(groups)):
        out[name] = evaluate([e for e in events if e.scenario == name], [d for d in decoys if d.scenario == name],
                             groups.get(name, []), rules, stations)
    return out
