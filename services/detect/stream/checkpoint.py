"""Checkpoints in PostgreSQL: engine state and next offsets of partitions, written in ONE transaction.

Table ``detector_checkpoints`` (migration ``d001``). ``save`` upserts every given partition's row in one
transaction: either all the states and offsets of a checkpoint are durable, or none is. Blocking calls
(SQLAlchemy + psycopg); the service runs them in a worker thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, text

__all__ = ["Checkpoint", "CheckpointStore"]


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


class CheckpointStore:
    def __init__(self, database_url: str, group_id: str, instance_id: str = "") -> None:
        self.group_id = group_id
        self.instance_id = instance_id
        self._engine: Engine = create_engine(database_url, pool_size=2, max_overflow=2, pool_pre_ping=True)

    def load(self, topic_partitions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Checkpoint]:
        wanted = set(topic_partitions)
        if not wanted:
            return {}
        topics = sorted({t for t, _ in wanted})
        with self._engine.connect() as conn:
            rows = conn.execute(
                text("SELECT topic, partition, next_offset, state FROM detector_checkpoints "
                     "WHERE group_id = :g AND topic = ANY(:ts)"),
                {"g": self.group_id, "ts": topics},
            ).all()
        out: dict[tuple[str, int], Checkpoint] = {}
        for topic, partition, offset, state in rows:
            if (topic, partition) in wanted:
                out[(topic, partition)] = Checkpoint(topic, int(partition), int(offset),
                                                     None if state is None else bytes(state))
        return out

    def save(self, checkpoints: Iterable[Checkpoint]) -> int:
        """Upsert all rows in one transaction. Returns the number of rows written."""
        params = [{"g": self.group_id, "t": c.topic, "p": c.partition, "o": c.next_offset, "s": c.state,
                   "i": self.instance_id} for c in checkpoints]
        if not params:
            return 0
        with self._engine.begin() as conn:
            conn.execute(_UPSERT, params)
        return len(params)

    def delete_group(self) -> None:
        with self._engine.begin() as conn:
            conn.execute(text("DELETE FROM detector_checkpoints WHERE group_id = :g"), {"g": self.group_id})

    def close(self) -> None:
        self._engine.dispose()
