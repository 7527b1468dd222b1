"""Satellite detections for every stage-1 unit: each judges a scene against its own vessels.

Detections are few (a scene every hour or so, tens of detections each) but every vessel unit needs all of
them, so every instance reads every partition of ``sat.detections.v1`` itself (no group, from the
beginning) and keeps what it read here. A unit feeds them to its event-time merge as sources ``s<k>``
(one per partition); a unit assigned later catches up from here, from the next offset its checkpoint holds.
Detections more than ``keep_ms`` older than the latest one are forgotten (they would be late anyway).
Pure: no Kafka.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

from msa.domain import Record
from services.detect.buffer import NEVER

__all__ = ["SatFeed", "sat_source"]

KEEP_MS = 48 * 3_600_000


def sat_source(partition: int) -> str:
    return f"s{partition}"


@dataclass(slots=True)
class _Partition:
    offsets: list[int] = field(default_factory=list)
    items: list[tuple[int, int, Record | None]] = field(default_factory=list)  # (ts_ms, offset, record)


class SatFeed:
    def __init__(self, partitions: list[int], keep_ms: int = KEEP_MS) -> None:
        self.parts = {p: _Partition() for p in partitions}
        self.keep_ms = keep_ms
        self.max_ts = NEVER

    def add(self, partition: int, offset: int, ts_ms: int, record: Record | None) -> bool:
        """Keep one record (None: undecodable, kept so that offsets stay contiguous). False if already kept."""
        part = self.parts.setdefault(partition, _Partition())
        if part.offsets and offset <= part.offsets[-1]:
            return False
        part.offsets.append(offset)
        part.items.append((ts_ms, offset, record))
        if ts_ms > self.max_ts:
            self.max_ts = ts_ms
        return True

    def since(self, partition: int, next_offset: int | None) -> list[tuple[int, int, Record | None]]:
        """What a unit that has taken everything before ``next_offset`` still needs (None: everything)."""
        part = self.parts.get(partition)
        if part is None:
            return []
        i = 0 if next_offset is None else bisect_left(part.offsets, next_offset)
        return part.items[i:]

    def prune(self) -> None:
        cut = self.max_ts - self.keep_ms
        for part in self.parts.values():
            n = 0
            while n < len(part.items) and part.items[n][0] < cut:
                n += 1
            if n:
                del part.items[:n]
                del part.offsets[:n]
