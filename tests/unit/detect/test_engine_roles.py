"""Engine roles: the streaming stages split the engine and still give the offline alerts.

Stage 1 ("vessel") runs the track filter, go-fast, dark periods and satellite matching and passes the fixes the
rendezvous detector can use on; stage 2 ("pairs") runs the rendezvous detector on those alone.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from msa.contracts.codec import alert_to_dict, dumps
from msa.domain import Alert, AlertKind, PositionReport, Record, StaticVesselData
from services.detect.engine import Engine, EngineRole
from services.detect.offline import record_sort_key
from services.detect.params import ParamSet
from services.detect.rendezvous import IdentityChange, RendezvousInput
from tests.unit.detect.builders import OFFSHORE, T0, ports, static, track, zones
from tests.unit.detect.scenario import mini_scenario

GRACE_MS = 60_000
PAIRS = frozenset({AlertKind.RENDEZVOUS})


def engine(role: EngineRole, grace_ms: int = GRACE_MS, lane: bool = True) -> Engine:
    return Engine(zones(), ports(), ParamSet.build(zones(), None), grace_ms, role=role, provisional_go_fast=lane)


def versions(records: list[Record], eng: Engine) -> list[Alert]:
    out = [a for r in records for a in eng.process(r)]
    return out + eng.finish()


def as_lines(alerts: list[Alert]) -> list[bytes]:
    return [dumps(alert_to_dict(a)) for a in alerts]


Passed = list[RendezvousInput | IdentityChange]


def staged(records: list[Record]) -> tuple[list[Alert], list[Alert], Passed]:
    """Stage 1 over the records, stage 2 over what stage 1 passed on (fixes and identity changes)."""
    vessel = engine("vessel")
    out1: list[Alert] = []
    passed: Passed = []
    for r in records:
        out1 += vessel.process(r)
        passed += vessel.take_outputs().rendezvous_inputs
    out1 += vessel.finish()
    passed += vessel.take_outputs().rendezvous_inputs
    pairs = engine("pairs", grace_ms=0)
    out2: list[Alert] = []
    for item in passed:
        out2 += pairs.process(item)
    return out1, out2 + pairs.finish(), passed


def test_the_stages_together_give_exactly_the_offline_versions() -> None:
    recs = sorted(mini_scenario(), key=record_sort_key)
    full = versions(recs, engine("all"))
    stage1, stage2, passed = staged(recs)
    assert {a.kind for a in stage1} == {AlertKind.GO_FAST, AlertKind.DARK_PERIOD, AlertKind.DARK_VESSEL}
    assert {a.kind for a in stage2} == {AlertKind.RENDEZVOUS}
    assert as_lines(stage1) == as_lines([a for a in full if a.kind not in PAIRS])
    assert as_lines(stage2) == as_lines([a for a in full if a.kind in PAIRS])
    n_positions = sum(1 for r in recs if isinstance(r, PositionReport))
    fixes = [p for p in passed if isinstance(p, RendezvousInput)]
    assert 0 < len(fixes) < n_positions  # only what the rendezvous detector can use
    assert [p.ts_ms for p in passed] == sorted(p.ts_ms for p in passed)  # in event-time order
    assert {p.mmsi for p in passed if isinstance(p, IdentityChange)} == {
        r.mmsi for r in recs if isinstance(r, StaticVesselData)}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_the_stages_match_offline_in_any_arrival_order_within_the_grace(seed: int) -> None:
    rnd = random.Random(seed)
    recs = sorted(mini_scenario(), key=lambda r: r.ts_ms + rnd.uniform(0, GRACE_MS * 0.9))
    full = versions(recs, engine("all"))
    stage1, stage2, _ = staged(recs)
    assert as_lines(stage1) == as_lines([a for a in full if a.kind not in PAIRS])
    assert as_lines(stage2) == as_lines([a for a in full if a.kind in PAIRS])


def test_stage_1_passes_on_candidates_then_one_end_of_candidacy() -> None:
    eng = engine("vessel")
    slow = track(242005001, 0, 600, 30, *OFFSHORE, sog_kn=1.0, cog_deg=90.0)
    fast = track(242005001, 630, 900, 30, OFFSHORE[0], OFFSHORE[1] + 0.01, sog_kn=15.0, cog_deg=90.0)
    versions([*slow, *fast], eng)
    passed = [p for p in eng.take_outputs().rendezvous_inputs if isinstance(p, RendezvousInput)]
    assert [r.speed_kn for r in passed[:-1]] == pytest.approx([1.0] * len(slow), abs=1e-6)
    assert passed[-1].speed_kn is None and passed[-1].ts_ms == fast[0].ts_ms  # only the first fast fix
    assert [r.ts_ms for r in passed] == sorted(r.ts_ms for r in passed)
    assert eng.rendezvous is None  # stage 1 runs no rendezvous detector: it passes the fixes on
    assert eng.take_outputs().rendezvous_inputs == []


def test_stage_2_keeps_no_per_vessel_state() -> None:
    _, _, passed = staged(sorted(mini_scenario(), key=record_sort_key))
    eng = engine("pairs", grace_ms=0)
    eng.record_heard()
    for item in passed:
        eng.process(item)
    eng.finish()
    assert not eng.vessels and not eng.take_outputs().heard and not eng.coverage._cells
    assert eng.rendezvous.pairs  # the meeting was seen


def test_stage_2_ignores_raw_positions_and_applies_static_data_at_its_time() -> None:
    eng = engine("pairs", grace_ms=0)
    assert eng.process(track(242005001, 0, 0, 30, *OFFSHORE, sog_kn=1.0)[0]) == []
    assert eng.process(static(242005001, 10, name="NAMED")) == []
    assert eng.ctx.identities.identity(242005001).name is None  # not before its event time
    eng.advance_watermark(eng.max_ts + 1)
    assert eng.stats()["other"] == 1 and eng.ctx.identities.identity(242005001).name == "NAMED"


def test_static_data_applies_at_its_event_time_whatever_the_arrival_order() -> None:
    fast = track(224000001, 0, 900, 10, 36.0, -3.5, sog_kn=42.0, cog_deg=0.0)
    late_static = static(224000001, 2000, ship_type=40, length_m=35.0)  # declared HSC, after the run
    early = versions(sorted([*fast, late_static], key=record_sort_key), engine("all"))
    shuffled = versions([late_static, *fast], engine("all", grace_ms=3_000_000))  # arrives first, within grace
    assert as_lines(early) == as_lines(shuffled)
    assert early[-1].status == "retracted" and early[-1].updated_ms == late_static.ts_ms


@pytest.mark.parametrize("role", ["vessel", "pairs"])
def test_role_survives_snapshot_and_restore(role: EngineRole) -> None:
    recs = sorted(mini_scenario(), key=record_sort_key)
    full = versions(recs, engine("all"))
    if role == "vessel":
        items: list[RendezvousInput | IdentityChange | Record] = list(recs)
        want = [a for a in full if a.kind not in PAIRS]
        grace = GRACE_MS
    else:
        _, _, passed = staged(recs)
        items = list(passed)
        want = [a for a in full if a.kind in PAIRS]
        grace = 0
    eng = engine(role, grace)
    half = len(items) // 2
    out = [a for r in items[:half] for a in eng.process(r)]
    restored = Engine.restore(eng.snapshot(), eng.ctx.zones, eng.ctx.ports, eng.ctx.params, grace, role=role)
    assert restored.role == role
    out += [a for r in items[half:] for a in restored.process(r)] + restored.finish()
    assert as_lines(out) == as_lines(want)


def test_a_snapshot_does_not_restore_in_another_role() -> None:
    eng = engine("pairs")
    with pytest.raises(ValueError, match="cannot restore"):
        Engine.restore(eng.snapshot(), eng.ctx.zones, eng.ctx.ports, eng.ctx.params, GRACE_MS, role="vessel")


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown engine role"):
        engine("bogus")  # type: ignore[arg-type]


def test_late_static_data_applies_from_the_watermark_on_after_what_is_buffered() -> None:
    """Records held back (here by the coverage horizon) are handled before a late static record takes effect:
    event-time order is kept whatever the arrival. (The ordered track: without the fast lane, which raises the
    go-fast at once — ``test_fast_lane.py``.)"""
    eng = engine("vessel", lane=False)
    eng.set_coverage_complete(T0 - 3_600_000)  # nothing is handled yet
    out = [a for r in track(224000001, 0, 900, 10, 36.0, -3.5, sog_kn=42.0, cog_deg=0.0) for a in eng.process(r)]
    wm = eng.watermark
    assert wm > T0 and not out
    out += eng.process(static(224000001, 0, ship_type=40, length_m=35.0))  # a declared HSC, late
    assert eng.stats()["late_static"] == 1
    out += eng.set_coverage_complete(None) + eng.finish()
    assert [a.status for a in out if a.kind == AlertKind.GO_FAST][-1] == "retracted"
    assert any(a.status == "open" for a in out)  # raised first: the identity was not known before wm
    assert out[-1].updated_ms == wm
