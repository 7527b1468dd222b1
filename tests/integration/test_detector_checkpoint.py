"""Checkpoints in the real PostgreSQL: all partitions of a checkpoint in one transaction, upserted."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from services.detect.stream.checkpoint import Checkpoint, CheckpointStore

pytestmark = pytest.mark.integration


def test_save_load_upsert(migrated_database_url: str, unique: str) -> None:
    store = CheckpointStore(migrated_database_url, f"g-{unique}", instance_id="i1")
    try:
        assert store.load([("t", 0)]) == {}
        assert store.save([Checkpoint("t", 0, 10, b"\x00state0"), Checkpoint("t", 1, 5, None),
                           Checkpoint("u", 0, 7, b"u")]) == 3
        got = store.load([("t", 0), ("t", 1), ("t", 2)])
        assert got == {("t", 0): Checkpoint("t", 0, 10, b"\x00state0"), ("t", 1): Checkpoint("t", 1, 5, None)}
        store.save([Checkpoint("t", 0, 20, b"s2")])
        assert store.load([("t", 0)])[("t", 0)] == Checkpoint("t", 0, 20, b"s2")
        other = CheckpointStore(migrated_database_url, f"other-{unique}")
        assert other.load([("t", 0)]) == {}  # groups are separate
        other.close()
    finally:
        store.delete_group()
        store.close()


def test_a_failing_checkpoint_writes_nothing(migrated_database_url: str, unique: str) -> None:
    store = CheckpointStore(migrated_database_url, f"g-{unique}")
    try:
        store.save([Checkpoint("t", 0, 1, b"a")])
        with pytest.raises(Exception, match=r"out of range|integer"):
            # the second row overflows BIGINT: the whole transaction, first row included, is rolled back
            store.save([Checkpoint("t", 0, 2, b"b"), Checkpoint("t", 1, 2**70, b"c")])
        assert store.load([("t", 0), ("t", 1)]) == {("t", 0): Checkpoint("t", 0, 1, b"a")}
    finally:
        store.delete_group()
        store.close()


def test_table_comes_from_migration_d001(migrated_database_url: str) -> None:
    engine = create_engine(migrated_database_url)
    try:
        with engine.connect() as conn:
            heads = {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
            cols = {r[0] for r in conn.execute(text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'detector_checkpoints'"))}
    finally:
        engine.dispose()
    # d001 is applied: it is the head itself or an ancestor of the database's head
    from pathlib import Path

    from alembic.script import ScriptDirectory

    import msa.store

    scripts = ScriptDirectory(str(Path(msa.store.__file__).parent / "migrations"))
    (head,) = heads
    assert "d001" in {rev.revision for rev in scripts.iterate_revisions(head, "base")}, head
    assert {"group_id", "topic", "partition", "next_offset", "state", "updated_at"} <= cols


def test_a_zombie_cannot_overwrite_the_new_owners_checkpoint(migrated_database_url: str, unique: str) -> None:
    """Instance 1 claims partition 0, instance 2 takes it over (a rebalance 1 did not notice): 1's checkpoint
    is refused whole (FencedError), 2's goes through, and 1 can no longer write any of the partitions 2 took."""
    from services.detect.stream.checkpoint import FencedError

    one = CheckpointStore(migrated_database_url, f"g-{unique}", instance_id="one")
    two = CheckpointStore(migrated_database_url, f"g-{unique}", instance_id="two")
    try:
        assert one.load([("t", 0), ("t", 1)]) == {}  # claimed, nothing stored yet
        assert one.save([Checkpoint("t", 0, 10, b"one-0"), Checkpoint("t", 1, 7, b"one-1")]) == 2
        assert two.load([("t", 0)]) == {("t", 0): Checkpoint("t", 0, 10, b"one-0")}  # takes partition 0 over
        with pytest.raises(FencedError) as err:
            one.save([Checkpoint("t", 0, 99, b"zombie"), Checkpoint("t", 1, 8, b"one-1b")])
        assert err.value.partitions == [("t", 0)]
        assert two.save([Checkpoint("t", 0, 12, b"two-0")]) == 1
        fresh = CheckpointStore(migrated_database_url, f"g-{unique}", instance_id="reader")
        try:  # (nothing of the refused checkpoint was written: partition 1 too is as before)
            assert fresh.load([("t", 0), ("t", 1)]) == {("t", 0): Checkpoint("t", 0, 12, b"two-0"),
                                                       ("t", 1): Checkpoint("t", 1, 7, b"one-1")}
        finally:
            fresh.close()
    finally:
        one.close()
        two.close()
