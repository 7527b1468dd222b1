"""Engine properties: determinism, order within the grace period, duplicates, late data, checkpoints."""

from __future__ import annotations

import os
import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from msa.contracts.codec import alert_to_dict, dumps
from msa.domain import Alert, Record
from services.detect.offline import final_alerts, record_sort_key
from tests.unit.detect.builders import ALBORAN, live, make_engine, ping, run
from tests.unit.detect.scenario import mini_scenario

GOLDEN = Path(__file__).resolve().parent / "golden" / "mini_scenario.jsonl"
GRACE_S = 120.0


def as_jsonl(alerts: list[Alert]) -> bytes:
    return b"".join(dumps(alert_to_dict(a)) + b"\n" for a in alerts)


def jitter_within_grace(records: list[Record], rnd: random.Random, grace_s: float) -> list[Record]:
    """Arrival order = event time + a delay in [0, grace): no record ever arrives beyond the grace."""
    return [r for _, _, r in sorted((r.ts_ms + rnd.uniform(0, grace_s * 1000), i, r) for i, r in enumerate(records))]


REFERENCE = run(mini_scenario(), engine=make_engine(grace_s=GRACE_S))


def test_the_mini_scenario_has_one_alert_of_each_expected_kind() -> None:
    kinds = sorted(str(a.kind) for a in live(REFERENCE))
    assert kinds == ["dark_period", "dark_vessel", "go_fast", "rendezvous"]


def test_matches_the_golden_file() -> None:
    got = as_jsonl(REFERENCE)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_bytes(got)
    assert got == GOLDEN.read_bytes(), "golden changed: rerun with UPDATE_GOLDEN=1 after checking the diff"


def test_same_input_gives_byte_identical_output() -> None:
    assert as_jsonl(run(mini_scenario(), engine=make_engine(grace_s=GRACE_S))) == as_jsonl(REFERENCE)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_shuffling_within_the_grace_period_changes_nothing(seed: int) -> None:
    shuffled = jitter_within_grace(mini_scenario(), random.Random(seed), GRACE_S)
    eng = make_engine(grace_s=GRACE_S)
    assert as_jsonl(run(shuffled, sort=False, engine=eng)) == as_jsonl(REFERENCE)
    assert eng.counters.get("late_beyond_grace", 0) == 0


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_duplicated_input_changes_nothing(seed: int) -> None:
    recs = mini_scenario()
    rnd = random.Random(seed)
    doubled = recs + rnd.sample(recs, len(recs) // 2)
    assert as_jsonl(run(jitter_within_grace(doubled, rnd, GRACE_S), sort=False,
                        engine=make_engine(grace_s=GRACE_S))) == as_jsonl(REFERENCE)


def test_snapshot_and_restore_mid_stream_gives_the_same_alerts() -> None:
    recs = sorted(mini_scenario(), key=record_sort_key)
    eng = make_engine(grace_s=GRACE_S)
    versions = [a for r in recs[: len(recs) // 2] for a in eng.process(r)]
    blob = eng.snapshot()
    restored = type(eng).restore(blob, eng.ctx.zones, eng.ctx.ports, eng.ctx.params, eng.grace_ms)
    versions += [a for r in recs[len(recs) // 2:] for a in restored.process(r)] + restored.finish()
    assert as_jsonl(final_alerts(versions)) == as_jsonl(REFERENCE)


def test_records_older_than_the_watermark_are_counted_and_ignored() -> None:
    eng = make_engine(grace_s=60)
    eng.process(ping(1, 0, *ALBORAN, 1.0))
    eng.process(ping(1, 600, *ALBORAN, 1.0))
    assert eng.watermark == eng.max_ts - 60_000
    assert eng.process(ping(2, 100, *ALBORAN, 1.0)) == []
    assert eng.counters["late_beyond_grace"] == 1
    eng.process(ping(2, 590, *ALBORAN, 1.0))  # within the grace: buffered, handled
    eng.finish()
    assert eng.stats()["vessels_tracked"] == 2


def test_per_vessel_state_is_small() -> None:
    import pickle

    eng = make_engine()
    for r in sorted(mini_scenario(), key=record_sort_key):
        eng.process(r)
    eng.finish()
    idle = [vs for vs in eng.vessels.values() if vs.gofast is None and vs.dark is None]
    assert idle
    assert max(len(pickle.dumps(vs)) for vs in idle) < 2048


def test_bad_coordinates_are_counted_not_raised() -> None:
    from msa.domain import PositionReport, SatelliteDetection

    eng = make_engine()
    nan = float("nan")
    assert eng.process(PositionReport(mmsi=1, ts_ms=0, lat=nan, lon=0.0)) == []
    assert eng.process(PositionReport(mmsi=1, ts_ms=0, lat=12.0, lon=200.0)) == []
    assert eng.process(SatelliteDetection("d", 0, nan, 0.0, 0.9, "SAR", "s")) == []
    assert eng.process(SatelliteDetection("d", 0, 1.0, 0.0, 7.0, "SAR", "s")) == []
    eng.finish()
    assert eng.counters["bad_position"] == 2 and eng.counters["bad_detection"] == 2
