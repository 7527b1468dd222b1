"""Alert-service benchmark: list-query latency with ≥ 1,000,000 stored alerts, and live-feed fan-out.

``run(out, quick=False)``: a throw-away database (``msa_bench_<id>``, migrations applied, dropped at the
end) is filled server-side with ``generate_series``; the API runs as a separate process (``msa api``) and
is queried over HTTP, sequentially, like an officer's screen would. Then ``clients`` SSE connections wait
for one new alert and the time from commit to arrival is measured per client.
Targets: p99 < 50 ms per typical filtered list query; 500 clients each receive a new alert within 1 s.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from typing import Any

from msa.domain import AlertKind

__all__ = ["run"]

ZONES = ["alboran", "strait", "algarve", "canarias", "galicia", "west-med", "central-med", "east-med"]
KINDS = [str(k) for k in AlertKind]  # every kind, in turn
SECRET = "bench-secret-that-is-long-enough-for-hs256"

_FILL = """
INSERT INTO alerts (alert_id, kind, status, version, mmsi, start_ts, end_ts, updated_ts, zone, severity, score,
                    geom, summary, vessels, detection_ids, evidence)
SELECT md5(i::text), (ARRAY[KIND_LIST])[1 + (i % KIND_COUNT)::int],
       (ARRAY['open','updated','closed'])[1 + (i % 3)::int], 1, ARRAY[200000000 + i % 50000],
       t0 + make_interval(secs => i * 30), t0 + make_interval(secs => i * 30 + 900),
       t0 + make_interval(secs => i * 30 + 60), ZONE_EXPR,
       (ARRAY['low','medium','high'])[1 + ((i / 7) % 3)::int], (i % 1000) / 1000.0,
       ST_SetSRID(ST_MakePoint(-30 + (i * 7919 % 65000) / 1000.0, 25 + (i * 104729 % 20000) / 1000.0), 4326),
       '', '[]'::jsonb, '{}', '{}'::jsonb
FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS g(i),
     (SELECT timestamptz '2026-01-01' AS t0) AS t
