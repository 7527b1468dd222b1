"""``msa run``: start the pipeline's processes in the background beside the infrastructure.

Each process is an ``msa`` subcommand; only those whose subcommand exists in this build are started, each
under ``msa supervise`` (restarted with backoff when it dies; a 12-s graceful-shutdown deadline).
Pids go to ``$MSA_HOME/run/<name>.pid``, logs to ``$MSA_HOME/logs/<name>.log``; ``msa run --stop`` stops
exactly those. The demonstration is live: the simulator's scenario replayed with event times from now, in a
loop whose every pass raises new alerts (``msa replay --rebase-now --loop``, docs/demo.md).
``MSA_TOPICS_SUFFIX``, ``MSA_API_PORT``, ``MSA_DETECTOR_HEALTH_PORT``, ``MSA_UDP_PORT``, ``MSA_DATABASE_URL`` and
``MSA_HOME`` make a second, isolated instance (tests).
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

__all__ = ["DEMO_SIMULATION", "DEMO_SPEED", "Component", "api_port", "demo_dir", "pipeline", "register"]

DEMO_SPEED = 90  # event time runs 90x the wall clock: a 9.5 h pass in 6.3 min, a go-fast within 40 s


def api_port() -> int:
    """``MSA_API_PORT`` (default 8000), read when ``msa run`` runs."""
    return int(os.environ.get("MSA_API_PORT", "8000"))


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    argv: tuple[str, ...]
    description: str


def _msa(*args: str) -> tuple[str, ...]:
    return (sys.executable, "-m", "msa.cli", *args)


def _available(parser_choices: set[str], command: str) -> bool:
    return command in parser_choices


# every scenario but ``glitch``: its one displaced report, repeated at the same spot every loop pass, adds up
# to a second transmitter on that MMSI (an identity anomaly no officer should see; docs/demo.md)
DEMO_SIMULATION = ("--scenario", "all", "--exclude", "glitch", "--seed", "1")


def demo_dir(settings: Settings) -> Path:
    return settings.home / "demo-live"


def _demo_inputs(settings: Settings) -> tuple[Path, Path] | None:
    """A scenario recording from the simulator (ground truth beside it), made once."""
    out = demo_dir(settings)
    if not (out / "ais.nmea").exists():
        done = subprocess.run(list(_msa("simulate", *DEMO_SIMULATION, "--out", str(out))),
                              check=False, capture_output=True)
        if done.returncode != 0:
            return None
    return out / "ais.nmea", out / "sat.geojson"


def _live_replay(files: list[str], speed: int, suffix: str) -> tuple[str, ...]:
    """The demo is live: event times from now (after what the topic already holds), S x the wall clock, in a
    loop whose every pass comes after the previous one (docs/demo.md)."""
    return _msa("replay", *files, "--speed", str(speed), "--rebase-now", "--loop",
                "--no-progress", *(("--topic-suffix", suffix) if suffix else ()))


def pipeline(settings: Settings, commands: set[str]) -> list[Component]:
    sfx = settings.topics_suffix
    topic_args = ("--topic-suffix", sfx) if sfx else ()
    comps: list[Component] = []
    demo = _demo_inputs(settings) if "simulate" in commands else None
    if "replay" in commands and demo is not None:
        files = [str(demo[0])] + ([str(demo[1]), "--sat-delivered"] if demo[1].exists() else [])
        comps.append(Component("replay", _live_replay(files, DEMO_SPEED, sfx),
                               f"scenario recording (AIS + SAR products as delivered) rebased to now, "
                               f"{DEMO_SPEED}x, in a loop"))
    elif "replay" in commands:
        bundled = Path(__file__).resolve().parents[1] / "services" / "ingest" / "demo"
        found = sorted(str(p) for p in bundled.glob("*.nmea")) if bundled.is_dir() else []
        if found:
            comps.append(Component("replay", _live_replay(found, 10, sfx),
                                   "bundled demo recording rebased to now, 10x, in a loop"))
    if "ingest" in commands and settings.udp_port:
        comps.append(Component("ingest-udp", _msa("ingest", "udp", "--port", str(settings.udp_port), *topic_args),
                               f"live NMEA listener on udp://127.0.0.1:{settings.udp_port}"))
    if "detector" in commands:
        health = ("--health-port", str(settings.detector_health_port)) if settings.detector_health_port else ()
        comps.append(Component("detector", _msa("detector", "--group", f"msa-detector{sfx}", *health,
                                                *topic_args),
                               "streaming detector" + (f" (health on :{settings.detector_health_port})"
                                                       if health else "")))
    alerts = ("--topic", f"alerts.v1{sfx}") if sfx else ()
    if "sink" in commands:
        comps.append(Component("sink", _msa("sink", *alerts, *(("--group", f"msa-alert-sink{sfx}") if sfx else ())),
                               "alerts.v1 -> PostGIS"))
    if "partner-router" in commands:
        comps.append(Component("partner-router", _msa("partner-router", *alerts,
                                                      *(("--group", f"msa-partner-router{sfx}") if sfx else ())),
                               "alerts.v1 -> alerts.v1.partner.*"))
    if "api" in commands:
        port = api_port()
        comps.append(Component("api", _msa("api", "--host", "127.0.0.1", "--port", str(port)),
                               f"alert API and live map on http://127.0.0.1:{port}/"))
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
    if args.stop:
        names = {p.stem for p in run_dir.glob("*.pid")} - {"kafka"}
        for name in sorted(names):
            stopped = stop_pid(run_dir / f"{name}.pid", timeout_s=15)
            print(f"{name}: {'stopped' if stopped else 'not running'}")
        return 0
    commands = _commands()
    comps = pipeline(settings, commands)
    _ensure_jwt_secret(settings)
    print(f"Kafka     {settings.kafka_bootstrap}  (topics: ais.positions.v1, alerts.v1, …)")
    print(f"PostGIS   {settings.database_url}")
    for comp in comps:
        pid_file = run_dir / f"{comp.name}.pid"
        pid = read_pid(pid_file)
        if pid_alive(pid):
            print(f"{comp.name:<14} already running (pid {pid}): {comp.description}")
            continue
        # under a supervisor: restarted with backoff when it dies, said in its log (msa/supervise.py)
        pid = start_background(_msa("supervise", "--name", comp.name, "--stop-timeout-s", "12", "--", *comp.argv),
                               log_dir / f"{comp.name}.log", pid_file)
        print(f"{comp.name:<14} started (pid {pid}): {comp.description}; log {log_dir / (comp.name + '.log')}")
    if "api" in commands:
        port = api_port()
        for _ in range(60):
            if port_open("127.0.0.1", port):
                break
            time.sleep(0.5)
        token = subprocess.run(list(_msa("tokens", "create", "--role", "officer", "--zones", "*",
                                         "--name", "demo-officer", "--ttl-hours", "12")),
                               check=False, capture_output=True, text=True)
        lines = token.stdout.strip().splitlines()
        if token.returncode == 0 and lines:
            print(f"API       http://127.0.0.1:{port}/   (docs /docs, live map /map)")
            print(f"Demo officer token (valid 12 h):\n{lines[-1]}")
    if any(c.name == "replay" for c in comps):
        print("Demo      alerts within a minute; event times start now (after anything already on the topic) and "
              f"run {DEMO_SPEED}x the wall clock, every loop pass with new alerts (docs/demo.md)")
    print("Stop with: make down")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("run", help="start the pipeline (ingest, detector, sink, API) in the background")
    p.add_argument("--stop", action="store_true", help="stop the processes that `msa run` started")
    p.set_defaults(func=cmd_run)
