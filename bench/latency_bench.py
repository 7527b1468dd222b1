"""Report → alert latency with the settings users run: ``msa detector``, ``msa sink`` and ``msa api`` with their
defaults (the detector's 120-s watermark grace included), event time = wall time, on the real broker and
database.

Workload, paced in wall time at ``rate`` reports/s: slow traffic in the Alboran Sea (a report every 10 s per
vessel), ``n_boats`` go-fast boats (a report every 2 s; each sprints at 35 kn from a staggered start, so that
their runs complete — 5 min of fast fixes — one after another across the live window), and six pairs of vessels
meeting (rendezvous after 30 min together). What the go-fast runs and the meetings need before the live window
is published first at full speed (their history), then the live window, then a tail (grace + 60 s) whose
completions are not counted.

Measured per alert version: the Kafka timestamp of the report that completed it (the version's event time is
that report's) → the version on ``alerts.v1`` (its Kafka timestamp) → an SSE client of ``msa api`` receiving it.
Kinds are grouped: ``go_fast`` (one vessel's own reports), ``rendezvous`` (cross-vessel). p50, p99, max and the
number of samples.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import random
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

__all__ = ["run"]

REPO = Path(__file__).resolve().parents[1]
SLOW_STEP_S, FAST_STEP_S = 10.0, 2.0
RUN_S = 300.0  # gofast_min_duration_s: a run opens after 5 min of fast fixes
MEET_S = 1800.0  # rv_min_duration_s: a rendezvous opens after 30 min together
MEETINGS = ((36.0, -3.0), (35.9, -4.0), (36.2, -2.5), (35.8, -3.5), (36.1, -4.5), (35.7, -2.6))


class Vessel:
    __slots__ = ("cog", "fast_from_ms", "lat", "lon", "mmsi", "next_ms", "sog_slow")

    def __init__(self, mmsi: int, lat: float, lon: float, cog: float, sog_slow: float, next_ms: int,
                 fast_from_ms: int | None) -> None:
        self.mmsi, self.lat, self.lon, self.cog, self.sog_slow = mmsi, lat, lon, cog, sog_slow
        self.next_ms, self.fast_from_ms = next_ms, fast_from_ms

    def report(self, ts: int) -> tuple[bytes, int]:
        """The report at ``ts`` (moving the vessel on) and the time of the next one."""
        fast = self.fast_from_ms is not None and ts >= self.fast_from_ms
        sog, step = (35.0, FAST_STEP_S) if fast else (self.sog_slow, SLOW_STEP_S)
        d_deg = sog * step / 3600.0 / 60.0
        self.lat += d_deg * math.cos(math.radians(self.cog))
        self.lon += d_deg * math.sin(math.radians(self.cog)) / math.cos(math.radians(self.lat))
        if not (35.3 < self.lat < 36.5 and -5.3 < self.lon < -1.8):  # stay in the sea: turn back
            self.cog = (self.cog + 180.0) % 360.0
        value = orjson.dumps({"kind": "position", "mmsi": self.mmsi, "ts": _iso(ts), "time_source": "tag_block",
                              "lat": round(self.lat, 6), "lon": round(self.lon, 6), "sog_kn": sog,
                              "cog_deg": round(self.cog, 1), "msg_type": 1, "ais_class": "A"})
        return value, ts + int(step * 1000)


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + f".{ms % 1000:03d}Z"


def _static(mmsi: int, ts: int, fast: bool) -> bytes:
    return orjson.dumps({"kind": "static", "mmsi": mmsi, "ts": _iso(ts), "time_source": "tag_block",
                         "name": f"BENCH {mmsi}", "length_m": 12.0 if fast else 90.0, "ship_type": 37 if fast else 70,
                         "msg_type": 5, "ais_class": "A"})


def _fleet(rate: float, n_boats: int, live_start_ms: int, live_s: float) -> list[Vessel]:
    rng = random.Random(1)
    n_slow = max(0, int((rate - n_boats / FAST_STEP_S - 12 / SLOW_STEP_S) * SLOW_STEP_S))
    fleet: list[Vessel] = []
    for i in range(n_boats):  # run i completes at live_start + (i + 0.5) / n_boats × live_s
        fast_from = live_start_ms + int(((i + 0.5) / n_boats * live_s - RUN_S) * 1000)
        fleet.append(Vessel(224_300_000 + i, rng.uniform(35.6, 36.3), rng.uniform(-4.8, -2.2), rng.uniform(0, 360),
                            3.0, fast_from - int(SLOW_STEP_S * 1000) * 2, fast_from))
    for j in range(12):  # six meeting pairs, 150 m apart, 1 kn: pair k's 30 min together end inside the window
        lat, lon = MEETINGS[j // 2]
        together_ms = live_start_ms + int(((j // 2 + 0.5) / 6 * live_s - MEET_S) * 1000)
        fleet.append(Vessel(224_400_000 + j, lat + 0.00135 * (j % 2), lon, 90.0, 1.0,
                            together_ms + rng.randrange(10_000), None))
    for k in range(n_slow):
        fleet.append(Vessel(224_500_000 + k, rng.uniform(35.6, 36.3), rng.uniform(-4.8, -2.2), rng.uniform(0, 360),
                            rng.uniform(0.5, 14.0), live_start_ms + rng.randrange(int(SLOW_STEP_S * 1000)), None))
    return fleet


def _q(values: list[float], f: float) -> float | None:
    return round(values[min(len(values) - 1, int(f * len(values)))], 1) if values else None


def _figures(prefix: str, values: list[float]) -> dict[str, Any]:
    values = sorted(values)
    return {f"{prefix}_samples": len(values), f"{prefix}_p50_ms": _q(values, 0.5),
            f"{prefix}_p99_ms": _q(values, 0.99), f"{prefix}_max_ms": round(values[-1], 1) if values else None}


def _services(suffix: str, db: str, secret: str, log: Path, api_port: int, health_port: int, sse_out: Path,
              ) -> list[subprocess.Popen[bytes]]:
    """``msa detector``, ``msa sink`` and ``msa api`` with their defaults (ports and topics of the run only), and
    an SSE client of the API (a process of its own: the measuring one is busy pacing the reports)."""
    from services.api.principal import Role
    from services.api.tokens import issue_token
    from services.detect.stream.detector_topics import StreamTopics

    env = {**os.environ, "MSA_DATABASE_URL": db, "MSA_JWT_SECRET": secret, "PYTHONUNBUFFERED": "1"}
    msa = [sys.executable, "-m", "msa.cli", "--log-level", "WARNING"]
    alerts = StreamTopics.with_suffix(suffix).alerts
    return [subprocess.Popen(argv, cwd=REPO, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT) for argv in (
        [*msa, "detector", "--topic-suffix", suffix, "--group", f"lat{suffix}", "--database-url", db,
         "--health-port", str(health_port)],
        [*msa, "sink", "--topic", alerts, "--group", f"sink{suffix}"],
        [*msa, "api", "--port", str(api_port)],
        [sys.executable, "-m", "bench.latency_bench", "sse", f"http://127.0.0.1:{api_port}",
         issue_token(secret, name="bench", role=Role.ADMIN, zones=["*"], ttl_s=7200), str(sse_out)])]


async def _measure(bootstrap: str, suffix: str, sse_out: Path, rate: float, n_boats: int, live_s: float,
                   health_port: int) -> dict[str, Any]:
    import heapq

    import httpx
    from aiokafka import AIOKafkaConsumer

    from msa.contracts.cloudevents import alert_from_cloudevent
    from msa.kafka import client_security, ensure_topics, make_producer
    from services.detect.stream.detector_topics import StreamTopics

    topics = StreamTopics.with_suffix(suffix)
    await ensure_topics(bootstrap, topics.specs())
    sent: dict[int, list[tuple[int, Any]]] = {}  # mmsi → (event ms, send future)
    on_kafka: dict[tuple[str, int], tuple[str, tuple[int, ...], int, int]] = {}  # (id, v) → kind, mmsi, ev, ts
    on_sse: dict[tuple[str, int], float] = {}  # (id, v) → wall ms received
    consumer = AIOKafkaConsumer(topics.alerts, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                **client_security())
    producer = make_producer(bootstrap, linger_ms=1)
    await consumer.start()
    await producer.start()

    async def read_alerts() -> None:
        while True:
            for msgs in (await consumer.getmany(timeout_ms=200)).values():
                for m in msgs:
                    a = alert_from_cloudevent(list(m.headers), m.value)
                    on_kafka.setdefault((a.alert_id, a.version), (str(a.kind), a.mmsi, a.updated_ms, m.timestamp))

    tasks = [asyncio.create_task(read_alerts())]
    try:
        async with httpx.AsyncClient(timeout=2) as probe:
            for _ in range(600):  # the detector has its partitions
                with contextlib.suppress(httpx.HTTPError):
                    if (await probe.get(f"http://127.0.0.1:{health_port}/health/ready")).status_code == 200:
                        break
                await asyncio.sleep(0.2)
        # the history (event times before now) goes out at full speed, then the reports are paced: their event
        # times are the wall clock's; the live window opens 30 s on, once the history has been taken in
        live_start = int(time.time() * 1000) + 30_000
        tail_s = 120.0 + 60.0
        fleet = _fleet(rate, n_boats, live_start, live_s)
        for v in fleet:
            await producer.send(topics.static, _static(v.mmsi, min(v.next_ms, live_start - 60_000),
                                                       v.fast_from_ms is not None), key=str(v.mmsi).encode())
        heap = [(v.next_ms, i) for i, v in enumerate(fleet)]
        heapq.heapify(heap)
        end_ms = live_start + int((live_s + tail_s) * 1000)
        n_live = 0
        t_live0 = None
        while heap and heap[0][0] < end_ms:
            ts, i = heapq.heappop(heap)
            delay = (ts - time.time() * 1000) / 1000.0
            if delay > 0.002:
                await asyncio.sleep(delay)
            v = fleet[i]
            value, nxt = v.report(ts)
            fut = await producer.send(topics.positions, value, key=str(v.mmsi).encode())
            sent.setdefault(v.mmsi, []).append((ts, fut))
            heapq.heappush(heap, (nxt, i))
            if ts >= live_start:
                t_live0 = t_live0 or time.perf_counter()
                n_live += 1
        achieved = n_live / max(1e-3, time.perf_counter() - (t_live0 or time.perf_counter()))
        await asyncio.sleep(5.0)
    finally:
        for t in tasks:
            t.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        await producer.stop()
        await consumer.stop()
    sse_lines = await asyncio.to_thread(lambda: sse_out.read_bytes() if sse_out.exists() else b"")
    for line in sse_lines.splitlines():
        d = orjson.loads(line)
        on_sse.setdefault((d["alert_id"], d["version"]), d["at_ms"])
    live_end = live_start + int(live_s * 1000)
    to_kafka: dict[str, list[float]] = {}
    to_sse: dict[str, list[float]] = {}
    kafka_to_sse: list[float] = []
    for key, (kind, mmsis, updated, alert_ts) in on_kafka.items():
        if not live_start <= updated < live_end:
            continue  # completed in the history or in the tail: not a live sample
        cands = [(ts, fut) for m in mmsis for ts, fut in sent.get(m, []) if ts <= updated]
        if not cands:
            continue
        report_ts = max(cands, key=lambda c: c[0])[1].result().timestamp
        group = "go_fast" if kind == "go_fast" else kind
        to_kafka.setdefault(group, []).append(float(alert_ts - report_ts))
        if key in on_sse:
            to_sse.setdefault(group, []).append(on_sse[key] - report_ts)
            kafka_to_sse.append(on_sse[key] - alert_ts)
    out: dict[str, Any] = {"rate_target_reports_s": rate, "rate_achieved_reports_s": round(achieved),
                           "live_window_s": live_s, "go_fast_boats": n_boats, "vessels": len(fleet)}
    for group in sorted(to_kafka):
        out.update(_figures(f"{group}_report_to_kafka", to_kafka[group]))
        out.update(_figures(f"{group}_report_to_sse", to_sse.get(group, [])))
    out.update(_figures("alert_kafka_to_sse", kafka_to_sse))
    return out


def run(out: dict[str, Any], quick: bool = False) -> None:
    from bench.common import create_database, drop_database, stop
    from msa.settings import load_settings

    settings = load_settings()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / "msa-latency-bench.log"
    db = create_database(settings.database_url)
    try:
        runs = [("live", 2000.0, 120, 60.0, 18961)] if quick else \
            [("live", 2000.0, 1100, 300.0, 18961), ("x10", 20000.0, 1100, 120.0, 18971)]
        for name, rate, boats, live_s, port in runs:
            suffix, secret = f".lat{uuid.uuid4().hex[:8]}", secrets.token_urlsafe(48)
            sse_out = log.with_name(f"msa-latency-sse{suffix}.jsonl")
            procs = _services(suffix, db, secret, log, port, port + 1, sse_out)
            try:
                figures = asyncio.run(_measure(settings.kafka_bootstrap, suffix, sse_out, rate, boats, live_s,
                                               port + 1))
            finally:
                stop(procs)
                sse_out.unlink(missing_ok=True)
            out.update({f"{name}_{k}": v for k, v in figures.items()})
        out["settings"] = "production defaults: msa detector (grace 120 s), msa sink, msa api; event time = wall"
        out["targets"] = "go_fast report→alerts.v1 p99 < 1 s at 2k reports/s; alerts.v1→SSE p99 < 100 ms"
    finally:
        drop_database(settings.database_url, db)


async def _sse_client(base: str, token: str, out: Path) -> None:
    """Write every alert event the live feed sends, with the wall time it arrived (``… sse BASE TOKEN OUT``)."""
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=None) as c:
        for _ in range(600):
            with contextlib.suppress(httpx.HTTPError):
                if (await c.get("/health/live")).status_code == 200:
                    break
            await asyncio.sleep(0.2)
        async with c.stream("GET", "/alerts/stream", headers={"Authorization": f"Bearer {token}"}) as r:
            with out.open("ab") as f:
                buf = ""
                async for chunk in r.aiter_text():
                    now = time.time() * 1000
                    buf += chunk
                    while "\n\n" in buf:
                        frame, buf = buf.split("\n\n", 1)
                        for line in frame.split("\n"):
                            if line.startswith("data: "):
                                a = orjson.loads(line[6:]).get("alert", {})
                                f.write(orjson.dumps({"alert_id": a.get("alert_id"), "version": a.get("version"),
                                                      "at_ms": now}) + b"\n")
                                f.flush()


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "sse":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_sse_client(sys.argv[2], sys.argv[3], Path(sys.argv[4])))
