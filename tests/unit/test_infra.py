"""Local infrastructure helpers: endpoints from settings, background processes by pid."""

from __future__ import annotations

import sys
from pathlib import Path

from msa.infra.cli import _managed, endpoints
from msa.infra.process import pid_alive, read_pid, start_background, stop_pid
from msa.settings import Settings


def test_endpoints_from_settings() -> None:
    s = Settings(kafka_bootstrap="127.0.0.1:19092,127.0.0.1:19093",
                 database_url="postgresql+psycopg://u:p@db.example.org:5433/x")
    ep = endpoints(s)
    assert (ep.kafka_host, ep.kafka_port) == ("127.0.0.1", 19092)
    assert (ep.db_host, ep.db_port) == ("db.example.org", 5433)
    assert _managed(ep.kafka_host) and not _managed(ep.db_host)


def test_background_process_is_tracked_and_stopped_by_pid(tmp_path: Path) -> None:
    pid_file = tmp_path / "run" / "sleeper.pid"
    pid = start_background([sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"],
                           tmp_path / "logs" / "sleeper.log", pid_file)
    assert read_pid(pid_file) == pid and pid_alive(pid)
    assert stop_pid(pid_file, timeout_s=10)
    assert not pid_alive(pid) and not pid_file.exists()
    # stopping again is a no-op: nothing else is touched
    assert not stop_pid(pid_file)


def test_stale_pid_file_is_not_alive(tmp_path: Path) -> None:
    pid_file = tmp_path / "x.pid"
    pid_file.write_text("999999999")
    assert not pid_alive(read_pid(pid_file))
    pid_file.write_text("garbage")
    assert read_pid(pid_file) is None