""".replace("KIND_LIST", ",".join(f"'{k}'" for k in KINDS)).replace("KIND_COUNT", str(len(KINDS)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def _create_db(base_url: str, n_alerts: int) -> tuple[str, str, float]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from msa.store.cli import upgrade

    name = f"msa_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        engine = create_engine(url)
        t0 = time.perf_counter()
        fill = _FILL.replace("ZONE_EXPR", "(CAST(:zones AS text[]))[1 + ((i / 3) % 8)::int]")
        step = 250_000
        with engine.begin() as conn:
            for lo in range(1, n_alerts + 1, step):
                conn.execute(text(fill), {"zones": ZONES, "lo": lo, "hi": min(n_alerts, lo + step - 1)})
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE alerts"))
        engine.dispose()
    except BaseException:
        _drop_db(base_url, name)
        raise
    return name, url, time.perf_counter() - t0


def _drop_db(base_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _start_api(url: str, port: int, queue: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MSA_DATABASE_URL": url, "MSA_JWT_SECRET": SECRET, "MSA_RATE_LIMIT_BURST": "100000000",
           "MSA_RATE_LIMIT_PER_S": "100000", "MSA_SSE_QUEUE_SIZE": str(queue), "MSA_SSE_POLL_S": "0.1"}
    return subprocess.Popen([sys.executable, "-m", "msa.cli", "api", "--port", str(port),
                             "--log-level-uvicorn", "warning"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


QUERIES: dict[str, dict[str, Any]] = {
    "recent_in_my_zones": {"zone": ["alboran", "strait"], "limit": 50},
    "kind_and_zone": {"kind": "go_fast", "zone": "algarve", "limit": 50},
    "bbox": {"bbox": "-6,35,-4,37", "limit": 50},
    "mmsi": {"mmsi": 200012345, "limit": 50},
    "interval_and_severity": {"since": "2026-03-01T00:00:00Z", "until": "2026-03-02T00:00:00Z",
                              "severity": "high", "limit": 50},
    "workflow_new_by_severity": {"workflow": "new", "sort": "-severity", "limit": 50},
}


async def _latencies(base: str, token: str, rounds: int) -> dict[str, Any]:
    import httpx

    out: dict[str, Any] = {}
    hdr = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=hdr, timeout=30) as c:
        for name, params in QUERIES.items():
            await c.get("/alerts", params=params)  # warm-up
            times: list[float] = []
            cursor = None
            for i in range(rounds):
                p = dict(params)
                if cursor and i % 2:
                    p["cursor"] = cursor  # every other request: the next page
                t0 = time.perf_counter()
                r = await c.get("/alerts", params=p)
                times.append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()
                cursor = r.json()["next_cursor"]
            out[name] = {"p50_ms": round(_pct(times, 0.5), 2), "p99_ms": round(_pct(times, 0.99), 2)}
    return out


async def _sse_client(port: int, token: str, ready: asyncio.Event, counter: list[int], want: str,
                      arrivals: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**20)
    writer.write((f"GET /alerts/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                  "Accept: text/event-stream\r\n\r\n").encode())
    await writer.drain()
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            if line.startswith(b": connected"):
                counter[0] += 1
                if counter[0] >= counter[1]:
                    ready.set()
            if line.startswith(b"data: ") and want.encode() in line:
                arrivals.append(time.perf_counter())
                return
    finally:
        writer.close()


async def _fanout(url: str, port: int, token: str, clients: int) -> dict[str, Any]:
    from sqlalchemy import text

    from services.api.db import make_engine

    ready = asyncio.Event()
    counter = [0, clients]
    arrivals: list[float] = []
    want = uuid.uuid4().hex
    tasks = [asyncio.create_task(_sse_client(port, token, ready, counter, want, arrivals)) for _ in range(clients)]
    await asyncio.wait_for(ready.wait(), 60)
    await asyncio.sleep(0.5)
    engine = make_engine(url, pool_size=1)
    async with engine.begin() as conn:
        await conn.execute(text(_FILL.replace("md5(i::text)", ":id").replace(
            "ZONE_EXPR", "'alboran'")), {"id": want, "lo": 1, "hi": 1})
        await conn.execute(text("INSERT INTO alert_feed (alert_id, version, action) VALUES (:a, 1, 'created')"),
                           {"a": want})
    t_commit = time.perf_counter()
    await engine.dispose()
    await asyncio.wait(tasks, timeout=10)
    for t in tasks:
        t.cancel()
    lat = [(a - t_commit) * 1000 for a in arrivals]
    within = sum(1 for x in lat if x <= 1000)
    return {"clients": clients, "received": len(lat), "within_1s": within,
            "p50_ms": round(_pct(lat, 0.5), 1) if lat else None,
            "max_ms": round(max(lat), 1) if lat else None,
            "all_within_1s": within == clients}


def run(out: dict[str, Any], quick: bool = False, n_alerts: int | None = None, clients: int | None = None,
        rounds: int | None = None, reuse_url: str | None = None) -> None:
    """``reuse_url``: a database filled by an earlier run (kept, not dropped) — to iterate on queries."""
    from msa.settings import load_settings
    from services.api.principal import Role
    from services.api.tokens import issue_token

    n_alerts = n_alerts or (20_000 if quick else 1_000_000)
    clients = clients or (50 if quick else 500)
    rounds = rounds or (40 if quick else 200)
    base_url = load_settings().database_url
    if reuse_url:
        name, url = "", reuse_url
    else:
        name, url, fill_s = _create_db(base_url, n_alerts)
        out["fill_s"] = round(fill_s, 1)
    out["alerts_stored"] = n_alerts
    port = _free_port()
    proc = _start_api(url, port, queue=1000)
    try:
        base = f"http://127.0.0.1:{port}"
        import httpx

        for _ in range(200):
            try:
                if httpx.get(f"{base}/health/live", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        officer = issue_token(SECRET, name="bench", role=Role.OFFICER, zones=["*"], ttl_s=3600)
        lat = asyncio.run(_latencies(base, officer, rounds))
        out["list_queries"] = lat
        p99s = [v["p99_ms"] for v in lat.values()]
        out["list_p50_ms_median"] = round(statistics.median(v["p50_ms"] for v in lat.values()), 2)
        out["list_p99_ms_worst"] = max(p99s)
        out["list_p99_target_met"] = max(p99s) < 50
        out["sse_fanout"] = asyncio.run(_fanout(url, port, officer, clients))
    finally:
        proc.terminate()
        proc.wait(10)
        if name:
            _drop_db(base_url, name)


if __name__ == "__main__":
    import argparse
    import json

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--alerts", type=int)
    ap.add_argument("--clients", type=int)
    ap.add_argument("--reuse-url", help="an already filled database (from a kept earlier run)")
    args = ap.parse_args()
    result: dict[str, Any] = {}
    run(result, quick=args.quick, n_alerts=args.alerts, clients=args.clients, reuse_url=args.reuse_url)
    print(json.dumps(result, indent=2))
