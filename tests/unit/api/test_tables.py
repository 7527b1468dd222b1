"""The API queries the store's tables as ``msa.store.models`` defines them: one definition of each table."""

from __future__ import annotations

from msa.store.models import AlertFeedRow, Base
from services.api import tables


def test_every_table_of_the_api_is_a_model_table() -> None:
    for name in tables.__all__:
        table = getattr(tables, name)
        assert Base.metadata.tables[table.name] is table, name


def test_the_feed_table_has_the_column_migration_0002_adds() -> None:
    assert tables.alert_feed is AlertFeedRow.__table__
    assert [c.name for c in tables.alert_feed.columns] == ["seq", "alert_id", "version", "at", "action"]
    assert tables.alert_feed.c.action.server_default is not None
