"""The newest event time already on a topic: where ``msa replay --rebase-now`` must start after.

Reads the last record of every partition (no consumer group, nothing committed) and takes the largest
``ts`` among them. Records that are not JSON with a ``ts`` are skipped: a partition holding only such
records counts as empty.
"""

from __future__ import annotations

import asyncio
import logging
import time

import orjson
from aiokafka import TopicPartition

from msa.domain import parse_ts
from msa.kafka import admin_client, make_consumer

__all__ = ["newest_event_ms"]

log = logging.getLogger("msa.ingest")


def _ts_ms(value: bytes | None) -> int | None:
    try:
        ts = orjson.loads(value or b"").get("ts")
        return parse_ts(str(ts)) if ts else None
    except (orjson.JSONDecodeError, AttributeError, ValueError):
        return None


async def newest_event_ms(bootstrap: str, topic: str, timeout_s: float = 10.0) -> int | None:
    """The newest event time among the last records of ``topic``'s partitions; None when it holds none."""
    admin = admin_client(bootstrap, client_id="msa-replay-clock")
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    parts = sorted(p["partition"] for d in described if d.get("error_code") == 0 for p in d.get("partitions", []))
    if not parts:
        return None
    consumer = make_consumer(bootstrap, group_id=None, client_id="msa-replay-clock")
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in parts]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        waiting = {tp for tp in tps if ends[tp] > 0}
        for tp in waiting:
            consumer.seek(tp, ends[tp] - 1)
        newest: int | None = None
        deadline = time.monotonic() + timeout_s
        while waiting and time.monotonic() < deadline:
            got = await consumer.getmany(*waiting, timeout_ms=500)
            for tp, msgs in got.items():
                for m in msgs:
                    ts = _ts_ms(m.value)
                    if ts is not None and (newest is None or ts > newest):
                        newest = ts
                waiting.discard(tp)
        if waiting:
            log.warning("newest event time of %s: no answer from %d partition(s)", topic, len(waiting))
        return newest
    finally:
        await asyncio.shield(consumer.stop())
