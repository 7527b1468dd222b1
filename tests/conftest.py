"""Shared fixtures. Integration tests need the real broker and database (``make test`` starts them);
locally they skip when those are down, in CI (``CI=true``) they fail instead of skipping."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from msa.infra.process import port_open
from msa.settings import Settings, load_settings
from tests.shared_data import require_shared

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


def _require(host_port: tuple[str, int], what: str) -> None:
    if port_open(*host_port, timeout_s=2.0):
        return
    message = f"{what} at {host_port[0]}:{host_port[1]} is not reachable (run `make infra`)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def kafka_bootstrap(settings: Settings) -> str:
    host, _, port = settings.kafka_bootstrap.split(",")[0].rpartition(":")
    _require((host, int(port)), "Kafka")
    return settings.kafka_bootstrap


@pytest.fixture(scope="session")
def database_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    _require((url.host or "127.0.0.1", url.port or 5432), "PostgreSQL")
    return settings.database_url


@contextlib.contextmanager
def throwaway_database(database_url: str, prefix: str = "msa_test") -> Iterator[str]:
    """A new database with PostGIS and the migrations applied; dropped on exit."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    from msa.store.cli import upgrade

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    # no pool: a connection per use, so that the drop works after a test restarted the server (fault suite)
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_database_url(database_url: str) -> Iterator[str]:
    """A throw-away database shared by the session's tests (each uses its own zones, ids and topics)."""
    with throwaway_database(database_url) as url:
        yield url


@pytest.fixture
def own_database_url(database_url: str) -> Iterator[str]:
    """A throw-away database for one test that must see only what it wrote (e.g. "every alert is new")."""
    with throwaway_database(database_url, "msa_own") as url:
        yield url


@pytest.fixture
def unique() -> str:
    """A suffix for topic and group names, so that reruns never see old data."""
    return uuid.uuid4().hex[:12]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The public real recordings (``../shared/data`` or ``MSA_SHARED_DATA``): skipped when absent, failed in CI
    (``tests/shared_data.py``)."""
    return require_shared()
