"""Engine roles: the streaming stages run only their own detectors and still give the offline alerts."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from msa.contracts.codec import alert_to_dict, dumps
from msa.domain import Alert, AlertKind, Record
from services.detect.engine import Engine, EngineRole
from services.detect.offline import record_sort_key
from services.detect.params import ParamSet
from tests.unit.detect.builders import ports, zones
from tests.unit.detect.scenario import mini_scenario

GRACE_MS = 60_000
VESSEL = frozenset({AlertKind.GO_FAST, AlertKind.DARK_PERIOD})
PAIRS = frozenset({AlertKind.RENDEZVOUS, AlertKind.DARK_VESSEL, AlertKind.DARK_RENDEZVOUS})


def engine(role: EngineRole) -> Engine:
    return Engine(zones(), ports(), ParamSet.build(zones(), None), GRACE_MS, role=role)


def versions(records: list[Record], eng: Engine) -> list[Alert]:
    out = [a for r in records for a in eng.process(r)]
    return out + eng.finish()


def as_lines(alerts: list[Alert]) -> list[bytes]:
    return [dumps(alert_to_dict(a)) for a in alerts]


def split_by_role(records: list[Record]) -> tuple[list[Alert], list[Alert], list[Alert]]:
    return (versions(records, engine("all")), versions(records, engine("vessel")),
            versions(records, engine("pairs")))


def test_each_role_gives_exactly_the_offline_versions_of_its_kinds() -> None:
    full, vessel, pairs = split_by_role(sorted(mini_scenario(), key=record_sort_key))
    assert {a.kind for a in vessel} == {AlertKind.GO_FAST, AlertKind.DARK_PERIOD}
    assert {a.kind for a in pairs} >= {AlertKind.RENDEZVOUS, AlertKind.DARK_VESSEL}
    assert as_lines(vessel) == as_lines([a for a in full if a.kind in VESSEL])
    assert as_lines(pairs) == as_lines([a for a in full if a.kind in PAIRS])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_roles_match_offline_in_any_arrival_order_within_the_grace(seed: int) -> None:
    rnd = random.Random(seed)
    recs = sorted(mini_scenario(), key=lambda r: r.ts_ms + rnd.uniform(0, GRACE_MS * 0.9))
    full, vessel, pairs = split_by_role(recs)
    assert as_lines(vessel) == as_lines([a for a in full if a.kind in VESSEL])
    assert as_lines(pairs) == as_lines([a for a in full if a.kind in PAIRS])


def test_the_pairs_role_keeps_no_per_vessel_detector_state() -> None:
    eng = engine("pairs")
    eng.record_heard()
    versions(sorted(mini_scenario(), key=record_sort_key), eng)
    assert not eng.take_heard()
    assert all(vs.gofast is None and vs.dark is None for vs in eng.vessels.values())
    assert not eng.sat.early
    full = engine("all")
    versions(sorted(mini_scenario(), key=record_sort_key), full)
    assert not eng.coverage._cells and full.coverage._cells  # no dark-period coverage bookkeeping
    assert eng.stats()["positions"] == full.stats()["positions"]
    assert eng.stats().get("position_glitches", 0) == full.stats().get("position_glitches", 0)


def test_the_vessel_role_runs_no_pair_detector() -> None:
    eng = engine("vessel")
    versions(sorted(mini_scenario(), key=record_sort_key), eng)
    assert not any(eng.rendezvous.__getstate__().values())
    assert eng.stats()["detections"] == 2
    assert not eng.sat.pending and not eng.sat.watch


def test_role_survives_snapshot_and_restore() -> None:
    recs = sorted(mini_scenario(), key=record_sort_key)
    full = versions(recs, engine("all"))
    eng = engine("pairs")
    out = [a for r in recs[: len(recs) // 2] for a in eng.process(r)]
    restored = Engine.restore(eng.snapshot(), eng.ctx.zones, eng.ctx.ports, eng.ctx.params, GRACE_MS, role="pairs")
    assert restored.role == "pairs"
    out += [a for r in recs[len(recs) // 2:] for a in restored.process(r)] + restored.finish()
    assert as_lines(out) == as_lines([a for a in full if a.kind in PAIRS])


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown engine role"):
        engine("bogus")  # type: ignore[arg-type]
