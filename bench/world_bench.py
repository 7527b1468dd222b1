"""The world's fleet on one machine: one hour of global traffic through ingest → detector → sink.

Scenario (``world_fleet``): ``vessels`` (200,000) around the ports of the world (``geo.ports``, UN/LOCODE), at
the density of a global aggregated feed (terrestrial and satellite, deduplicated: ~110 million reports a day,
the order of what Global Fishing Watch or a commercial provider ingests daily):

* 65 % within terrestrial range (5–60 km from a port): moored or at anchor (40 %: a report every 6 min, as an
  aggregator keeps them), underway class A (48 %: every 60 s), class B (12 %: every 3 min);
* 35 % offshore (150–600 km from a port), heard only by satellites: one fix per pass, passes 30–90 min apart,
  each pass's fixes delivered together 10–30 min after it (so they arrive behind the shore traffic: the
  detector takes them as late data, as it would live);
* a NOAA-style CSV export (the ingest's CSV reader; static fields on every row, emitted once per vessel).

Measured: wall time from the start of ``msa ingest file`` to the detector having consumed every position, its
merges drained and a checkpoint committed after it, and the sink having stored every alert version (``msa
sink``'s consumer lag 0); throughput; the detector's resident memory per tracked vessel (RSS growth over the
run) and its checkpointed state per vessel. All three services with their defaults (grace 120 s).

    python -m bench.world_bench [--quick]      # or: msa bench --only world
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

__all__ = ["run", "write_world_csv"]

REPO = Path(__file__).resolve().parents[1]
HOUR_S = 3600
KM_PER_DEG = 111.195


def _iso(t_s: float) -> str:
    h, rem = divmod(int(t_s), 3600)
    m, s = divmod(rem, 60)
    return f"2025-06-02T{h:02d}:{m:02d}:{s:02d}"


def write_world_csv(path: Path, vessels: int, span_s: int = HOUR_S, seed: int = 1) -> dict[str, int]:
    """Write the scenario as a NOAA-style CSV in arrival order; returns counts (rows, positions, satellite)."""
    from geo.ports import load_ports

    rnd = random.Random(seed)
    ports = [(p.lon, p.lat) for p in load_ports().ports]
    rows: list[tuple[float, str]] = []  # (arrival time s, row)
    n_sat = 0
    seen: set[int] = set()
    for i in range(vessels):
        mmsi = 201_000_000 + i * 37 % 570_000_000
        px, py = ports[rnd.randrange(len(ports))]
        offshore = rnd.random() < 0.35
        dist_km = rnd.uniform(150, 600) if offshore else rnd.uniform(5, 60)
        bearing = rnd.uniform(0, 2 * math.pi)
        lat = max(-80.0, min(80.0, py + dist_km * math.cos(bearing) / KM_PER_DEG))
        lon = px + dist_km * math.sin(bearing) / (KM_PER_DEG * max(0.1, math.cos(math.radians(lat))))
        lon = (lon + 180.0) % 360.0 - 180.0
        kind = rnd.random()
        moored = not offshore and kind < 0.4
        class_b = not moored and rnd.random() < 0.2
        sog = 0.0 if moored else rnd.uniform(2.0, 5.0) if rnd.random() < 0.1 else rnd.uniform(8.0, 18.0)
        cog = rnd.uniform(0, 360)
        length = rnd.choice((12, 25, 60, 120, 190, 290)) if not class_b else rnd.choice((8, 12, 15))
        static = f"VESSEL {i},IMO{9000000 + i},CS{i},{70 if length > 50 else 30},{5 if moored else 0},{length},"
        static += f"{max(4, length // 6)},{max(2, length // 25)},,{'B' if class_b else 'A'}"
        if offshore:
            t, every = rnd.uniform(0, 5400), 0.0
        else:
            every = 360.0 if moored else 180.0 if class_b else 60.0
            t = rnd.uniform(0, every)
        while t < span_s:
            d_km = sog * 1.852 * (t / 3600.0)
            y = lat + d_km * math.cos(math.radians(cog)) / KM_PER_DEG
            x = lon + d_km * math.sin(math.radians(cog)) / (KM_PER_DEG * max(0.1, math.cos(math.radians(y))))
            x = (x + 180.0) % 360.0 - 180.0  # across the antimeridian
            row = f"{mmsi},{_iso(t)},{y:.5f},{x:.5f},{sog:.1f},{cog:.1f},511,{static}"
            arrival = t + rnd.uniform(600, 1800) if offshore else t
            if arrival < span_s:
                rows.append((arrival, row))
                n_sat += offshore
                seen.add(mmsi)
            t += rnd.uniform(1800, 5400) if offshore else every
    rows.sort(key=lambda r: r[0])
    with path.open("w", encoding="ascii") as f:
        f.write("MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,"
                "Width,Draft,Cargo,TransceiverClass\n")
        f.writelines(r + "\n" for _, r in rows)
    return {"rows": len(rows), "satellite_rows": n_sat, "vessels_seen": len(seen)}


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def _end_offsets(bootstrap: str, topic: str) -> int:
    from msa.kafka import TopicOffsets

    async with TopicOffsets(bootstrap) as offsets:
        return await offsets.end(topic)


async def _sink_done(bootstrap: str, group: str, topic: str, n_alerts: int, deadline: float) -> float | None:
    """Wait (one consumer and admin client, polled every 0.5 s) until ``group`` committed ``n_alerts`` records of
    ``topic``; the monotonic time it did, or None past ``deadline``."""
    from msa.kafka import TopicOffsets

    async with TopicOffsets(bootstrap) as offsets:
        while time.monotonic() < deadline:
            if await offsets.committed(group, topic) >= n_alerts:
                return time.monotonic()
            await asyncio.sleep(0.5)
    return None


def _measure(bootstrap: str, db: str, csv_path: Path, rows: int, log: Path, port: int) -> dict[str, Any]:
    from bench.common import cpu_s, detector_consumed, metric, stop
    from msa.kafka import ensure_topics
    from services.detect.stream.detector_topics import StreamTopics

    suffix = f".world{uuid.uuid4().hex[:8]}"
    topics = StreamTopics.with_suffix(suffix)
    asyncio.run(ensure_topics(bootstrap, topics.specs()))
    env = {**os.environ, "MSA_DATABASE_URL": db, "PYTHONUNBUFFERED": "1"}
    msa = [sys.executable, "-m", "msa.cli", "--log-level", "WARNING"]
    sink_group = f"sink{suffix}"
    services = [subprocess.Popen(argv, cwd=REPO, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
                for argv in ([*msa, "detector", "--topic-suffix", suffix, "--group", f"world{suffix}",
                              "--database-url", db, "--health-port", str(port)],
                             [*msa, "sink", "--topic", topics.alerts, "--group", sink_group])]
    detector = services[0]
    try:
        deadline = time.monotonic() + 120
        while metric([port], "msa_detector_ready") < 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        rss0 = _rss_kb(detector.pid)
        t0 = time.monotonic()
        subprocess.run([*msa, "ingest", "file", str(csv_path), "--format", "noaa-csv", "--topic-suffix", suffix],
                       cwd=REPO, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, check=True)
        t_ingest = time.monotonic() - t0
        n_pos = asyncio.run(_end_offsets(bootstrap, topics.positions))
        cpu0 = cpu_s([detector])
        drained: float | None = None
        t_detect = None
        deadline = time.monotonic() + 3600
        peak_rss = rss0
        while time.monotonic() < deadline:
            peak_rss = max(peak_rss, _rss_kb(detector.pid))
            if drained is None:
                if detector_consumed([port], topics.positions) >= n_pos and metric([port], "msa_detector_lag") == 0 \
                        and metric([port], "msa_detector_pending") == 0:
                    drained = metric([port], "msa_detector_checkpoints_total")
            elif metric([port], "msa_detector_checkpoints_total") > drained:
                t_detect = time.monotonic() - t0
                break
            time.sleep(0.2)
        cpu_detector = cpu_s([detector]) - cpu0
        rss1 = _rss_kb(detector.pid)
        state_bytes = metric([port], "msa_detector_state_bytes")
        n_alerts = asyncio.run(_end_offsets(bootstrap, topics.alerts))
        sink_done = asyncio.run(_sink_done(bootstrap, sink_group, topics.alerts, n_alerts, deadline))
        t_sink = None if sink_done is None else sink_done - t0
        return {"csv_rows": rows, "positions_on_kafka": n_pos, "alert_versions": n_alerts,
                "ingest_wall_s": round(t_ingest, 1),
                "detector_done_wall_s": None if t_detect is None else round(t_detect, 1),
                "end_to_end_wall_s": None if t_sink is None else round(t_sink, 1),
                "end_to_end_reports_per_s": None if t_sink is None else round(n_pos / t_sink),
                "detector_cpu_s_after_ingest": round(cpu_detector, 1),
                "detector_rss_start_mb": round(rss0 / 1024), "detector_rss_end_mb": round(rss1 / 1024),
                "detector_rss_peak_mb": round(peak_rss / 1024),
                "detector_checkpointed_state_mb": round(state_bytes / 2**20, 1)}
    finally:
        stop(services)


def run(out: dict[str, Any], quick: bool = False) -> None:
    from bench.common import create_database, drop_database
    from msa.settings import load_settings

    vessels = 20_000 if quick else 200_000
    settings = load_settings()
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    csv_path = tmp / f"msa-world-{vessels}.csv"
    t = time.monotonic()
    counts = write_world_csv(csv_path, vessels)
    out["world_generate_s"] = round(time.monotonic() - t, 1)
    out["world_vessels"] = vessels
    out["world_vessels_reporting_in_the_hour"] = seen = counts["vessels_seen"]
    out["world_satellite_rows"] = counts["satellite_rows"]
    db = create_database(settings.database_url)
    try:
        figures = _measure(settings.kafka_bootstrap, db, csv_path, counts["rows"], tmp / "msa-world-bench.log",
                           18991)
    finally:
        drop_database(settings.database_url, db)
        csv_path.unlink(missing_ok=True)
    out.update({f"world_{k}": v for k, v in figures.items()})
    rss_growth = (figures["detector_rss_end_mb"] - figures["detector_rss_start_mb"]) * 2**20
    out["world_detector_rss_bytes_per_vessel"] = round(rss_growth / seen)
    out["world_checkpoint_bytes_per_vessel"] = round(figures["detector_checkpointed_state_mb"] * 2**20 / seen)
    out["world_targets"] = "one hour end to end < 600 s; detector state ≤ 1 KB per vessel (goal)"
