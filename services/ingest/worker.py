"""Long-running ingest loops: a line source → :class:`Decoder` → :class:`Publisher`.

The decoder is pure; this module is the thin asyncio adapter around it. Live sources (TCP, UDP) are
batched opportunistically: whatever lines are waiting are decoded and published together, and open
Kafka batches are submitted as soon as the source is idle, so latency stays low at low rates and
throughput high at high rates.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from typing import Any, TypeVar

from msa.ais.decoder import Decoder, Output
from services.ingest.publisher import IngestMetrics, Publisher
from services.ingest.sources import Received

__all__ = ["batched", "pump", "summary", "sync_metrics"]

log = logging.getLogger(__name__)
T = TypeVar("T")
_END: Any = object()


class _Failed:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc


async def batched(source: AsyncIterator[T], max_items: int = 2000) -> AsyncIterator[list[T]]:
    """Group items of a slow or bursty async source into lists without adding latency."""
    queue: asyncio.Queue[Any] = asyncio.Queue(max_items * 4)

    async def fill() -> None:
        try:
            async for item in source:
                await queue.put(item)
        except Exception as exc:  # handed to the consumer, raised there
            await queue.put(_Failed(exc))
            return
        await queue.put(_END)

    task = asyncio.create_task(fill())
    try:
        while True:
            first = await queue.get()
            if first is _END:
                return
            if isinstance(first, _Failed):
                raise first.exc
            batch = [first]
            while len(batch) < max_items and not queue.empty():
                item = queue.get_nowait()
                if item is _END or isinstance(item, _Failed):
                    yield batch
                    if isinstance(item, _Failed):
                        raise item.exc
                    return
                batch.append(item)
            yield batch
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def sync_metrics(decoder: Decoder, metrics: IngestMetrics | None, seen: Counter[str]) -> None:
    """Move decoder counters (lines, duplicates, ignored tag blocks) into Prometheus counters (increments since
    last call)."""
    if metrics is None:
        return
    for name, counter in (("lines", metrics.lines), ("duplicates", metrics.duplicates),
                          ("tag_block_bad_checksum", metrics.tag_blocks_ignored)):
        delta = decoder.counters[name] - seen[name]
        if delta:
            counter.inc(delta)
            seen[name] += delta


async def pump(chunks: AsyncIterator[list[Received]], decoder: Decoder, publisher: Publisher, *,
               live: bool = False) -> Counter[str]:
    """Decode and publish until the source ends; returns the decoder's counters."""
    seen: Counter[str] = Counter()
    feed = decoder.feed
    async for chunk in chunks:
        out: list[Output] = []
        for line, receipt_ms, peer in chunk:
            feed(line, receipt_ms, out, peer)
        await publisher.publish(out)
        if live:
            await publisher.submit_open()
        sync_metrics(decoder, publisher.metrics, seen)
    out = []
    decoder.flush(out)
    await publisher.publish(out)
    await publisher.flush()
    sync_metrics(decoder, publisher.metrics, seen)
    return decoder.counters


def summary(label: str, inputs: Mapping[str, int], publisher: Publisher, reason: str | None = None) -> str:
    """The final log line of a worker: what was read, what was published (acknowledged), what rejected."""
    def fmt(d: Mapping[str, int]) -> str:
        return ", ".join(f"{k} {v:,}" for k, v in sorted(d.items()) if v) or "none"

    head = f"{label} {'stopped (' + reason + ')' if reason else 'done'}"
    read = {k: inputs.get(k, 0) for k in ("lines", "sentences", "messages", "duplicates", "gatehouse",
                                          "tag_block_bad_checksum")}
    n_rej = sum(publisher.rejected.values())
    return (f"{head}: read {fmt(read)}; published {fmt(publisher.published)}; "
            f"rejects {n_rej:,} ({fmt(publisher.rejected)}); {publisher.batches:,} batches acknowledged")
