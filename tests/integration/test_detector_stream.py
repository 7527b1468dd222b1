"""``msa detector`` on the real broker and database: the same final alerts as ``msa detect`` (1 and 2
instances), and the same again after ``kill -9`` at random points and after a rebalance.

Each test gets its own topics (suffix), consumer group and throw-away database. Scenario files come from
``msa simulate``; they are replayed with ``msa replay --max`` (which interleaves the AIS and satellite files by
event time: a detection that reached the detector after it had passed the detection's time by more than the
grace period would be late, as it would be live). The downstream sink is a dict keyed by (alert_id, version),
like the API's upsert: a version delivered twice must carry the same content. Alerts must equal
``msa detect``'s field for field.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from msa.contracts.cloudevents import alert_from_cloudevent
from msa.contracts.codec import alert_to_dict, loads

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
MSA = [sys.executable, "-m", "msa.cli"]
SCENARIOS = ("all", "dark_sar", "offshore_rendezvous", "dark_rendezvous")
GRACE_S = 120  # ≥ the simulated feed's reception disorder (~90 s); the offline run sorts its input
DEADLINE_S = 150.0


def _run(args: list[str], timeout_s: float = 240.0) -> None:
    done = subprocess.run([*MSA, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout_s,
                          check=False)
    assert done.returncode == 0, f"msa {' '.join(args)} failed:\n{done.stderr[-3000:]}"


@pytest.fixture(scope="module")
def scenario_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Scenarios from the simulator (each, or all merged), with the offline reference (msa detect) beside each."""
    return tmp_path_factory.mktemp("scenarios")


def prepared(root: Path, name: str) -> Path:
    """Simulate the scenario (once per module) and run ``msa detect`` on it."""
    assert name in SCENARIOS
    out = root / name
    if not (out / "offline.jsonl").exists():
        _run(["simulate", "--scenario", name, "--seed", "7", "--out", str(out)])
        _run(["detect", str(out / "ais.nmea"), "--sat", str(out / "sat.geojson"), "--out",
              str(out / "offline.jsonl")])
    return out


