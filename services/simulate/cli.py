"""``msa simulate``, ``msa eval`` and ``msa score``."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

__all__ = ["parse_seeds", "register"]


def parse_seeds(text: str) -> list[int]:
    """``"3"`` → [3]; ``"1-3"`` → [1, 2, 3]; ``"1,4"`` → [1, 4]."""
    out: list[int] = []
    for part in text.split(","):
        if "-" in part:
            lo, hi = part.split("-", 1)
            out.extend(range(int(lo), int(hi) + 1))
        elif part.strip():
            out.append(int(part))
    return out


def _simulate(args: argparse.Namespace) -> int:
    from services.simulate.scenarios import build_world, scenario_names
    from services.simulate.world_files import render

    if args.list:
        print("\n".join(scenario_names()))
        return 0
    if args.out is None:
        print("msa simulate: --out DIR is required")
        return 2
    try:
        exclude = frozenset(x.strip() for x in (args.exclude or "").split(",") if x.strip())
        world = build_world(args.scenario, args.seed, exclude=exclude)
    except KeyError as exc:
        print(f"msa simulate: {exc.args[0]}")
        return 2
    stats = render(world, Path(args.out))
    hours = (world.end_ms - world.start_ms) / 3_600_000
    print(f"{args.scenario} seed {args.seed}: {hours:.1f} h, {stats.lines} NMEA lines ({stats.messages} messages), "
          f"{stats.scenes} scenes, {stats.detections} detections, {stats.events} events, {stats.decoys} decoys "
          f"→ {args.out}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from services.simulate.report import format_table
    from services.simulate.scoring import evaluate_files

    res = evaluate_files(Path(args.truth), Path(args.alerts))
    print(format_table(res))
    if args.json:
        Path(args.json).write_text(json.dumps(res.to_dict(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0 if (res.meets() or not args.check) else 1


def _score(args: argparse.Namespace) -> int:
    from services.simulate.report import format_table
    from services.simulate.scenarios import scenario_names
    from services.simulate.scoring import score_seeds

    names = scenario_names() if args.scenario == ["all"] else args.scenario
    names = ["all"] if args.merged else names
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="msa-score-"))
    print(f"runs in {work}")
    report = score_seeds(names, parse_seeds(args.seeds), work)
    print(format_table(report.total, f"scenarios {', '.join(names)}; seeds {args.seeds}"))
    if args.json:
        doc = {"total": report.total.to_dict(), "runs": {k: v.to_dict() for k, v in report.runs.items()}}
        Path(args.json).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0 if (report.total.meets() or not args.check) else 1


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("simulate", help="simulate AIS + SAR scenarios with ground truth")
    p.add_argument("--scenario", default="all", help="scenario name or 'all' (see --list)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--exclude", default=None,
                   help="with --scenario all: comma-separated scenarios left out (the live demo leaves out "
                        "'glitch', whose GPS glitch repeated every loop pass becomes a second transmitter)")
    p.add_argument("--out", help="output directory (ais.nmea, sat.geojson, truth.json)")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    p.set_defaults(func=_simulate)

    e = sub.add_parser("eval", help="score alerts against a simulator truth file")
    e.add_argument("--truth", required=True)
    e.add_argument("--alerts", required=True, help="alerts.jsonl as written by msa detect")
    e.add_argument("--json", help="also write the result as JSON here")
    e.add_argument("--check", action="store_true", help="exit 1 unless the issue's targets are met")
    e.set_defaults(func=_eval)

    s = sub.add_parser("score", help="simulate → msa detect → eval over scenarios and seeds")
    s.add_argument("--scenario", nargs="+", default=["all"], help="scenario names, or 'all' (each separately)")
    s.add_argument("--merged", action="store_true", help="one merged run of every scenario per seed")
    s.add_argument("--seeds", default="1-3", help="e.g. 1-3 or 1,5")
    s.add_argument("--work", help="working directory for the runs (default: a new temporary directory, kept)")
    s.add_argument("--json", help="write the aggregate and per-run results as JSON here")
    s.add_argument("--check", action="store_true", help="exit 1 unless the issue's targets are met")
    s.set_defaults(func=_score)
