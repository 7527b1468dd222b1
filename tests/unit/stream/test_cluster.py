"""The streaming units wired together in memory (``cluster.Cluster``) give exactly the alerts of ``msa detect``,
whatever the number of units, cell partitions and instances, the chunking, the exchange delays and the arrival
order within the grace period: go-fast, dark periods (coverage across units), satellite scenes resolved across
units (dark vessel, dark-period evidence), rendezvous across cell partitions."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from msa.contracts.codec import alert_to_dict
from msa.domain import Alert, AlertKind, Record
from tests.unit.detect.builders import run, track
from tests.unit.detect.scenario import SILENT, dark_with_sightings, mini_scenario
from tests.unit.stream.cluster import Cluster

GRACE_MS = 60_000


def dicts(alerts: list[Alert]) -> list[dict[str, object]]:
    return [alert_to_dict(a) for a in alerts]


def arrangement(records: list[Record], seed: int, n_units: int, n_cells: int, instances: int,
                sat_delay_ms: int = 0) -> list[Alert]:
    rng = random.Random(seed)
    arrived = sorted(records, key=lambda r: r.ts_ms + rng.uniform(0, GRACE_MS * 0.8))
    cluster = Cluster(n_units=n_units, n_cells=n_cells, instances=min(instances, n_units), n_sat=2,
                      grace_ms=GRACE_MS, seed=seed)
    return cluster.run(arrived, sat_delay_ms=sat_delay_ms)


_layout = dict(seed=st.integers(0, 2**31), n_units=st.integers(1, 6), n_cells=st.integers(1, 6),
               instances=st.integers(1, 3))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**_layout)
def test_every_kind_equals_offline_in_any_layout(seed: int, n_units: int, n_cells: int, instances: int) -> None:
    recs = mini_scenario()
    want = dicts(run(recs))
    assert {a["kind"] for a in want} == {"go_fast", "dark_period", "rendezvous", "dark_vessel"}
    assert dicts(arrangement(recs, seed, n_units, n_cells, instances)) == want


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**_layout)
def test_satellite_evidence_on_a_dark_period_equals_offline(seed: int, n_units: int, n_cells: int,
                                                            instances: int) -> None:
    recs = dark_with_sightings()
    want = run(recs)
    (dark,) = [a for a in want if a.kind == AlertKind.DARK_PERIOD]
    assert dark.mmsi == (SILENT,) and dark.detection_ids == ("early", "seen")  # no dark-vessel alert for them
    assert [a.kind for a in want] == [AlertKind.DARK_PERIOD]
    assert dicts(arrangement(recs, seed, n_units, n_cells, instances)) == dicts(want)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(delay_h=st.sampled_from([1, 3, 6]), **_layout)
def test_satellite_products_up_to_six_hours_late_are_judged_as_on_time(delay_h: int, seed: int, n_units: int,
                                                                        n_cells: int, instances: int) -> None:
    """Detections delivered 1–6 h after acquisition (the AIS of every unit has moved on): the same final
    alerts as offline, where they are on time — a dark vessel, and evidence on a dark period (open, or
    already closed when the detection comes)."""
    tail = [r for i in range(3) for r in track(224200101 + i, 12_000, 40_000, 120, 36.0 + 0.05 * i, -3.4,
                                               sog_kn=0.5)]
    for recs in (mini_scenario(), dark_with_sightings() + tail):
        want = dicts(run(recs))
        got = dicts(arrangement(recs, seed, n_units, n_cells, instances, sat_delay_ms=delay_h * 3_600_000))
        assert got == want


def test_units_exchange_scene_parts_and_clocks() -> None:
    cluster = Cluster(n_units=4, n_cells=3, instances=2, grace_ms=GRACE_MS, seed=3)
    cluster.run(dark_with_sightings())
    for inst in cluster.instances:
        book = inst.book
        assert set(book.clocks) == {"p0", "p1", "p2", "p3"}
        assert all(c.idle for c in book.clocks.values())  # the end of the input: every unit idle
        for key in (k for k in book.parts):
            assert set(book.parts[key]) == {"p0", "p1", "p2", "p3"}  # every unit sent its part of each scene
