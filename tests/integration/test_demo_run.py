"""``make run`` is live: ``msa run`` twice (``msa run --stop`` between) shows new alerts within a minute each
time, through the API an officer uses, with event times of now — not of the recording.

Isolated from every other run on the machine: its own ``MSA_HOME`` (pids, logs, demo recording, JWT secret),
topics and consumer groups suffixed with a fresh uuid, a throw-away database, a free API port, no detector
health port and no UDP listener. Whatever happens, what it started is stopped (``msa run --stop`` on its
own ``MSA_HOME``, then every pid it recorded checked gone).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry

from msa.domain import parse_ts
from msa.infra.process import pid_alive, read_pid
from msa.run import DEMO_SIMULATION, DEMO_SPEED

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
WITHIN_S = 60.0
H_MS = 3_600_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _msa(env: dict[str, str], *args: str, timeout_s: float = 180.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "msa.cli", *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=timeout_s, check=False)


@pytest.fixture
def demo_env(tmp_path: Path, kafka_bootstrap: str, own_database_url: str, unique: str) -> Iterator[dict[str, str]]:
    home = tmp_path / "msa-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MSA_")}
    env.update(MSA_HOME=str(home), MSA_KAFKA_BOOTSTRAP=kafka_bootstrap, MSA_DATABASE_URL=own_database_url,
               MSA_TOPICS_SUFFIX=f".demo{unique}", MSA_API_PORT=str(_free_port()), MSA_DETECTOR_HEALTH_PORT="0",
               MSA_UDP_PORT="0")
    # the demo recording `msa run` would make at its first start (made here so that the minute is the demo's)
    done = _msa(env, "simulate", *DEMO_SIMULATION, "--out", str(home / "demo-live"))
    assert done.returncode == 0, done.stdout + done.stderr
    try:
        yield env
    finally:
        _msa(env, "run", "--stop", timeout_s=120)
        left = [p for p in (home / "run").glob("*.pid") if pid_alive(read_pid(p))]
        for pid_file in left:  # should never happen: say so, and do not leave them running
            os.kill(read_pid(pid_file) or 0, 9)
        assert not left, f"still running after msa run --stop: {left}"


def _start(env: dict[str, str]) -> tuple[str, float]:
    """``msa run``; returns the demo officer token it printed and the wall clock when it was started."""
    t0 = time.time()
    done = _msa(env, "run")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("replay") and "rebased to now" in line for line in lines), done.stdout
    token = lines[lines.index("Demo officer token (valid 12 h):") + 1].strip()
    return token, t0


def _alerts(env: dict[str, str], token: str) -> list[dict[str, object]]:
    url = f"http://127.0.0.1:{env['MSA_API_PORT']}/alerts?limit=1000&sort=start"
    try:
        r = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5.0)
    except httpx.HTTPError:
        return []
    if r.status_code != 200:
        return []
    return list(r.json()["items"])


def _wait_for_new(env: dict[str, str], token: str, t0: float, after_ms: int) -> list[dict[str, object]]:
    """The alerts starting after ``after_ms``, as soon as there is one (at most a minute after ``t0``)."""
    while time.time() - t0 < WITHIN_S:
        new = [a for a in _alerts(env, token) if _start_ms(a) > after_ms]
        if new:
            return new
        time.sleep(1.0)
    logs = Path(env["MSA_HOME"]) / "logs"
    tails = {p.name: p.read_text(errors="replace")[-1500:] for p in sorted(logs.glob("*.log"))}
    pytest.fail(f"no new alert within {WITHIN_S:.0f} s of msa run; logs: {tails}")


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    return [int(x) for x in out.split()]


def _sink_killed_comes_back(env: dict[str, str]) -> None:
    """kill -9 the sink under `msa run`: its supervisor restarts it (and says so in the sink's log)."""
    home = Path(env["MSA_HOME"])
    supervisor = read_pid(home / "run" / "sink.pid")
    assert supervisor is not None and pid_alive(supervisor)
    (victim,) = _children(supervisor)
    os.kill(victim, 9)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = _children(supervisor)
        if now and now != [victim]:
            break
        time.sleep(0.2)
    assert now and now != [victim], "the sink was not restarted"
    log = (home / "logs" / "sink.log").read_text(errors="replace")
    assert "supervise: sink exited with code -9" in log and "restart 1 in" in log, log[-2000:]


def _start_ms(alert: dict[str, object]) -> int:
    return parse_ts(str(alert["start"]))


@pytest.mark.timeout(420)
def test_make_run_twice_shows_new_alerts_of_now_within_a_minute_each_time(demo_env: dict[str, str]) -> None:
    token, t0 = _start(demo_env)
    now_ms = int(t0 * 1000)
    first = _wait_for_new(demo_env, token, t0, 0)
    took_1 = time.time() - t0
    # event times of now: the recording's first minutes replayed from the start of the run, 60x
    for a in first:
        assert now_ms - 10 * 60_000 <= _start_ms(a) <= now_ms + int(1.2 * WITHIN_S * DEMO_SPEED * 1000), a
    _sink_killed_comes_back(demo_env)
    time.sleep(5)  # let the replay get a little further than the first alert
    seen_1 = _alerts(demo_env, token)

    stopped = _msa(demo_env, "run", "--stop", timeout_s=120)
    assert stopped.returncode == 0 and "replay: stopped" in stopped.stdout, stopped.stdout
    # the first run's event times end before the wall clock has moved 1.2 x the run's length at 60x
    run_1_until_ms = now_ms + int(1.2 * (time.time() - t0) * DEMO_SPEED * 1000)
    assert max(_start_ms(a) for a in seen_1) < run_1_until_ms

    token, t1 = _start(demo_env)
    # new alerts, after what the detector has already seen (the first run's newest record plus the 6 h seam gap):
    # a detector whose state is past the first run's times raises them
    second = _wait_for_new(demo_env, token, t1, run_1_until_ms + 5 * H_MS)
    took_2 = time.time() - t1
    print(f"first run: {len(first)} alert(s) after {took_1:.1f} s; second run: {len(second)} new after {took_2:.1f} s")



async def test_the_newest_event_time_on_a_topic_is_read_from_every_partition(kafka_bootstrap: str,
                                                                               unique: str) -> None:
    """Where a rebased replay starts after: the largest ``ts`` among the partitions' last records (the last
    record of a partition is not always its newest, nor is the newest in the last-written partition)."""
    from msa.domain import PositionReport, TimeSource
    from msa.kafka import ensure_topics, make_producer
    from services.ingest.publisher import IngestMetrics, Publisher, TopicMap
    from services.ingest.topic_clock import newest_event_ms

    topics = TopicMap().suffixed(f".clock{unique}")
    assert await newest_event_ms(kafka_bootstrap, topics.positions) is None  # no such topic yet
    await ensure_topics(kafka_bootstrap, topics.specs())
    assert await newest_event_ms(kafka_bootstrap, topics.positions) is None  # empty
    producer = make_producer(kafka_bootstrap)
    await producer.start()
    try:
        pub = Publisher(producer, topics, IngestMetrics(CollectorRegistry()))
        await pub.start()
        t0 = 1_800_000_000_000
        # many vessels (every partition), times out of order: the newest is not the last one written
        recs = [PositionReport(244_000_000 + i, t0 + (i * 7919) % 1000 * 1000, 36.0, -5.0, 10.0,
                               time_source=TimeSource.TAG_BLOCK) for i in range(60)]
        await pub.publish(recs)
        await pub.flush()
    finally:
        await producer.stop()
    from aiokafka.partitioner import DefaultPartitioner

    last_per_partition: dict[int, int] = {}
    for r in recs:  # the publisher's partitioning: by MMSI key, murmur2
        p = DefaultPartitioner()(str(r.mmsi).encode(), list(range(6)), list(range(6)))
        last_per_partition[p] = r.ts_ms
    assert await newest_event_ms(kafka_bootstrap, topics.positions) == max(last_per_partition.values())
