"""PostgreSQL 15 + PostGIS 3 from Debian packages, in a cluster of our own, run by a non-root user.

When running as root, the packages are installed with apt-get if missing, and the cluster lives in
``/var/lib/msa/postgres`` owned by the ``postgres`` system user; otherwise in ``$MSA_HOME/postgres`` owned
by the current user. The server listens on 127.0.0.1 only, on its own port (default 55432).
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from msa.infra.process import pid_alive, port_open, wait_port

__all__ = ["PostgresLayout", "postgres_down", "postgres_status", "postgres_up"]

log = logging.getLogger(__name__)

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PACKAGES = ("postgresql-15", "postgresql-15-postgis-3")
RUN_AS = "postgres"


@dataclass(frozen=True, slots=True)
class PostgresLayout:
    home: Path
    port: int = 55432
    database: str = "msa"
    user: str = "msa"
    password: str = "msa"

    @property
    def base(self) -> Path:
        return Path("/var/lib/msa") if os.geteuid() == 0 else self.home

    @property
    def data(self) -> Path:
        # one cluster per port, so that a second installation (another MSA_HOME/port) never shares it
        return self.base / ("postgres" if self.port == 55432 else f"postgres-{self.port}")

    @property
    def log_file(self) -> Path:
        return self.data.with_suffix(".log")


def _is_root() -> bool:
    return os.geteuid() == 0


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", RUN_AS, "--", *cmd] if _is_root() else cmd


def _postgis_installed() -> bool:
    return (Path("/usr/share/postgresql/15/extension") / "postgis.control").exists()


def ensure_packages() -> None:
    if (PG_BIN / "pg_ctl").exists() and _postgis_installed():
        return
    if not _is_root():
        raise RuntimeError(f"PostgreSQL 15 + PostGIS 3 missing: run as root or `apt-get install {' '.join(PACKAGES)}`")
    log.info("installing %s with apt-get", " ".join(PACKAGES))
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES], check=True, env=env,
                   stdout=subprocess.DEVNULL)


def _postmaster_pid(layout: PostgresLayout) -> int | None:
    try:
        return int((layout.data / "postmaster.pid").read_text().split("\n", 1)[0])
    except (FileNotFoundError, ValueError):
        return None


def _init_cluster(layout: PostgresLayout) -> None:
    if (layout.data / "PG_VERSION").exists():
        return
    layout.data.mkdir(parents=True, exist_ok=True)
    if _is_root():
        pw = pwd.getpwnam(RUN_AS)
        for path in (layout.base, layout.data):
            os.chown(path, pw.pw_uid, pw.pw_gid)
    os.chmod(layout.data, 0o700)
    subprocess.run(_as_owner([str(PG_BIN / "initdb"), "-D", str(layout.data), "-U", "postgres", "--auth=trust",
                              "-E", "UTF8", "--no-locale"]), check=True, stdout=subprocess.DEVNULL)
    with open(layout.data / "postgresql.conf", "a") as conf:
        conf.write(
            "\n# msa local settings\n"
            f"listen_addresses = '127.0.0.1'\nport = {layout.port}\n"
            f"unix_socket_directories = '{layout.data}'\n"
            "max_connections = 300\nshared_buffers = 512MB\nwork_mem = 16MB\n"
            "maintenance_work_mem = 256MB\nmax_wal_size = 2GB\n"
        )


def _psql(layout: PostgresLayout, sql: str, db: str = "postgres") -> str:
    out = subprocess.run(_as_owner([str(PG_BIN.parent / "bin" / "psql"), "-h", "127.0.0.1", "-p", str(layout.port),
                                    "-U", "postgres", "-d", db, "-tAc", sql]),
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def _bootstrap_database(layout: PostgresLayout) -> None:
    if _psql(layout, f"SELECT 1 FROM pg_roles WHERE rolname = '{layout.user}'") != "1":
        # superuser for local development only: tests create throw-away databases with PostGIS
        _psql(layout, f"CREATE ROLE {layout.user} LOGIN SUPERUSER PASSWORD '{layout.password}'")
    if _psql(layout, f"SELECT 1 FROM pg_database WHERE datname = '{layout.database}'") != "1":
        _psql(layout, f"CREATE DATABASE {layout.database} OWNER {layout.user}")
    _psql(layout, "CREATE EXTENSION IF NOT EXISTS postgis", db=layout.database)


def postgres_up(layout: PostgresLayout, timeout_s: float = 60.0) -> str:
    pid = _postmaster_pid(layout)
    if pid_alive(pid) and port_open("127.0.0.1", layout.port):
        _bootstrap_database(layout)
        return f"postgres already running (pid {pid}) on 127.0.0.1:{layout.port}"
    if port_open("127.0.0.1", layout.port):
        return f"something already listens on 127.0.0.1:{layout.port}; using it as the database"
    ensure_packages()
    _init_cluster(layout)
    if _is_root():
        layout.log_file.touch()
        pw = pwd.getpwnam(RUN_AS)
        os.chown(layout.log_file, pw.pw_uid, pw.pw_gid)
    # check=False: pg_ctl also fails when another `up` started the server a moment earlier; readiness decides
    subprocess.run(_as_owner([str(PG_BIN / "pg_ctl"), "-D", str(layout.data), "-l", str(layout.log_file),
                              "-w", "-t", str(int(timeout_s)), "start"]), check=False, stdout=subprocess.DEVNULL)
    if not wait_port("127.0.0.1", layout.port, timeout_s):
        raise RuntimeError(f"PostgreSQL did not become ready; see {layout.log_file}")
    _bootstrap_database(layout)
    return (f"postgres started (pid {_postmaster_pid(layout)}) on 127.0.0.1:{layout.port}, "
            f"database {layout.database} with PostGIS; log {layout.log_file}")


def postgres_down(layout: PostgresLayout) -> str:
    if not pid_alive(_postmaster_pid(layout)):
        return "postgres was not running (started by us)"
    subprocess.run(_as_owner([str(PG_BIN / "pg_ctl"), "-D", str(layout.data), "-m", "fast", "-w", "stop"]),
                   check=True, stdout=subprocess.DEVNULL)
    return "postgres stopped"


def postgres_status(layout: PostgresLayout) -> str:
    pid = _postmaster_pid(layout)
    up = port_open("127.0.0.1", layout.port)
    owner = f"pid {pid}" if pid_alive(pid) else "not started by msa"
    return f"postgres: {'up' if up else 'down'} on 127.0.0.1:{layout.port} ({owner}); data {layout.data}"


def which_psql() -> str | None:
    return shutil.which("psql")
