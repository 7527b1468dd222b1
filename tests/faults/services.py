"""Services of the fault suite run as ``msa run`` runs them: each under ``msa supervise``, so that a service that
dies (killed, or exiting on an outage) comes back; ``kill_child`` is the ``kill -9`` of the service itself."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from msa.kafka import make_consumer
from tests.integration.test_detector_stream import MSA, REPO


class Supervised:
    def __init__(self, name: str, argv: list[str], log_dir: Path, env: dict[str, str] | None = None) -> None:
        self.name, self.argv, self.log_dir = name, argv, log_dir
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0

    @property
    def log_file(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def start(self) -> None:
        log = self.log_file.open("ab")
        self.proc = subprocess.Popen(
            [*MSA, "supervise", "--name", self.name, "--min-backoff-s", "0.5", "--max-backoff-s", "4",
             "--stable-after-s", "20", "--", *MSA, *self.argv],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=self.env)

    def child(self, timeout_s: float = 30.0) -> int:
        """The service's pid (the supervisor's child), waiting for a restart in progress."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout_s
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        while time.monotonic() < deadline:
            kids = path.read_text().split() if path.exists() else []
            if kids:
                return int(kids[0])
            time.sleep(0.1)
        raise AssertionError(f"{self.name}: no service process under its supervisor\n{self.log()}")

    def kill_child(self) -> None:
        os.kill(self.child(), signal.SIGKILL)
        self.kills += 1

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=45)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")[-4000:] if self.log_file.exists() else ""

    def restarts(self) -> int:
        return self.log_file.read_text(errors="replace").count("; restart ") if self.log_file.exists() else 0


def infra(*args: str) -> None:
    """``msa infra …`` with the suite's settings (the broker and database the tests use)."""
    subprocess.run([*MSA, "infra", *args], cwd=REPO, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.STDOUT, timeout=300)


async def committed_counts(bootstrap: str, topic: str, key_of: Callable[[Any], str]) -> Counter[str]:
    """How many times each key (``key_of(record)``) is in ``topic``, read ``read_committed`` from the start
    until 2 s bring nothing new. (It reads the records: the exactly-once check is on their contents. How far a
    topic is written or a group has committed — offsets only — is ``msa.kafka.TopicOffsets``.)"""
    consumer = make_consumer(bootstrap, topic, group_id=None, isolation_level="read_committed")
    await consumer.start()
    got: Counter[str] = Counter()
    try:
        quiet = 0
        while quiet < 4:
            batch = await consumer.getmany(timeout_ms=500)
            quiet = 0 if batch else quiet + 1
            for msgs in batch.values():
                got.update(key_of(m) for m in msgs)
    finally:
        await consumer.stop()
    return got
