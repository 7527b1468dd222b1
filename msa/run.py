"""``msa run``: start the pipeline's processes in the background beside the infrastructure.

Each process is an ``msa`` subcommand; only those whose subcommand exists in this build are started.
Pids go to ``$MSA_HOME/run/<name>.pid``, logs to ``$MSA_HOME/logs/<name>.log``; ``msa run --stop`` stops
exactly those.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from msa.infra.process import pid_alive, port_open, read_pid, start_background, stop_pid
from msa.settings import Settings, load_settings

__all__ = ["Component", "pipeline", "register"]

API_PORT = int(os.environ.get("MSA_API_PORT", "8000"))


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    argv: tuple[str, ...]
    description: str


def _msa(*args: str) -> tuple[str, ...]:
    return (sys.executable, "-m", "msa.cli", *args)


def _available(parser_choices: set[str], command: str) -> bool:
    return command in parser_choices


def _demo_inputs(settings: Settings) -> tuple[Path, Path] | None:
    """A scenario recording from the simulator (ground truth beside it), made once."""
    out = settings.home / "demo"
    if not (out / "ais.nmea").exists():
        done = subprocess.run(list(_msa("simulate", "--scenario", "all", "--seed", "1", "--out", str(out))),
                              check=False, capture_output=True)
        if done.returncode != 0:
            return None
    return out / "ais.nmea", out / "sat.geojson"


def pipeline(settings: Settings, commands: set[str]) -> list[Component]:
    comps: list[Component] = []
    demo = _demo_inputs(settings) if "simulate" in commands else None
    if "replay" in commands and demo is not None:
        comps.append(Component("replay", _msa("replay", str(demo[0]), "--speed", "60", "--loop"),
                               "scenario recording replayed at 60x onto ais.positions.v1"))
    elif "replay" in commands:
        bundled = Path(__file__).resolve().parents[1] / "services" / "ingest" / "demo"
        files = sorted(str(p) for p in bundled.glob("*.nmea")) if bundled.is_dir() else []
        if files:
            comps.append(Component("replay", _msa("replay", *files, "--speed", "10", "--loop"),
                                   "bundled demo recording replayed at 10x, in a loop"))
    if "ingest" in commands:
        comps.append(Component("ingest-udp", _msa("ingest", "udp", "--port", "10110"),
                               "live NMEA listener on udp://127.0.0.1:10110"))
        if demo is not None and demo[1].exists():
            comps.append(Component("ingest-sat", _msa("ingest", "sat", str(demo[1])),
                                   "satellite detections of the scenario"))
    if "detector" in commands:
        comps.append(Component("detector", _msa("detector", "--health-port", "8081"),
                               "streaming detector (health on :8081)"))
    if "sink" in commands:
        comps.append(Component("sink", _msa("sink"), "alerts.v1 -> PostGIS"))
    if "partner-router" in commands:
        comps.append(Component("partner-router", _msa("partner-router"), "alerts.v1 -> alerts.v1.partner.*"))
    if "api" in commands:
        comps.append(Component("api", _msa("api", "--host", "127.0.0.1", "--port", str(API_PORT)),
                               f"alert API and live map on http://127.0.0.1:{API_PORT}/"))
    return comps


def _commands() -> set[str]:
    from msa.cli import build_parser

    parser = build_parser()
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        choices = getattr(action, "choices", None)
        if choices:
            return set(choices)
    return set()


def _ensure_jwt_secret(settings: Settings) -> None:
    """A per-installation HS256 secret (``$MSA_HOME/secrets/jwt_secret``, mode 600) unless one is configured,
    shared by the API and ``msa tokens create`` through the environment of the processes started here."""
    if os.environ.get("MSA_JWT_SECRET"):
        return
    path = settings.home / "secrets" / "jwt_secret"
    if not path.exists():
        import secrets

        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    os.environ["MSA_JWT_SECRET"] = path.read_text().strip()


def cmd_run(args: argparse.Namespace) -> int:
    settings = load_settings()
    run_dir, log_dir = settings.home / "run", settings.home / "logs"
    commands = _commands()
    comps = pipeline(settings, commands)
    if args.stop:
        names = {p.stem for p in run_dir.glob("*.pid")} - {"kafka"}
        for name in sorted(names):
            stopped = stop_pid(run_dir / f"{name}.pid", timeout_s=15)
            print(f"{name}: {'stopped' if stopped else 'not running'}")
        return 0
    _ensure_jwt_secret(settings)
    print(f"Kafka     {settings.kafka_bootstrap}  (topics: ais.positions.v1, alerts.v1, …)")
    print(f"PostGIS   {settings.database_url}")
    for comp in comps:
        pid_file = run_dir / f"{comp.name}.pid"
        pid = read_pid(pid_file)
        if pid_alive(pid):
            print(f"{comp.name:<14} already running (pid {pid}): {comp.description}")
            continue
        pid = start_background(comp.argv, log_dir / f"{comp.name}.log", pid_file)
        print(f"{comp.name:<14} started (pid {pid}): {comp.description}; log {log_dir / (comp.name + '.log')}")
    if "api" in commands:
        for _ in range(60):
            if port_open("127.0.0.1", API_PORT):
                break
            time.sleep(0.5)
        token = subprocess.run(list(_msa("tokens", "create", "--role", "officer", "--zones", "*",
                                         "--name", "demo-officer", "--ttl-hours", "12")),
                               check=False, capture_output=True, text=True)
        lines = token.stdout.strip().splitlines()
        if token.returncode == 0 and lines:
            print(f"API       http://127.0.0.1:{API_PORT}/   (docs /docs, live map /map)")
            print(f"Demo officer token (valid 12 h):\n{lines[-1]}")
    print("Stop with: make down")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("run", help="start the pipeline (ingest, detector, sink, API) in the background")
    p.add_argument("--stop", action="store_true", help="stop the processes that `msa run` started")
    p.set_defaults(func=cmd_run)
