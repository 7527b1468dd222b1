"""The fault suite, part three: one broker of three lost while the pipeline works. ``msa infra up --brokers 3``
(replication factor 3, ``min.insync.replicas`` 2) on ports of its own; replay → two ``msa detector`` → ``msa
sink`` → PostgreSQL against it, each under ``msa supervise``; a broker is killed with ``kill -9`` mid-run and
not brought back. Checked: the final alert set (ids and versions) is the fault-free reference's, none stored
twice; the time to it after the loss is printed and saved (``bench/results/faults-broker-lost.json``)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from msa.infra.process import read_pid
from msa.kafka import ensure_topics
from services.detect.stream.detector_topics import StreamTopics
from tests.faults.services import Supervised
from tests.faults.test_fault_suite import _stored
from tests.integration.test_detector_stream import GRACE_S, MSA, REPO, offline_alerts, prepared
from tests.integration.test_kafka_cluster import cluster  # noqa: F401 - the three-node fixture

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.timeout(1200)]

RESULTS = REPO / "bench" / "results" / "faults-broker-lost.json"


def test_the_pipeline_survives_the_loss_of_one_broker_of_three(
        cluster: tuple[dict[str, str], int],  # noqa: F811
        tmp_path_factory: pytest.TempPathFactory, own_database_url: str, unique: str, tmp_path: Path) -> None:
    env, base = cluster
    bootstrap = f"127.0.0.1:{base}"
    scenario = prepared(tmp_path_factory.mktemp("broker-lost"), "all")
    want = {aid: int(d["version"]) for aid, d in offline_alerts(scenario).items()}
    assert want
    suffix = f".b{unique}"
    topics = StreamTopics.with_suffix(suffix)
    asyncio.run(ensure_topics(bootstrap, topics.specs()))
    env = {**env, "MSA_DATABASE_URL": own_database_url}
    services = [
        *(Supervised(f"d{i}", ["detector", "--topic-suffix", suffix, "--group", f"g-{unique}", "--instance-id",
                               f"d{i}", "--database-url", own_database_url, "--idle-timeout-s", "1",
                               "--checkpoint-interval-s", "0.5", "--checkpoint-records", "3000",
                               "--grace-s", str(GRACE_S)], tmp_path, env) for i in range(2)),
        Supervised("sink", ["sink", "--topic", topics.alerts, "--group", f"sink-{unique}"], tmp_path, env),
    ]
    t0 = time.monotonic()
    try:
        done = subprocess.run([*MSA, "replay", str(scenario / "ais.nmea"), str(scenario / "sat.geojson"), "--max",
                               "--no-progress", "--topic-suffix", suffix], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        for s in services:
            s.start()
        time.sleep(4.0)  # the pipeline at work
        os.kill(read_pid(Path(env["MSA_HOME"]) / "run" / "kafka-3.pid") or 0, signal.SIGKILL)  # one node lost
        lost_at = time.monotonic()
        versions: dict[str, int] = {}
        while time.monotonic() - lost_at < 600:
            versions, created = _stored(own_database_url)
            if versions == want:
                break
            time.sleep(1.0)
        recovery_s = time.monotonic() - lost_at
        logs = "\n".join(f"== {s.name}\n{s.log()}" for s in services)
        assert versions == want, (f"missing {sorted(set(want) - set(versions))[:5]}, extra "
                                  f"{sorted(set(versions) - set(want))[:5]}\n{logs[-8000:]}")
        assert all(n == 1 for n in created.values()) and set(created) == set(want)  # none stored twice
    finally:
        for s in services:
            s.stop()
    figures: dict[str, Any] = {
        "scenario": "all (seed 7)", "alerts_compared": len(want), "brokers": 3, "fault": "kill -9 broker 3 mid-run",
        "complete_after_loss_s": round(recovery_s, 1), "restarts_by_supervisor": {s.name: s.restarts()
                                                                                   for s in services},
        "wall_s": round(time.monotonic() - t0, 1),
    }
    print("fault suite (broker lost):", json.dumps(figures))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
