"""Every scenario merged into one recording, through the streaming detector's units in memory (no broker):
the final alerts equal ``msa detect``'s on the same files, field for field, in several layouts (units, cell
partitions, instances). The same comparison through the real broker is in
``tests/integration/test_detector_stream.py``; this one runs many layouts in seconds."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from msa.contracts.codec import alert_to_dict
from msa.domain import Record
from services.detect.offline import record_sort_key
from services.detect.reading import read_input
from services.simulate.model import TruthItem
from services.simulate.truth_matching import AlertView
from tests.unit.stream.cluster import Cluster

Run = tuple[Path, list[TruthItem], list[TruthItem], list[AlertView]]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def recorded(run_dir: Path) -> list[Record]:
    counters: dict[str, int] = {}
    recs = [*read_input(run_dir / "ais.nmea", counters), *read_input(run_dir / "sat.geojson", counters)]
    return sorted(recs, key=record_sort_key)  # as msa replay --max would put them on the topics, near enough


@pytest.mark.parametrize(("n_units", "n_cells", "instances", "sat_late_h"), [(6, 6, 1, 0), (3, 4, 2, 0), (3, 2, 2, 3)])
def test_merged_scenarios_through_the_units_equal_msa_detect(merged_run: Callable[[int], Run], n_units: int,
                                                             n_cells: int, instances: int, sat_late_h: int) -> None:
    """``sat_late_h``: SAR products delivered that many hours after acquisition (judged as on time)."""
    run_dir, _, _, _ = merged_run(1)
    want = [json.loads(line) for line in (run_dir / "alerts.jsonl").read_text().splitlines() if line.strip()]
    assert {a["kind"] for a in want} == {"go_fast", "dark_period", "rendezvous", "dark_vessel", "dark_rendezvous",
                                         "identity_anomaly"}
    assert any(a["kind"] == "dark_period" and a["detection_ids"] for a in want)  # satellite evidence
    cluster = Cluster(n_units=n_units, n_cells=n_cells, instances=instances, n_sat=3, grace_ms=120_000, seed=n_units)
    got = [json.loads(json.dumps(alert_to_dict(a)))
           for a in cluster.run(recorded(run_dir), max_chunk=3000, sat_delay_ms=sat_late_h * 3_600_000)]
    if sat_late_h:
        assert sum(u.engine.stats().get("sat_late", 0) for u in cluster.vessel) > 0
    assert got == want
