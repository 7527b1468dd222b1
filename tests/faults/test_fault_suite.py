"""The fault suite (``make test-faults``): a scenario through the real pipeline — replay → two ``msa detector``
instances → ``msa sink`` → PostgreSQL — while it is hurt, compared with the fault-free reference (``msa detect``
on the same recording, which the detector's equivalence tests tie to the streaming output):

* ``kill -9`` of each detector instance and of the sink at random points, several times, each restarted;
* a rebalance storm: instances joining and leaving while the others work;
* 1,000 poison records: 600 on the position topic (200 of them while the kills go on), 400 on the alert topic.

Checked: the final alert set in PostgreSQL (ids and versions) is the reference's; no alert stored twice (one
``created`` audit row each); every poison record is in its dead-letter topic (``detect.rejects.v1``,
``alerts.rejects.v1``) exactly once — the sink commits them with its offsets in one Kafka transaction (read
``read_committed``), a detector reads the dead letters of the partitions it takes over before sending any; the
recovery time after the last fault is printed and saved (``bench/results/faults.json``).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from msa.contracts.codec import loads
from msa.kafka import ensure_topics, make_producer
from services.api.sink import rejects_topic
from services.detect.stream.detector_topics import StreamTopics
from tests.faults.services import committed_counts
from tests.integration.test_detector_stream import MSA, REPO, Detectors, offline_alerts, prepared, replay

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.timeout(1500)]

RESULTS = REPO / "bench" / "results" / "faults.json"
N_POISON_POSITIONS, N_POISON_ALERTS = 600, 400
N_POISON_LATE = 200  # of the positions' poison: injected while the kills go on


class SinkProc:
    def __init__(self, topic: str, group: str, database_url: str, log_dir: Path) -> None:
        self.args = [*MSA, "sink", "--topic", topic, "--group", group]
        self.env = {**os.environ, "MSA_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
        self.log_dir, self.n = log_dir, 0
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.n += 1
        log = (self.log_dir / f"sink-{self.n}.log").open("wb")
        self.proc = subprocess.Popen(self.args, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=self.env)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _stored(database_url: str) -> tuple[dict[str, int], Counter[str]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            versions = {r[0]: int(r[1]) for r in conn.execute(text("SELECT alert_id, version FROM alerts"))}
            created = Counter(r[0] for r in conn.execute(
                text("SELECT alert_id FROM alert_events WHERE actor = 'detector' AND action = 'created'")))
        return versions, created
    finally:
        engine.dispose()


async def _poison(bootstrap: str, topic: str, n: int, tag: bytes) -> dict[str, bytes]:
    producer = make_producer(bootstrap)
    await producer.start()
    out: dict[str, bytes] = {}
    try:
        futures = []
        for i in range(n):
            value = b"\x00poison-%s-%d{" % (tag, i)
            futures.append((value, await producer.send(topic, value, key=b"%d" % (224000000 + i))))
        for value, fut in futures:
            md = await fut
            out[f"{topic}[{md.partition}]@{md.offset}"] = value
    finally:
        await producer.stop()
    return out


async def _dead_letters(bootstrap: str, topic: str) -> Counter[str]:
    return await committed_counts(bootstrap, topic, lambda m: str(loads(m.value)["source"]))


async def test_the_pipeline_survives_kills_rebalances_and_poison(tmp_path_factory: pytest.TempPathFactory,
                                                                 own_database_url: str, kafka_bootstrap: str,
                                                                 unique: str, tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("MSA_FAULT_SEED", "12")))
    scenario = prepared(tmp_path_factory.mktemp("faults"), "all")
    want = {aid: int(d["version"]) for aid, d in offline_alerts(scenario).items()}
    assert want
    suffix = f".f{unique}"
    topics = StreamTopics.with_suffix(suffix)
    await ensure_topics(kafka_bootstrap, topics.specs())
    poison_pos = await _poison(kafka_bootstrap, topics.positions, N_POISON_POSITIONS - N_POISON_LATE, b"pos")
    poison_alerts = await _poison(kafka_bootstrap, topics.alerts, N_POISON_ALERTS, b"alert")

    detectors = Detectors(suffix, f"g-{unique}", own_database_url, tmp_path)
    sink = SinkProc(topics.alerts, f"sink-{unique}", own_database_url, tmp_path)
    faults: list[str] = []
    t0 = time.monotonic()
    try:
        replay(scenario, suffix)
        detectors.start("d0")
        detectors.start("d1")
        sink.start()
        for round_ in range(3):  # kills at random points, each restarted
            await asyncio.sleep(rng.uniform(2.0, 8.0))
            victim = rng.choice(["d0", "d1", "sink"])
            if victim == "sink":
                sink.kill()
                sink.start()
            else:
                detectors.kill(victim)
                detectors.start(victim)
            faults.append(f"kill -9 {victim} (round {round_ + 1})")
            if round_ == 0:  # poison while instances die and come back
                poison_pos.update(await _poison(kafka_bootstrap, topics.positions, N_POISON_LATE, b"late"))
        for i in range(3):  # a rebalance storm: a third instance joins and leaves, gracefully or not
            await asyncio.sleep(rng.uniform(1.0, 3.0))
            detectors.start(f"x{i}")
            await asyncio.sleep(rng.uniform(1.0, 4.0))
            if i % 2:
                detectors.kill(f"x{i}")
                faults.append(f"x{i} joined, killed")
            else:
                code = detectors.stop(f"x{i}")
                faults.append(f"x{i} joined, left (exit {code})")
        last_fault = time.monotonic()
        deadline = last_fault + 600
        versions: dict[str, int] = {}
        while time.monotonic() < deadline:
            versions, created = _stored(own_database_url)
            if versions == want:
                break
            await asyncio.sleep(1.0)
        recovery_s = time.monotonic() - last_fault
        assert versions == want, (f"missing {sorted(set(want) - set(versions))[:5]}, extra "
                                  f"{sorted(set(versions) - set(want))[:5]}, other versions "
                                  f"{[a for a in want if a in versions and versions[a] != want[a]][:5]}\n"
                                  + detectors.logs()[-4000:])
        assert all(n == 1 for n in created.values()) and set(created) == set(want)  # none stored twice
    finally:
        sink.stop()
        detectors.close()
    dead_pos = await _dead_letters(kafka_bootstrap, topics.rejects)
    dead_alerts = await _dead_letters(kafka_bootstrap, rejects_topic(topics.alerts))
    assert set(poison_pos) <= set(dead_pos), len(set(poison_pos) - set(dead_pos))
    assert set(poison_alerts) <= set(dead_alerts), len(set(poison_alerts) - set(dead_alerts))
    copies = {"detect.rejects": sum(dead_pos[s] for s in poison_pos) - len(poison_pos),
              "alerts.rejects": sum(dead_alerts[s] for s in poison_alerts) - len(poison_alerts)}
    # exactly once, whatever kill came between: the sink dead-letters in a Kafka transaction with its offsets;
    # a detector first reads the dead letters of the partitions it takes over
    assert copies == {"detect.rejects": 0, "alerts.rejects": 0}, copies
    figures: dict[str, Any] = {
        "scenario": "all (seed 7)", "alerts_compared": len(want), "faults": faults,
        "poison_records": N_POISON_POSITIONS + N_POISON_ALERTS, "dead_letter_extra_copies": copies,
        "recovery_after_last_fault_s": round(recovery_s, 1), "wall_s": round(time.monotonic() - t0, 1),
        "seed": int(os.environ.get("MSA_FAULT_SEED", "12")),
    }
    print("fault suite:", json.dumps(figures))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
