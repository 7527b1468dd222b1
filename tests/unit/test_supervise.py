"""``msa supervise``: a service that dies is restarted with backoff and says so; a stop reaches it and has a
deadline; a service that finished is left alone."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from msa.supervise import Backoff

CHILD = '''
import signal, sys, time
from pathlib import Path
counter = Path(sys.argv[1])
n = int(counter.read_text()) + 1 if counter.exists() else 1
counter.write_text(str(n))
if sys.argv[2] == "ignore-term":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
elif sys.argv[2] == "finish":
    sys.exit(0)
else:
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
if n <= int(sys.argv[3]):
    sys.exit(3)  # dies
while True:
    time.sleep(0.05)
'''


def _supervisor(tmp_path: Path, mode: str, failures: int, *extra: str) -> tuple[subprocess.Popen[str], Path]:
    child = tmp_path / "child.py"
    child.write_text(CHILD)
    counter = tmp_path / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "msa.cli", "supervise", "--name", "svc", "--min-backoff-s", "0.1",
                             "--max-backoff-s", "0.4", *extra, "--", sys.executable, str(child), str(counter), mode,
                             str(failures)], stderr=subprocess.PIPE, text=True)
    return proc, counter


def _wait_runs(counter: Path, n: int, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not (counter.exists() and counter.read_text() == str(n)):
        assert time.monotonic() < deadline, counter.read_text() if counter.exists() else "never started"
        time.sleep(0.05)


def test_backoff_doubles_and_resets_after_a_stable_run() -> None:
    b = Backoff(1.0, 8.0, 60.0)
    assert [b.after_run(2.0) for _ in range(5)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert b.after_run(61.0) == 1.0 and b.after_run(1.0) == 2.0


def test_a_dying_service_is_restarted_and_a_stop_reaches_it(tmp_path: Path) -> None:
    proc, counter = _supervisor(tmp_path, "term-exits", 2)
    _wait_runs(counter, 3)  # died twice, running the third time
    time.sleep(0.3)
    assert proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err  # the service's own graceful exit
    assert "svc exited with code 3" in err and "restart 1 in" in err and "restart 2 in" in err
    assert "restart 3" not in err and counter.read_text() == "3"


def test_a_service_that_ignores_the_stop_is_killed_at_the_deadline(tmp_path: Path) -> None:
    proc, counter = _supervisor(tmp_path, "ignore-term", 0, "--stop-timeout-s", "1")
    _wait_runs(counter, 1)
    time.sleep(0.3)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 124 and "killed" in err and time.monotonic() - t0 < 10


def test_a_service_that_finished_is_not_restarted(tmp_path: Path) -> None:
    proc, counter = _supervisor(tmp_path, "finish", 0)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0 and counter.read_text() == "1" and "not restarted" in err


def test_giving_up_after_max_restarts(tmp_path: Path) -> None:
    proc, counter = _supervisor(tmp_path, "term-exits", 99, "--max-restarts", "2")
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 3 and counter.read_text() == "3" and "giving up" in err
