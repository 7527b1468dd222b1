"""``msa supervise --name NAME -- CMD…``: keep one service running, restarting it when it dies.

``msa run`` starts every service under a supervisor, so a sink whose database connection broke, a detector
killed by the kernel or a router that hit a bug comes back — with exponential backoff (1 s doubling to
60 s; back to 1 s once a run lasted 60 s), each restart said in the service's log::

    supervise: sink exited with code 1 after 3.2 s; restart 2 in 2 s

A service that exits 0 finished its work (a replay without ``--loop``) and is not restarted. SIGTERM or
SIGINT to the supervisor is passed to the service, which gets ``--stop-timeout-s`` (default 20 s) to shut
down gracefully; past that it is killed and the supervisor exits non-zero (its checkpoints are
transactional: nothing half-written survives). The supervisor's pid is the one ``msa run`` records, so
``msa run --stop`` / ``make down`` stop both.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType

__all__ = ["Backoff", "register", "supervise"]


@dataclass(slots=True)
class Backoff:
    """Restart delays: ``min_s`` doubling to ``max_s``; reset after a run of at least ``stable_after_s``."""

    min_s: float = 1.0
    max_s: float = 60.0
    stable_after_s: float = 60.0
    _next_s: float = 0.0

    def after_run(self, ran_s: float) -> float:
        """The delay before the next start, given how long the last run lasted."""
        if ran_s >= self.stable_after_s or self._next_s == 0.0:
            self._next_s = self.min_s
        else:
            self._next_s = min(self.max_s, self._next_s * 2)
        return self._next_s


def _say(text: str) -> None:
    print(f"supervise: {text}", file=sys.stderr, flush=True)


def supervise(name: str, argv: Sequence[str], backoff: Backoff, stop_timeout_s: float = 20.0,
              max_restarts: int | None = None) -> int:
    """Run ``argv`` until stopped (see the module doc); the exit code to leave with."""
    stop = threading.Event()
    child: list[subprocess.Popen[bytes]] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()
        if child and child[0].poll() is None:
            child[0].send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    restarts = 0
    while not stop.is_set():
        started = time.monotonic()
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL)
        child[:] = [proc]
        if stop.is_set():  # a stop that came while starting
            proc.send_signal(signal.SIGTERM)
        while proc.poll() is None and not stop.is_set():
            stop.wait(0.2)
        if stop.is_set():
            try:
                return proc.wait(timeout=stop_timeout_s)
            except subprocess.TimeoutExpired:
                _say(f"{name} still running {stop_timeout_s:.0f} s after SIGTERM: killed")
                proc.kill()
                proc.wait()
                return 124
        code = proc.returncode
        ran_s = time.monotonic() - started
        if code == 0:
            _say(f"{name} finished (exit code 0) after {ran_s:.1f} s; not restarted")
            return 0
        if max_restarts is not None and restarts >= max_restarts:
            _say(f"{name} exited with code {code}; {restarts} restarts made, giving up")
            return code if code > 0 else 1
        restarts += 1
        delay_s = backoff.after_run(ran_s)
        _say(f"{name} exited with code {code} after {ran_s:.1f} s; restart {restarts} in {delay_s:.0f} s")
        if stop.wait(delay_s):
            break
    return 0


def cmd_supervise(args: argparse.Namespace) -> int:
    argv = list(args.argv)
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        print("msa supervise: a command is needed after --", file=sys.stderr)
        return 2
    return supervise(args.name, argv, Backoff(args.min_backoff_s, args.max_backoff_s, args.stable_after_s),
                     args.stop_timeout_s, args.max_restarts)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("supervise", help="run a service, restarting it with backoff when it dies (msa run uses it)")
    p.add_argument("--name", required=True, help="the service's name in messages")
    p.add_argument("--min-backoff-s", type=float, default=1.0)
    p.add_argument("--max-backoff-s", type=float, default=60.0)
    p.add_argument("--stable-after-s", type=float, default=60.0, help="a run this long resets the backoff")
    p.add_argument("--stop-timeout-s", type=float, default=20.0,
                   help="graceful shutdown deadline after SIGTERM, then killed (exit 124)")
    p.add_argument("--max-restarts", type=int, default=None, help="give up after this many (default never)")
    p.add_argument("argv", nargs=argparse.REMAINDER, help="-- the command to run")
    p.set_defaults(func=cmd_supervise)
