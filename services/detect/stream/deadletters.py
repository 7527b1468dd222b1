"""The detector's dead letters (``detect.rejects.v1``): every input record it cannot process, there exactly once.

A reject is found again when its record is read again: after a restart from a checkpoint taken before the
reject was sent (an instance killed between the two), or — for the satellite and exchange topics, which every
instance reads whole — by each instance that becomes the holder of positions partition 0, whose job it is to
send those. So the dead letters of one source partition all go to one partition of the dead-letter topic
(``partition_of``), and an instance that takes source partitions over first reads those dead-letter partitions
(``learn``): what is already there, at or after where it starts reading, is not sent again.

The read is of whole dead-letter partitions, at each assignment: cheap while rejects are rare (10,000 dead
letters take well under a second); a flood of poison is bounded by the topic's retention.
"""

from __future__ import annotations

import logging
import re
import zlib
from typing import Any

import orjson
from aiokafka import TopicPartition

from msa.domain import Reject
from msa.kafka import make_consumer

__all__ = ["DeadLetters"]

log = logging.getLogger(__name__)

_SOURCE = re.compile(r"^(?P<topic>.+)\[(?P<partition>\d+)\]@(?P<offset>\d+)$")
MAX_WHOLE_PENDING = 10_000


class DeadLetters:
    def __init__(self, topic: str, n_partitions: int) -> None:
        self.topic = topic
        self.n_partitions = max(1, n_partitions)
        self.own: list[tuple[int, Reject]] = []  # to send with the next output (acked by the checkpoint)
        self.whole: dict[str, tuple[int, Reject]] = {}  # satellite / exchange: sent by the holder of partition 0
        self.present: set[str] = set()  # sources already in the topic (sent by this instance, or learnt)

    def partition_of(self, topic: str, partition: int) -> int:
        """The dead-letter partition of every reject of one source partition (stable across processes)."""
        return zlib.crc32(f"{topic}[{partition}]".encode()) % self.n_partitions

    def add(self, tp: TopicPartition, rej: Reject, *, whole: bool) -> bool:
        """Queue a reject; False when its record is already dead-lettered (found again after a restart)."""
        if rej.source in self.present:
            return False
        item = (self.partition_of(tp.topic, tp.partition), rej)
        if whole:
            if len(self.whole) < MAX_WHOLE_PENDING:
                self.whole[rej.source] = item
        else:
            self.own.append(item)
            self.present.add(rej.source)
        return True

    def take(self, holds_partition_0: bool) -> list[tuple[int, Reject]]:
        """What to send now: this instance's own, and the whole-read topics' when it holds partition 0."""
        out, self.own = self.own, []
        if self.whole and holds_partition_0:
            out += [item for src, item in self.whole.items() if src not in self.present]
            self.present.update(self.whole)
            self.whole.clear()
        return out

    async def learn(self, bootstrap: str, client_id: str, starts: dict[TopicPartition, int]) -> int:
        """Read the dead-letter partitions of the source partitions in ``starts`` (where this instance starts
        reading each): the sources found at or after those offsets are already there. Returns how many."""
        if not starts:
            return 0
        wanted = {(tp.topic, tp.partition): off for tp, off in starts.items()}
        tps = [TopicPartition(self.topic, q) for q in sorted({self.partition_of(t, p) for t, p in wanted})]
        consumer = make_consumer(bootstrap, group_id=None, client_id=f"{client_id}-dead-letters")
        await consumer.start()
        found = 0
        try:
            consumer.assign(tps)
            begin = await consumer.beginning_offsets(tps)
            end = await consumer.end_offsets(tps)
            for tp in tps:
                consumer.seek(tp, begin[tp])
            while [tp for tp in tps if await consumer.position(tp) < end[tp]]:
                batch = await consumer.getmany(timeout_ms=200)
                for msgs in batch.values():
                    for m in msgs:
                        src = _source(m.value)
                        match = _SOURCE.match(src) if src is not None else None
                        if src is None or match is None:
                            continue
                        key = (match["topic"], int(match["partition"]))
                        if key in wanted and int(match["offset"]) >= wanted[key] and src not in self.present:
                            self.present.add(src)
                            found += 1
        finally:
            await consumer.stop()
        if found:
            log.info("%d record(s) of the assigned partitions are dead-lettered already: not sent again", found)
        return found


def _source(value: Any) -> str | None:
    try:
        src = orjson.loads(value).get("source")
    except (orjson.JSONDecodeError, AttributeError, TypeError):
        return None
    return src if isinstance(src, str) else None
