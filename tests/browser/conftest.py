"""The browser tests' own database: they seed the real detector's alerts under per-test ids, and a position is
stored once per vessel and time (with the first alert that named it) — in the database the other suites share,
those positions would become other tests' evidence."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import throwaway_database


@pytest.fixture(scope="session")
def browser_database_url(database_url: str) -> Iterator[str]:
    """A throw-away database with PostGIS and the migrations applied, for tests/browser only; dropped at the end."""
    with throwaway_database(database_url, "msa_browser") as url:
        yield url
