"""The exchange between stage-1 units: wire round trips, the cluster clock, scene completeness; unit states
that another detector version wrote are refused (the service then rebuilds the partition)."""

from __future__ import annotations

import pickle

import pytest

from msa.domain import SatelliteDetection, VesselIdentity
from services.detect.buffer import NEVER
from services.detect.dark_vessel import SceneCandidate, ScenePart
from services.detect.stream.engines import EngineSettings
from services.detect.stream.exchange import ExchangeBook, ScenePartMsg, UnitClock, decode, encode
from services.detect.stream.units import POS, STATIC, CellUnit, IncompatibleStateError, Outbox, VesselUnit
from tests.unit.detect.builders import T0, track

UNITS = ["p0", "p1", "p2"]
DET = SatelliteDetection(detection_id="d1", ts_ms=T0, lat=36.0, lon=-3.5, confidence=0.9, sensor="SAR",
                         scene_id="sc1", length_m=20.0)
PART = ScenePart((T0, "sc1"), (DET,), (
    SceneCandidate(224000001, -3.49, 36.01, "interpolated", False, 120.0,
                   VesselIdentity(224000001, name="A", flag="ES", length_m=12.0)),
    SceneCandidate(224000002, -3.6, 36.2, "dead_reckoned", True, 0.0, None)))


@pytest.mark.parametrize("msg", [UnitClock("p1", T0, T0 - 60_000, False), ScenePartMsg("p2", PART)])
def test_messages_round_trip(msg: UnitClock | ScenePartMsg) -> None:
    assert decode(encode(msg)) == msg


@pytest.mark.parametrize("value", [b"[]", b'{"t": "nope", "src": "p0"}', b'{"t": "clock", "src": "p0"}',
                                   b'{"t": "scene", "src": "p0", "key": [1, "s"], "dets": [{"kind": "static"}],'
                                   b' "cands": []}'])
def test_malformed_messages_raise(value: bytes) -> None:
    with pytest.raises((ValueError, KeyError, TypeError)):
        decode(value)


def test_the_cluster_clock_follows_the_slowest_active_unit_and_ends_past_the_last_event() -> None:
    book = ExchangeBook(UNITS)
    local = {"p0": (T0 + 500_000, False)}
    assert book.floor_ms(120_000, local) == NEVER  # p1 and p2 never heard of: they hold it
    book.add(UnitClock("p1", T0 + 300_000, T0, False))
    book.add(UnitClock("p2", T0 + 900_000, T0, True))  # idle: does not hold it
    assert book.floor_ms(120_000, local) == T0 + 300_000 - 120_000
    book.add(UnitClock("p1", T0 + 400_000, T0, True))
    assert book.floor_ms(120_000, {"p0": (T0 + 500_000, True)}) == T0 + 900_000 + 1  # all idle: the end


def test_a_scene_waits_for_every_other_unit_part_or_a_front_past_the_lateness_limit() -> None:
    late_ms = 6 * 3_600_000
    book = ExchangeBook(UNITS, late_ms)
    key = (T0, "sc1")
    scan = T0 + 660_000
    assert book.waiting_for("p0", [key], scan) == ["p1", "p2"]
    book.add(ScenePartMsg("p1", PART))
    assert book.waiting_for("p0", [key], scan) == ["p2"]
    book.add(UnitClock("p2", scan + 120_000, scan, False))
    assert not book.scenes_ready("p0", [key], scan)  # past the scan: it will still send a late part
    book.add(UnitClock("p2", scan + late_ms, scan + late_ms - 60_000, False))
    assert not book.scenes_ready("p0", [key], scan)
    book.add(UnitClock("p2", scan + late_ms + 60_000, scan + late_ms, False))
    assert book.scenes_ready("p0", [key], scan)  # too late for it: it counts the detection and sends nothing
    book.add(UnitClock("p2", scan, scan - 600_000, False))  # restarted from an older checkpoint
    assert book.front_of("p2") == scan + late_ms  # what it had promised stands
    assert book.others_parts("p0", [key]) == {key: [PART]}


def test_unit_states_round_trip_and_other_versions_are_refused() -> None:
    factory = EngineSettings(grace_ms=60_000).factory()
    unit = VesselUnit(1, factory, 4, 60_000, n_units=3)
    unit.add_source(POS, 0)
    unit.add_source(STATIC, 0)
    unit.add_sat_source(0)
    for i, r in enumerate(track(224000001, 0, 600, 10, 36.0, -3.5, sog_kn=1.0)):
        unit.push(POS, r.ts_ms, i, r)
    unit.step(Outbox())
    restored = VesselUnit(1, factory, 4, 60_000, unit.state(), n_units=3)
    assert restored.engine.snapshot() == unit.engine.snapshot() and restored.rv_parts == unit.rv_parts
    assert restored.add_sat_source(0) is None  # nothing taken from the satellite partition yet
    cell = CellUnit(2, factory, UNITS, 4, 0)
    assert CellUnit(2, factory, UNITS, 4, 0, cell.state()).engine.snapshot() == cell.engine.snapshot()
    for bad in (b"garbage", pickle.dumps((b"engine", {}, None)), cell.state()):  # the last: a cell's state
        with pytest.raises(IncompatibleStateError):
            VesselUnit(1, factory, 4, 60_000, bad, n_units=3)
    with pytest.raises(IncompatibleStateError):
        CellUnit(2, factory, UNITS, 4, 0, unit.state())


def test_the_book_forgets_what_the_exchange_topic_retention_forgets() -> None:
    from services.detect.stream.coverage_exchange import CoverageSummary

    book = ExchangeBook(UNITS)
    book.add(ScenePartMsg("p1", PART))
    book.add(CoverageSummary("p1", T0 + 1_200_000, False, ((1, 2, T0 // 600_000, (224000001,)),)))
    book.add(UnitClock("p1", T0 + 3_600_000, T0 + 3_600_000, False))
    assert book.newest_front_ms() == T0 + 3_600_000
    book.prune(T0, 600_000)
    assert book.parts and book.coverage.cells  # not older than the horizon
    book.prune(T0 + 600_000, 600_000)
    assert not book.parts and not book.coverage.cells
