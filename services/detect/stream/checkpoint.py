"""Checkpoints in PostgreSQL: engine state and next offsets of partitions, written in ONE transaction.

Table ``detector_checkpoints`` (migrations ``d001``, ``0005``). ``save`` writes every given partition's row in
one transaction: either all the states and offsets of a checkpoint are durable, or none is. Blocking calls
(SQLAlchemy + psycopg); the service runs them in a worker thread.

**Fencing.** ``load`` *claims* the partitions it reads: their ``epoch`` is bumped and remembered. ``save``
writes a claimed partition only while its epoch is still the one this store claimed; when another instance
has taken the partition since (a rebalance this one did not notice: a long GC pause, a network partition),
nothing of the checkpoint is written and ``FencedError`` is raised — a zombie cannot overwrite the new
owner's state. (A partition this store never claimed — tools, tests seeding a state — is simply upserted.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, text

__all__ = ["Checkpoint", "CheckpointStore", "FencedError"]


class FencedError(RuntimeError):
    """Another instance claimed these partitions since this one did: its checkpoint was not written."""

    def __init__(self, partitions: list[tuple[str, int]]) -> None:
        super().__init__(f"checkpoint fenced: {partitions} were taken over by another instance")
        self.partitions = partitions


@dataclass(frozen=True, slots=True)
class Checkpoint:
    topic: str
    partition: int
    next_offset: int
    state: bytes | None = None


_UPSERT = text("""
    INSERT INTO detector_checkpoints (group_id, topic, partition, next_offset, state, instance_id, updated_at)
    VALUES (:g, :t, :p, :o, :s, :i, now())
    ON CONFLICT (group_id, topic, partition) DO UPDATE SET
        next_offset = EXCLUDED.next_offset, state = EXCLUDED.state,
        instance_id = EXCLUDED.instance_id, updated_at = EXCLUDED.updated_at
""")


_CLAIM = text("""
    INSERT INTO detector_checkpoints (group_id, topic, partition, next_offset, state, instance_id, epoch, updated_at)
    VALUES (:g, :t, :p, -1, NULL, :i, 1, now())
    ON CONFLICT (group_id, topic, partition) DO UPDATE SET
        epoch = detector_checkpoints.epoch + 1, instance_id = EXCLUDED.instance_id
    RETURNING next_offset, state, epoch
""")

_FENCED_UPDATE = text("""
    UPDATE detector_checkpoints SET next_offset = :o, state = :s, instance_id = :i, updated_at = now()
    WHERE group_id = :g AND topic = :t AND partition = :p AND epoch = :e
""")


class CheckpointStore:
    def __init__(self, database_url: str, group_id: str, instance_id: str = "") -> None:
        self.group_id = group_id
        self.instance_id = instance_id
        self._engine: Engine = create_engine(database_url, pool_size=2, max_overflow=2, pool_pre_ping=True)
        self.epochs: dict[tuple[str, int], int] = {}  # the partitions this store claimed, and their epoch

    def load(self, topic_partitions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Checkpoint]:
        """Claim the partitions (bump their epoch) and return their stored checkpoints (those that have one)."""
        wanted = sorted(set(topic_partitions))
        if not wanted:
            return {}
        out: dict[tuple[str, int], Checkpoint] = {}
        claimed: dict[tuple[str, int], int] = {}
        with self._engine.begin() as conn:
            for topic, partition in wanted:  # in a fixed order: two instances claiming never deadlock
                offset, state, epoch = conn.execute(_CLAIM, {"g": self.group_id, "t": topic, "p": partition,
                                                             "i": self.instance_id}).one()
                claimed[(topic, partition)] = int(epoch)
                if offset >= 0:  # -1: a partition without a checkpoint yet
                    out[(topic, partition)] = Checkpoint(topic, int(partition), int(offset),
                                                         None if state is None else bytes(state))
        self.epochs.update(claimed)
        return out

    def save(self, checkpoints: Iterable[Checkpoint]) -> int:
        """Write all rows in one transaction (claimed partitions only while still ours: ``FencedError``
        otherwise, and nothing written). Returns the number of rows written."""
        rows = list(checkpoints)
        if not rows:
            return 0
        fenced: list[tuple[str, int]] = []
        with self._engine.begin() as conn:
            for c in rows:
                params = {"g": self.group_id, "t": c.topic, "p": c.partition, "o": c.next_offset, "s": c.state,
                          "i": self.instance_id}
                epoch = self.epochs.get((c.topic, c.partition))
                if epoch is None:
                    conn.execute(_UPSERT, params)
                elif conn.execute(_FENCED_UPDATE, {**params, "e": epoch}).rowcount != 1:
                    fenced.append((c.topic, c.partition))
            if fenced:
                conn.rollback()
        if fenced:
            for tp in fenced:
                self.epochs.pop(tp, None)
            raise FencedError(fenced)
        return len(rows)

    def delete_group(self) -> None:
        with self._engine.begin() as conn:
            conn.execute(text("DELETE FROM detector_checkpoints WHERE group_id = :g"), {"g": self.group_id})

    def close(self) -> None:
        self._engine.dispose()
