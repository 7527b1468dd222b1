"""File-export benchmark: time, file size and the API process's peak memory for one export of N alerts.

``python -m bench.export_bench [--alerts N] [--positions-per-alert P] [--quick]``: a throw-away database
(``msa_bench_<id>``, migrations applied, dropped at the end) is filled server-side with N alerts of every kind
in turn, each with P evidence positions (in ``evidence.positions`` and as ``positions`` rows linked by
``alert_id``) and, for one alert in six, a stored satellite detection. For each export (GeoJSON for
comparison, GeoPackage, GeoParquet per layer) a fresh ``msa api`` process serves one request; its peak resident
memory (``VmHWM``) is read before the request and after it. Figures are printed and saved to
``bench/results/export.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from msa.domain import AlertKind
from msa.settings import load_settings

__all__ = ["run"]

SECRET = "bench-secret-that-is-long-enough-for-hs256"
KINDS = [str(k) for k in AlertKind]

_ALERTS = """
INSERT INTO alerts (alert_id, kind, status, version, mmsi, start_ts, end_ts, updated_ts, zone, severity, score,
                    geom, summary, vessels, detection_ids, evidence)
SELECT md5(i::text), (CAST(:kinds AS text[]))[1 + (i % CARDINALITY(CAST(:kinds AS text[])))::int], 'closed', 1,
       ARRAY[200000000 + i], t0 + make_interval(secs => i * 30), t0 + make_interval(secs => i * 30 + 1200),
       t0 + make_interval(secs => i * 30 + 1260), 'alboran', 'medium', 0.7,
       ST_SetSRID(ST_MakeLine(ST_MakePoint(lon, lat), ST_MakePoint(lon + 0.1, lat)), 4326),
       'bench alert ' || i,
       jsonb_build_array(jsonb_build_object('mmsi', 200000000 + i, 'name', 'VESSEL ' || i, 'flag', 'ES')),
       CASE WHEN i % 6 = 3 THEN ARRAY['det-' || i] ELSE '{}' END,
       jsonb_build_object('mean_speed_kn', 35.5, 'positions', (
           SELECT jsonb_agg(jsonb_build_object('mmsi', 200000000 + i, 'ts',
                                               to_char(t0 + make_interval(secs => i * 30 + k * 60),
                                                       'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                                               'lat', lat, 'lon', lon + k * 0.005, 'sog_kn', 35.5))
           FROM generate_series(0, :p - 1) AS k))
FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS g(i),
     LATERAL (SELECT timestamptz '2026-01-01' AS t0, -30 + (i * 7919 % 65000) / 1000.0 AS lon,
                     25 + (i * 104729 % 20000) / 1000.0 AS lat) AS c
"""
_POSITIONS = """
INSERT INTO positions (mmsi, ts, geom, sog_kn, cog_deg, alert_id)
SELECT mmsi[1], start_ts + make_interval(secs => k * 60),
       ST_SetSRID(ST_MakePoint(ST_X(ST_StartPoint(geom)) + k * 0.005, ST_Y(ST_StartPoint(geom))), 4326), 35.5, 90,
       alert_id
FROM alerts, generate_series(0, :p - 1) AS k
"""
_DETECTIONS = """
INSERT INTO detections (detection_id, ts, geom, confidence, sensor, scene_id, length_m)
SELECT detection_ids[1], start_ts, ST_StartPoint(geom), 0.8, 'S1A-IW', 'scene-' || alert_id, 12
FROM alerts WHERE cardinality(detection_ids) > 0
"""


def _fill(base_url: str, n: int, p: int) -> tuple[str, str, float]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from msa.store.cli import upgrade

    name = f"msa_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    t0 = time.perf_counter()
    try:
        upgrade(url)
        engine = create_engine(url)
        with engine.begin() as conn:
            for lo in range(1, n + 1, 50_000):
                conn.execute(text(_ALERTS), {"kinds": KINDS, "p": p, "lo": lo, "hi": min(n, lo + 49_999)})
            conn.execute(text(_POSITIONS), {"p": p})
            conn.execute(text(_DETECTIONS))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        engine.dispose()
    except BaseException:
        _drop(base_url, name)
        raise
    return name, url, time.perf_counter() - t0


def _drop(base_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def _one(url: str, path: str, params: dict[str, Any], token: str) -> dict[str, Any]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "MSA_DATABASE_URL": url, "MSA_JWT_SECRET": SECRET, "MSA_RATE_LIMIT_BURST": "1000"}
    proc = subprocess.Popen([sys.executable, "-m", "msa.cli", "api", "--port", str(port), "--log-level-uvicorn",
                             "warning"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health/live", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        before = _hwm_kib(proc.pid)
        t0 = time.perf_counter()
        size = 0
        with httpx.stream("GET", base + path, params=params, headers={"Authorization": f"Bearer {token}"},
                          timeout=3600) as r:
            r.raise_for_status()
            for chunk in r.iter_bytes():
                size += len(chunk)
        seconds = time.perf_counter() - t0
        return {"path": path, "params": params, "seconds": round(seconds, 1), "bytes": size,
                "rss_before_mib": round(before / 1024), "rss_peak_mib": round(_hwm_kib(proc.pid) / 1024)}
    finally:
        proc.terminate()
        proc.wait(30)


def run(out: dict[str, Any], n: int, p: int) -> None:
    from services.api.principal import Role
    from services.api.tokens import issue_token

    base_url = load_settings().database_url
    name, url, fill_s = _fill(base_url, n, p)
    out.update({"alerts": n, "positions_per_alert": p, "fill_s": round(fill_s, 1), "exports": []})
    token = issue_token(SECRET, name="bench", role=Role.TESTER, zones=["*"], ttl_s=7200)
    try:
        for path, params in (("/alerts/export.geojson", {}), ("/alerts/export.gpkg", {}),
                             *(("/alerts/export.parquet", {"layer": layer})
                               for layer in ("alerts", "tracks", "detections"))):
            fig = _one(url, path, {**params, "limit": n}, token)
            out["exports"].append(fig)
            print(json.dumps(fig), flush=True)
    finally:
        _drop(base_url, name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alerts", type=int, default=100_000)
    ap.add_argument("--positions-per-alert", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="5,000 alerts")
    args = ap.parse_args()
    out: dict[str, Any] = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    run(out, 5_000 if args.quick else args.alerts, args.positions_per_alert)
    path = Path(__file__).parent / "results" / "export.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"saved {path}")


if __name__ == "__main__":
    main()
