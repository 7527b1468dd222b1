"""What the end-to-end benchmarks share: a throw-away migrated database, the services they start as processes
(stopped, their CPU time read) and the Prometheus counters those services expose."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import urllib.request
import uuid
from pathlib import Path

__all__ = ["cpu_s", "create_database", "detector_consumed", "drop_database", "metric", "stop"]


def create_database(url: str) -> str:
    """A new database beside ``url``'s, with PostGIS and the migrations applied; returns its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from msa.store.cli import upgrade

    name = f"msa_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    db = make_url(url).set(database=name).render_as_string(hide_password=False)
    upgrade(db)
    return db


def drop_database(url: str, db: str) -> None:
    """Drop the database ``create_database(url)`` returned as ``db`` (its sessions closed by force)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(db).database}" WITH (FORCE)'))
    admin.dispose()


def metric(ports: list[int], name: str, label: str = "") -> float:
    """Sum over the instances (``/metrics`` on each of ``ports``) of a Prometheus counter or gauge: the lines
    starting with ``name`` and containing ``label``. An instance that does not answer counts 0."""
    total = 0.0
    for port in ports:
        with contextlib.suppress(OSError):
            body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
            for line in body.splitlines():
                if line.startswith(name) and label in line:
                    total += float(line.rsplit(" ", 1)[1])
    return total


def detector_consumed(ports: list[int], topic: str) -> float:
    """Records of ``topic`` the ``msa detector`` instances on ``ports`` consumed."""
    return metric(ports, "msa_detector_records_total", f'topic="{topic}"')


def stop(procs: list[subprocess.Popen[bytes]], timeout_s: float = 60.0) -> None:
    """SIGTERM to every process, then wait for each (killed after ``timeout_s``)."""
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            p.kill()


def cpu_s(procs: list[subprocess.Popen[bytes]]) -> float:
    """User + system CPU seconds the processes used so far (``/proc/<pid>/stat``)."""
    total = 0
    for p in procs:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat(5))
    return total / os.sysconf("SC_CLK_TCK")
