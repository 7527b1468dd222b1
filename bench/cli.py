"""``msa bench``: run the benchmarks, print the figures and save them to ``bench/results/``.

Each benchmark module exposes ``run(out: dict[str, Any], quick: bool = False) -> None`` and fills ``out``
with named figures. Compare figures as ratios measured within one run: these machines are shared.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import logging
import platform
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["BENCHMARKS", "register"]

BENCHMARKS: dict[str, str] = {
    "ingest": "bench.ingest_bench",
    "detect": "bench.detect_bench",
    "stream": "bench.stream_bench",
    "api": "bench.api_bench",
    "latency": "bench.latency_bench",
    "world": "bench.world_bench",
}
RESULTS = Path(__file__).resolve().parent / "results"


def _run_one(name: str, module_name: str, quick: bool) -> dict[str, Any] | None:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            print(f"[{name}] not in this build, skipped", file=sys.stderr)
            return None
        raise
    out: dict[str, Any] = {}
    params = inspect.signature(module.run).parameters
    started = time.perf_counter()
    if "quick" in params:
        module.run(out, quick=quick)
    else:
        module.run(out)
    out["wall_s"] = round(time.perf_counter() - started, 2)
    return out


def cmd_bench(args: argparse.Namespace) -> int:
    names = args.only or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    RESULTS.mkdir(parents=True, exist_ok=True)
    for noisy in ("httpx", "aiokafka", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    meta = {"python": platform.python_version(), "machine": platform.machine(), "quick": args.quick,
            "when_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    for name in names:
        print(f"== {name}", flush=True)
        figures = _run_one(name, BENCHMARKS[name], args.quick)
        if figures is None:
            continue
        for key, value in figures.items():
            print(f"  {key:<48} {value}")
        (RESULTS / f"{name}.json").write_text(json.dumps({**meta, **figures}, indent=2, sort_keys=True) + "\n")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("bench", help="run benchmarks; figures printed and saved to bench/results/")
    p.add_argument("--only", nargs="*", help=f"some of: {', '.join(BENCHMARKS)}")
    p.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    p.set_defaults(func=cmd_bench)