def offline_alerts(scenario: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for line in (scenario / "offline.jsonl").read_bytes().splitlines():
        if line.strip():
            d = loads(line)
            out[d["alert_id"]] = d
    return out


class Sink:
    """Idempotent downstream sink: upsert on (alert_id, version); counts redeliveries and conflicts."""

    def __init__(self) -> None:
        self.versions: dict[tuple[str, int], dict[str, Any]] = {}
        self.redelivered = 0
        self.conflicts: list[tuple[str, int]] = []

    def put(self, d: dict[str, Any]) -> None:
        key = (d["alert_id"], d["version"])
        prev = self.versions.get(key)
        if prev is not None:
            self.redelivered += 1
            if prev != d:
                self.conflicts.append(key)
        self.versions[key] = d

    def final(self) -> dict[str, dict[str, Any]]:
        last: dict[str, dict[str, Any]] = {}
        for (aid, ver), d in sorted(self.versions.items()):
            if aid not in last or ver > last[aid]["version"]:
                last[aid] = d
        return last


async def collect(bootstrap: str, topic: str, sink: Sink, until: Any, deadline_s: float = DEADLINE_S,
                  settle_s: float = 3.0) -> None:
    """Read the alerts topic into the sink until ``until(sink)`` holds for ``settle_s`` (or the deadline)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        end = time.monotonic() + deadline_s
        held_since: float | None = None
        while time.monotonic() < end:
            batch = await consumer.getmany(timeout_ms=500)
            for msgs in batch.values():
                for m in msgs:
                    sink.put(alert_to_dict(alert_from_cloudevent(list(m.headers), m.value)))
            if until(sink):
                held_since = held_since or time.monotonic()
                if time.monotonic() - held_since >= settle_s:
                    return
            else:
                held_since = None
    finally:
        await consumer.stop()


class Detectors:
    """``msa detector`` subprocesses of one group; killed (SIGKILL) or stopped (SIGTERM) on demand."""

    def __init__(self, suffix: str, group: str, database_url: str, log_dir: Path) -> None:
        self.suffix, self.group, self.database_url, self.log_dir = suffix, group, database_url, log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.started = 0

    def start(self, name: str) -> None:
        self.started += 1
        log = (self.log_dir / f"{name}-{self.started}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            [*MSA, "detector", "--topic-suffix", self.suffix, "--group", self.group, "--instance-id", name,
             "--database-url", self.database_url, "--idle-timeout-s", "1", "--checkpoint-interval-s", "0.5",
             "--checkpoint-records", "3000", "--grace-s", str(GRACE_S)],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})

    def kill(self, name: str) -> None:
        p = self.procs.pop(name)
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)

    def stop(self, name: str) -> int:
        p = self.procs.pop(name)
        p.send_signal(signal.SIGTERM)
        return p.wait(timeout=60)

    def close(self) -> None:
        for name in list(self.procs):
            self.kill(name)

    def logs(self) -> str:
        return "\n".join(f"== {p.name}\n{p.read_text()[-4000:]}" for p in sorted(self.log_dir.glob("*.log")))


@pytest.fixture
def detectors(migrated_database_url: str, unique: str, tmp_path: Path) -> Iterator[Detectors]:
    d = Detectors(f".t{unique}", f"g-{unique}", migrated_database_url, tmp_path)
    try:
        yield d
    finally:
        d.close()


def replay(scenario: Path, suffix: str, sat_delay_s: float = 0.0, speed: float | None = None) -> None:
    late = ["--sat-delay-s", str(sat_delay_s)] if sat_delay_s else []
    pace = ["--speed", str(speed)] if speed else ["--max"]
    _run(["replay", str(scenario / "ais.nmea"), str(scenario / "sat.geojson"), *pace, "--no-progress",
          "--topic-suffix", suffix, *late])


def assert_same(got: dict[str, dict[str, Any]], want: dict[str, dict[str, Any]], logs: str) -> None:
    assert want, "the scenario must produce alerts offline, else the comparison proves nothing"
    missing, extra = set(want) - set(got), set(got) - set(want)
    assert not missing and not extra, f"alert ids differ: missing {missing}, extra {extra}\n{logs[-6000:]}"
    for aid, d in want.items():
        assert got[aid] == d, f"alert {aid} differs"


def _matches(want: dict[str, dict[str, Any]]) -> Any:
    return lambda sink: sink.final() == want


@pytest.mark.parametrize(("scenario", "instances"), [
    ("all", 1), ("all", 2), ("dark_sar", 2), ("offshore_rendezvous", 2), ("offshore_rendezvous", 1),
])
async def test_equivalence_with_offline(scenario: str, instances: int, scenario_dir: Path,
                                        detectors: Detectors, kafka_bootstrap: str) -> None:
    want = offline_alerts(prepared(scenario_dir, scenario))
    replay(prepared(scenario_dir, scenario), detectors.suffix)
    for i in range(instances):
        detectors.start(f"d{i}")
    sink = Sink()
    await collect(kafka_bootstrap, f"alerts.v1{detectors.suffix}", sink, _matches(want))
    assert_same(sink.final(), want, detectors.logs())
    assert not sink.conflicts


@pytest.mark.parametrize("late_h", [1, 6])
async def test_satellite_products_hours_late_give_the_offline_alerts(late_h: int, scenario_dir: Path,
                                                                    detectors: Detectors, kafka_bootstrap: str) -> None:
    """SAR detections published 1 h and 6 h (event time) after acquisition — as products reach an operations
    centre — while the AIS goes on: the detector judges them as offline judges them on time (the merged
    scenarios: dark vessels, dark rendezvous, SAR evidence on dark periods on- and offshore)."""
    scenario = prepared(scenario_dir, "all")
    want = offline_alerts(scenario)
    assert any(d["kind"] in ("dark_vessel", "dark_rendezvous") for d in want.values())
    assert any(d["kind"] == "dark_period" and d["detection_ids"] for d in want.values())
    detectors.start("d0")  # live: the detector is past a scene's time when its detections come
    await asyncio.to_thread(replay, scenario, detectors.suffix, late_h * 3600, 1800.0)
    sink = Sink()
    await collect(kafka_bootstrap, f"alerts.v1{detectors.suffix}", sink, _matches(want))
    assert_same(sink.final(), want, detectors.logs())
    assert not sink.conflicts


async def test_kill_minus_9_at_random_points_then_restart(scenario_dir: Path, detectors: Detectors,
                                                           kafka_bootstrap: str) -> None:
    scenario = prepared(scenario_dir, "dark_sar")  # coverage, a satellite scene and a dark period across units
    want = offline_alerts(scenario)
    assert any(d["detection_ids"] for d in want.values())
    rng = random.Random(os.environ.get("MSA_FAULT_SEED", "5"))
    feeder = asyncio.create_task(asyncio.to_thread(replay, scenario, detectors.suffix))
    detectors.start("a")
    for _ in range(3):
        await asyncio.sleep(rng.uniform(1.5, 5.0))
        detectors.kill("a")
        detectors.start("a")
    await feeder
    sink = Sink()
    await collect(kafka_bootstrap, f"alerts.v1{detectors.suffix}", sink, _matches(want))
    assert_same(sink.final(), want, detectors.logs())
    assert not sink.conflicts, "a redelivered alert version must carry the same content"


async def test_rebalance_second_instance_joins_and_leaves(scenario_dir: Path, detectors: Detectors,
                                                          kafka_bootstrap: str) -> None:
    scenario = prepared(scenario_dir, "dark_rendezvous")
    want = offline_alerts(scenario)
    feeder = asyncio.create_task(asyncio.to_thread(replay, scenario, detectors.suffix))
    detectors.start("a")
    await asyncio.sleep(2.0)
    detectors.start("b")
    await asyncio.sleep(6.0)
    assert detectors.stop("b") == 0  # graceful: flush + checkpoint on SIGTERM
    await feeder
    sink = Sink()
    await collect(kafka_bootstrap, f"alerts.v1{detectors.suffix}", sink, _matches(want))
    assert_same(sink.final(), want, detectors.logs())
    assert not sink.conflicts


async def test_checkpoints_of_another_version_are_rebuilt_from_the_start(scenario_dir: Path, detectors: Detectors,
                                                                        kafka_bootstrap: str) -> None:
    """Old-format states (an upgrade) for every positions and cell partition, at offsets past the data: the
    detector does not trust them, replays those partitions from their start and gives the offline alerts."""
    from services.detect.stream.checkpoint import Checkpoint, CheckpointStore

    scenario = prepared(scenario_dir, "offshore_rendezvous")
    want = offline_alerts(scenario)
    replay(scenario, detectors.suffix)
    store = CheckpointStore(detectors.database_url, detectors.group)
    try:
        old = pickle.dumps(("engine v1", {}, None))
        store.save([*(Checkpoint(f"ais.positions.v1{detectors.suffix}", p, 10**6, old) for p in range(6)),
                    *(Checkpoint(f"ais.static.v1{detectors.suffix}", p, 10**6, None) for p in range(6)),
                    *(Checkpoint(f"detect.positions-by-cell.v3{detectors.suffix}", p, 10**6, old) for p in range(6))])
    finally:
        store.close()
    detectors.start("d0")
    sink = Sink()
    await collect(kafka_bootstrap, f"alerts.v1{detectors.suffix}", sink, _matches(want))
    assert_same(sink.final(), want, detectors.logs())
    assert "rebuilt from the start" in detectors.logs()


async def test_poison_records_are_dead_lettered_once_and_change_nothing(scenario_dir: Path, detectors: Detectors,
                                                                        kafka_bootstrap: str) -> None:
    """Undecodable records on the position, static and satellite topics (another producer's, a bit flip), two
    instances: each in ``detect.rejects.v1`` with its source offset and raw bytes, exactly once — also after both
    are killed and a third takes every partition over (it reads them all again, the satellite topic whole, and
    finds their dead letters already there); the alerts are the offline ones."""
    from msa.kafka import ensure_topics, make_producer
    from services.detect.stream.detector_topics import StreamTopics

    scenario = prepared(scenario_dir, "dark_sar")
    want = offline_alerts(scenario)
    topics = StreamTopics.with_suffix(detectors.suffix)
    await ensure_topics(kafka_bootstrap, topics.specs())
    producer = make_producer(kafka_bootstrap)
    await producer.start()
    poison: dict[str, bytes] = {}
    try:
        for i, topic in enumerate([topics.positions] * 6 + [topics.static] * 2 + [topics.sat] * 2):
            value = b"\x00\xffpoison %d {" % i
            md = await producer.send_and_wait(topic, value, key=b"%d" % (224000000 + i))
            poison[f"{topic}[{md.partition}]@{md.offset}"] = value
    finally:
        await producer.stop()
    replay(scenario, detectors.suffix)
    detectors.start("d0")
    detectors.start("d1")
    sink = Sink()
    await collect(kafka_bootstrap, topics.alerts, sink, _matches(want))
    assert_same(sink.final(), want, detectors.logs())
    async def dead_letters() -> list[dict[str, Any]]:
        consumer = AIOKafkaConsumer(topics.rejects, bootstrap_servers=kafka_bootstrap, group_id=None,
                                    auto_offset_reset="earliest", enable_auto_commit=False)
        await consumer.start()
        dead: list[dict[str, Any]] = []
        try:
            for _ in range(10):
                for msgs in (await consumer.getmany(timeout_ms=500)).values():
                    dead += [loads(m.value) for m in msgs]
        finally:
            await consumer.stop()
        return dead

    dead = await dead_letters()
    assert sorted(d["source"] for d in dead) == sorted(poison), ([d["source"] for d in dead],
                                                                detectors.logs()[-3000:])
    assert all(d["reason"] == "bad_record" and d["raw"].startswith("\x00") for d in dead)
    detectors.kill("d0")
    detectors.kill("d1")
    detectors.start("d2")  # everything again from the checkpoints, the satellite topic whole
    for _ in range(120):
        if "dead-lettered already" in detectors.logs():
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(3.0)
    again = await dead_letters()
    assert sorted(d["source"] for d in again) == sorted(poison), detectors.logs()[-3000:]
