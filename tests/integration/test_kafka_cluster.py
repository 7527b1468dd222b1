"""``msa infra up --brokers 3``: three KRaft nodes on loopback, topics with replication factor 3 and
min.insync.replicas 2, and ``acks=all`` producing and consuming through the loss of one node (kill -9)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from msa.contracts.topics import ALERTS, TopicSpec
from msa.infra.kafka_broker import KAFKA_VERSION, KafkaLayout, kafka_down
from msa.infra.process import read_pid
from msa.kafka import ensure_topics, make_producer, under_replicated
from msa.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

MSA = [sys.executable, "-m", "msa.cli"]


def _free_base() -> int:
    """A port P with P..P+5 free (three brokers and their controllers), below the ephemeral range: a port there
    may be the local end of some client's connection, which no connect() probe sees but which makes the
    broker's bind fail ("Address already in use"). Free = bindable now."""
    low = 32768
    with contextlib.suppress(OSError, ValueError):
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for base in range(max(1024, low - 6000), low - 6, 10):
        try:
            socks = []
            for p in range(base, base + 6):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no six free ports")


@pytest.fixture
def cluster(tmp_path: Path) -> tuple[dict[str, str], int]:
    jars = Settings().home / f"kafka-{KAFKA_VERSION}"
    if not (jars / "libs" / ".complete").exists():
        pytest.fail(f"the Kafka jars are not in {jars}: run `make infra` first")
    home = tmp_path / "home"
    home.mkdir()
    (home / f"kafka-{KAFKA_VERSION}").symlink_to(jars)  # the jars of this machine, not a second download
    base = _free_base()
    env = {**os.environ, "MSA_HOME": str(home), "MSA_KAFKA_BOOTSTRAP": f"127.0.0.1:{base}"}
    up = subprocess.run([*MSA, "infra", "up", "--only", "kafka", "--brokers", "3"], env=env, capture_output=True,
                        text=True, timeout=300, check=False)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        yield env, base
    finally:  # its own brokers only (`msa infra down` would stop this machine's PostgreSQL too)
        print(kafka_down(KafkaLayout(home, port=base)))
        left = [p for p in (home / "run").glob("kafka*.pid") if read_pid(p)]
        assert not left, left


async def test_three_brokers_replicate_and_survive_one_lost(cluster: tuple[dict[str, str], int]) -> None:
    env, base = cluster
    bootstrap = f"127.0.0.1:{base}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        assert len((await admin.describe_cluster())["brokers"]) == 3
        (desc,) = await admin.describe_topics([ALERTS])
        assert all(len(p["replicas"]) == 3 for p in desc["partitions"]), desc
        (cfg,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, ALERTS)])
        entries = {e[0]: e[1] for e in cfg.resources[0][4]}
        assert entries["min.insync.replicas"] == "2"
    finally:
        await admin.close()

    # a topic made with one replica (before the cluster grew, say) is named as under-replicated, not changed
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic("grown.from.one", 1, 1)])
        for _ in range(50):  # until every broker's metadata has it
            if "grown.from.one" in await admin.list_topics():
                break
            await asyncio.sleep(0.2)
        assert await under_replicated(admin, ["grown.from.one", ALERTS], 3) == ["grown.from.one"]
    finally:
        await admin.close()
    await ensure_topics(bootstrap, [TopicSpec("grown.from.one", 1, "", "test", "one replica")])  # says, keeps

    producer = make_producer(bootstrap)  # acks=all, idempotent
    await producer.start()
    try:
        for i in range(50):
            await producer.send_and_wait(ALERTS, b"before %d" % i, key=b"%d" % i)
        os.kill(read_pid(Path(env["MSA_HOME"]) / "run" / "kafka-3.pid") or 0, signal.SIGKILL)  # one node lost
        for i in range(50):
            await producer.send_and_wait(ALERTS, b"after %d" % i, key=b"%d" % i)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(ALERTS, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None)
    await consumer.start()
    got: list[bytes] = []
    try:
        for _ in range(60):
            for msgs in (await consumer.getmany(timeout_ms=500)).values():
                got += [m.value for m in msgs]
            if len(got) >= 100:
                break
    finally:
        await consumer.stop()
    assert sorted(got) == sorted([b"before %d" % i for i in range(50)] + [b"after %d" % i for i in range(50)])
