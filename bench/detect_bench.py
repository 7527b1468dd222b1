"""Detection engine benchmark: position reports/s through one engine (one process) and state per vessel.

A simulated scale-up: ``vessels`` vessels spread over the Alboran Sea, the Gulf of Cadiz, the Atlantic
approaches and the Western Mediterranean, reporting every 2–30 s (ships underway, slow and anchored ones,
a few fast craft), in event-time order. Reports are generated in chunks outside the timed section; only
``Engine.process`` is timed, per CPU second of this process (the machines are shared: wall time depends
on the neighbours) and per wall second. Memory is measured in a second, shorter run under tracemalloc
(which slows Python down): bytes allocated by the engine and still held, divided by the vessels it
tracks, plus the pickled checkpoint size per vessel — once after a short run, once at steady state (7 h of
event time: every vessel's track history full, as it must be to judge satellite scenes up to 6 h late).

    python -m bench.detect_bench [--quick]      # or: msa bench --only detect
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

from geo.ports import load_ports
from geo.zones import load_zones
from msa.domain import PositionReport, parse_ts
from services.detect.engine import Engine
from services.detect.params import ParamSet

__all__ = ["run"]

T0 = parse_ts("2024-03-12T00:00:00Z")
AREAS = ((-5.5, -2.0, 35.3, 36.5), (-9.0, -6.5, 36.0, 37.0), (-12.0, -9.5, 37.0, 43.0), (0.0, 8.0, 37.5, 42.0))
M_PER_DEG = 111_195.0


class _Fleet:
    """Dead-simple kinematics with plain floats (this is the load generator, not the system under test)."""

    def __init__(self, n: int, seed: int) -> None:
        rnd = random.Random(seed)
        self.mmsi = [200_000_000 + 1_000 * (i % 500) + i for i in range(n)]
        self.lon: list[float] = []
        self.lat: list[float] = []
        self.sog: list[float] = []
        self.cog: list[float] = []
        self.every_s: list[int] = []
        self.next_ts: list[int] = []
        for _ in range(n):
            x0, x1, y0, y1 = AREAS[rnd.randrange(len(AREAS))]
            self.lon.append(rnd.uniform(x0, x1))
            self.lat.append(rnd.uniform(y0, y1))
            kind = rnd.random()
            sog = rnd.uniform(0.0, 0.3) if kind < 0.25 else rnd.uniform(1.0, 3.0) if kind < 0.35 else \
                rnd.uniform(35.0, 45.0) if kind < 0.37 else rnd.uniform(8.0, 18.0)
            self.sog.append(sog)
            self.cog.append(rnd.uniform(0.0, 360.0))
            every = 30 if sog < 0.5 else 2 if sog > 23 else rnd.choice((6, 10, 10, 10))
            self.every_s.append(every)
            self.next_ts.append(T0 + rnd.randrange(every * 1000))

    def reports(self, total: int) -> Iterator[list[PositionReport]]:
        """Chunks of reports in event-time order (a tick of 1 s at a time)."""
        made = 0
        t = T0
        n = len(self.mmsi)
        while made < total:
            t += 1000
            chunk: list[PositionReport] = []
            for i in range(n):
                if self.next_ts[i] > t:
                    continue
                dt = self.every_s[i]
                self.next_ts[i] += dt * 1000
                d = self.sog[i] * 0.514444 * dt
                c = math.radians(self.cog[i])
                self.lat[i] += d * math.cos(c) / M_PER_DEG
                self.lon[i] += d * math.sin(c) / (M_PER_DEG * math.cos(math.radians(self.lat[i])))
                chunk.append(PositionReport(mmsi=self.mmsi[i], ts_ms=self.next_ts[i] - dt * 1000, lat=self.lat[i],
                                            lon=self.lon[i], sog_kn=round(self.sog[i], 1),
                                            cog_deg=round(self.cog[i], 1)))
            made += len(chunk)
            yield chunk[: max(0, total - (made - len(chunk)))]


def _engine() -> Engine:
    zones = load_zones()
    return Engine(zones, load_ports(), ParamSet.build(zones), grace_ms=60_000)


def _throughput(vessels: int, reports: int) -> dict[str, Any]:
    engine = _engine()
    fleet = _Fleet(vessels, seed=1)
    busy_s = cpu_s = 0.0
    n = alerts = 0
    batch: list[PositionReport] = []
    for chunk in fleet.reports(reports):
        batch.extend(chunk)
        if len(batch) < 50_000:
            continue
        t, c = time.perf_counter(), time.process_time()
        for r in batch:
            alerts += len(engine.process(r))
        busy_s += time.perf_counter() - t
        cpu_s += time.process_time() - c
        n += len(batch)
        batch = []
    t, c = time.perf_counter(), time.process_time()
    for r in batch:
        alerts += len(engine.process(r))
    alerts += len(engine.finish())
    busy_s += time.perf_counter() - t
    cpu_s += time.process_time() - c
    n += len(batch)
    stats = engine.stats()
    return {"reports": n, "vessels": stats["vessels_tracked"], "engine_wall_s": round(busy_s, 2),
            "engine_cpu_s": round(cpu_s, 2), "reports_per_s_cpu": round(n / cpu_s),
            "reports_per_s_wall": round(n / busy_s), "alert_versions": alerts, "scans": stats.get("scans", 0),
            "event_time_span_s": round((engine.max_ts - T0) / 1000)}


def _memory(vessels: int, reports: int) -> dict[str, Any]:
    gc.collect()
    engine = _engine()
    fleet = _Fleet(vessels, seed=2)
    chunks = list(fleet.reports(reports))
    gc.collect()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    for chunk in chunks:
        for r in chunk:
            engine.process(r)
    gc.collect()
    with_buffer, _ = tracemalloc.get_traced_memory()
    buffered = engine.stats()["buffered"]
    engine.advance_watermark(engine.max_ts)  # handle the grace-period buffer: what is left is state
    gc.collect()
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    tracked = len(engine.vessels)
    return {"memory_vessels": tracked, "memory_reports": sum(len(c) for c in chunks),
            "state_bytes_per_vessel": round((held - base) / tracked),
            "grace_buffer_reports": buffered,
            "grace_buffer_bytes_per_report": round((with_buffer - held) / max(1, buffered)),
            "checkpoint_bytes_per_vessel": round(len(engine.snapshot()) / tracked)}


def _steady_state(vessels: int, span_s: int) -> dict[str, Any]:
    """State per vessel once the track histories are full: ``span_s`` of event time (≥ the 6 h 20 min a
    history spans, so late satellite scenes can be judged), measured like ``_memory``."""
    gc.collect()
    engine = _engine()
    fleet = _Fleet(vessels, seed=3)
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    n = 0
    for chunk in fleet.reports(1 << 62):
        for r in chunk:
            engine.process(r)
        n += len(chunk)
        if engine.max_ts - T0 >= span_s * 1000:
            break
    engine.advance_watermark(engine.max_ts)
    gc.collect()
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    tracked = len(engine.vessels)
    kept = [len(vs.hist) for vs in engine.vessels.values() if vs.hist is not None]
    return {"steady_vessels": tracked, "steady_reports": n, "steady_event_time_span_s": span_s,
            "steady_state_bytes_per_vessel": round((held - base) / tracked),
            "steady_history_fixes_per_vessel": round(sum(kept) / max(1, len(kept)), 1),
            "steady_checkpoint_bytes_per_vessel": round(len(engine.snapshot()) / tracked)}


def run(out: dict[str, Any], quick: bool = False) -> None:
    vessels, reports = (1_000, 100_000) if quick else (5_000, 2_000_000)
    out.update({f"detect_{k}": v for k, v in _throughput(vessels, reports).items()})
    out.update({f"detect_{k}": v for k, v in _memory(vessels, min(reports, 250_000)).items()})
    out.update({f"detect_{k}": v for k, v in _steady_state(100 if quick else 500, 3600 if quick else 25_200).items()})
    out["detect_target_reports_per_s"] = 50_000
    out["detect_target_bytes_per_vessel"] = 2048


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="1,000 vessels, 100,000 reports")
    args = ap.parse_args()
    out: dict[str, Any] = {}
    run(out, quick=args.quick)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
