"""End-to-end ``msa detector`` on the real broker and database.

* throughput: N synthetic position reports (plus static data) already on Kafka; 1 then 2 detector
  processes in a fresh group; reports/s = N / (time from the first position consumed to the first
  checkpoint after both stages drained, read from the instances' ``/metrics``);

Latency is measured with the settings users run, in wall time: ``bench/latency_bench.py``.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import cpu_s, create_database, detector_consumed, drop_database, metric, stop

__all__ = ["run"]

REPO = Path(__file__).resolve().parents[1]
T0_MS = 1_735_689_600_000
# where the latency run's pairs meet: Alboran Sea, > 5 km from any port or anchorage
MEETINGS = ((36.0, -3.0), (35.9, -4.0), (36.2, -2.5), (35.8, -3.5), (36.1, -4.5), (35.7, -2.6))


def _records(n_vessels: int, step_s: float, n_steps: int, fast_every: int = 25,
             meetings: int = 0) -> list[tuple[int, int, bytes]]:
    """(mmsi, ts_ms, value) sorted by time: slow traffic in the Alboran Sea, every ``fast_every``-th a
    35 kn boat (go-fast); ``meetings`` pairs of vessels 150 m apart at 1 kn (rendezvous after 30 min)."""
    from msa.contracts.codec import dumps, record_to_dict
    from msa.domain import PositionReport, StaticVesselData, TimeSource

    rng = random.Random(1)
    out: list[tuple[int, int, bytes]] = []
    placed = [(MEETINGS[i // 2][0] + 0.00135 * (i % 2), MEETINGS[i // 2][1]) for i in range(2 * meetings)]
    for v in range(n_vessels + len(placed)):
        mmsi = 224_100_000 + v
        fast = v % fast_every == 0 and v < n_vessels
        sog = 35.0 if fast else rng.uniform(0.0, 14.0)
        cog = rng.uniform(0, 360)
        lon, lat = rng.uniform(-4.8, -2.2), rng.uniform(35.6, 36.3)
        if v >= n_vessels:  # one of a meeting pair
            (lat, lon), sog, cog = placed[v - n_vessels], 1.0, 90.0
        st = StaticVesselData(mmsi=mmsi, ts_ms=T0_MS, name=f"BENCH {v}", length_m=12.0 if fast else 90.0,
                              ship_type=37 if fast else 70, time_source=TimeSource.TAG_BLOCK)
        out.append((mmsi, T0_MS, dumps(record_to_dict(st))))
        dlat = sog * step_s / 3600.0 / 60.0 * math.cos(math.radians(cog))
        dlon = sog * step_s / 3600.0 / 60.0 * math.sin(math.radians(cog)) / math.cos(math.radians(lat))
        offset_ms = rng.randrange(int(step_s * 1000))
        for k in range(n_steps):
            ts = T0_MS + offset_ms + int(k * step_s * 1000)
            rec = PositionReport(mmsi=mmsi, ts_ms=ts, lat=round(lat + k * dlat, 6),
                                 lon=round(lon + k * dlon, 6), sog_kn=round(sog, 1), cog_deg=round(cog, 1),
                                 time_source=TimeSource.TAG_BLOCK)
            out.append((mmsi, ts, dumps(record_to_dict(rec))))
    out.sort(key=lambda r: r[1])
    return out


async def _publish(bootstrap: str, topics: Any, records: list[tuple[int, int, bytes]]) -> None:
    from msa.kafka import make_producer

    producer = make_producer(bootstrap, linger_ms=20)
    await producer.start()
    try:
        futs = []
        for mmsi, _, value in records:
            topic = topics.static if b'"kind":"static"' in value else topics.positions
            futs.append(await producer.send(topic, value, key=str(mmsi).encode()))
            if len(futs) >= 20_000:
                await asyncio.gather(*futs)
                futs.clear()
        await asyncio.gather(*futs)
    finally:
        await producer.stop()




def _start(suffix: str, group: str, db: str, port: int, grace_s: float, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "msa.cli", "--log-level", "WARNING", "detector", "--topic-suffix", suffix,
         "--group", group, "--database-url", db, "--health-port", str(port), "--grace-s", str(grace_s),
         "--idle-timeout-s", "1", "--instance-id", f"bench-{port}"],
        cwd=REPO, stdout=log.open("ab"), stderr=subprocess.STDOUT)






def _throughput(bootstrap: str, db: str, n_instances: int, records: list[tuple[int, int, bytes]],
                log: Path, base_port: int) -> tuple[float, float]:
    """(reports/s, detector CPU seconds per million reports) over the same window."""
    from services.detect.stream.detector_topics import StreamTopics

    suffix = f".bench{uuid.uuid4().hex[:8]}"
    topics = StreamTopics.with_suffix(suffix)
    from msa.kafka import ensure_topics

    asyncio.run(ensure_topics(bootstrap, topics.specs()))
    asyncio.run(_publish(bootstrap, topics, records))
    n_pos = sum(1 for r in records if b'"kind":"position"' in r[2])
    ports = [base_port + i for i in range(n_instances)]
    procs = [_start(suffix, f"bench-{suffix}", db, port, 120.0, log) for port in ports]
    try:
        # from the first consumed record (group join excluded) to the first checkpoint after every position
        # was consumed and both stages drained (no lag, nothing waiting in a merge): its alerts acknowledged,
        # its state and offsets committed
        first = last = None
        drained: float | None = None
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            got = detector_consumed(ports, topics.positions)
            now = time.monotonic()
            if got > 0 and first is None:
                first = (now, got)
                cpu0 = cpu_s(procs)
            if got >= n_pos and drained is None:
                if metric(ports, "msa_detector_lag") == 0 and metric(ports, "msa_detector_pending") == 0:
                    drained = metric(ports, "msa_detector_checkpoints_total")
            elif drained is not None and metric(ports, "msa_detector_checkpoints_total") > drained:
                last = now
                cpu1 = cpu_s(procs)
                break
            time.sleep(0.05)
        if first is None or last is None:
            return 0.0, 0.0
        n = n_pos - first[1]
        return n / max(last - first[0], 1e-3), (cpu1 - cpu0) / max(n, 1) * 1e6
    finally:
        stop(procs)


def run(out: dict[str, Any], quick: bool = False) -> None:
    from msa.settings import load_settings

    settings = load_settings()
    bootstrap, url = settings.kafka_bootstrap, settings.database_url
    log = Path(os.environ.get("TMPDIR", "/tmp")) / "msa-stream-bench.log"
    db = create_database(url)
    try:
        n_vessels, n_steps = (600, 100) if quick else (3000, 130)
        records = _records(n_vessels, 10.0, n_steps)
        n_pos = n_vessels * n_steps
        out["throughput_reports"] = n_pos
        one, cpu_one = _throughput(bootstrap, db, 1, records, log, 18931)
        two, cpu_two = _throughput(bootstrap, db, 2, records, log, 18941)
        out["throughput_1_instance_reports_s"] = round(one)
        out["throughput_2_instances_reports_s"] = round(two)
        out["throughput_ratio_2_to_1"] = round(two / one, 2) if one else None
        # scale-out cost: the exchange and the cell stage between instances (the target: ≤ 1.2× one's)
        out["cpu_s_per_million_reports_1_instance"] = round(cpu_one, 1)
        out["cpu_s_per_million_reports_2_instances"] = round(cpu_two, 1)
        out["cpu_ratio_2_to_1"] = round(cpu_two / cpu_one, 2) if cpu_one else None
        out["reports_per_cpu_s_1_instance"] = round(1e6 / cpu_one) if cpu_one else None
        out["throughput_target_reports_s"] = 20_000
    finally:
        drop_database(url, db)
