"""The browser tests' own database: they seed the real detector's alerts under per-test ids, and a position is
stored once per vessel and time (with the first alert that named it) — in the database the other suites share,
those positions would become other tests' evidence."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def browser_database_url(database_url: str) -> Iterator[str]:
    """A throw-away database with PostGIS and the migrations applied, for tests/browser only; dropped at the end."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from msa.store.cli import upgrade

    name = f"msa_browser_{uuid.uuid4().hex[:10]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
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
