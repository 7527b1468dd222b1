"""The topics every detector instance reads whole, without a consumer group: ``detect.exchange.v1`` (what the
units tell each other) and ``sat.detections.v1`` (every stage-1 unit judges every scene against its own
vessels). Both are read from the beginning up to their end before the instance joins the group, so restored
units start from what was published; then polled without waiting on every iteration."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from msa.domain import Record
from msa.kafka import make_consumer
from services.detect.stream.exchange import decode as decode_exchange
from services.detect.stream.instance import Instance
from services.detect.stream.metrics import DetectorMetrics
from services.detect.stream.satfeed import SatFeed, sat_source

__all__ = ["WholeTopics"]

log = logging.getLogger("msa.detector")

Reject = Callable[[TopicPartition, int, str, Exception, Any], None]


class WholeTopics:
    def __init__(self, bootstrap: str, client_id: str, max_poll_records: int, metrics: DetectorMetrics,
                 decode: Callable[[TopicPartition, Any], Record | None], reject: Reject) -> None:
        self.bootstrap = bootstrap
        self.client_id = client_id
        self.max_poll_records = max_poll_records
        self.metrics = metrics
        self.decode = decode
        self.reject = reject
        self.inst: Instance | None = None
        self.exchange: AIOKafkaConsumer | None = None
        self.sat: AIOKafkaConsumer | None = None
        self.sat_topic = ""
        self.sat_last_s: dict[int, float] = {}  # wall clock of the last satellite record read, per partition
        self.sat_next: dict[int, int] = {}  # next satellite offset to read, per partition

    async def start(self, inst: Instance, exchange_topic: str, sat_topic: str,
                    partitions: Callable[[str], Any]) -> None:
        self.inst = inst
        self.exchange, tps = await self._whole(exchange_topic, "exchange", partitions)
        await self._read_to_end(self.exchange, tps, self._exchange_batch)
        book = inst.book
        log.info("exchange: %d coverage cells, %d scenes, clocks of %s", len(book.coverage.cells),
                 len(book.parts), ", ".join(sorted(book.clocks)) or "no unit")
        self.sat_topic = sat_topic
        self.sat, tps = await self._whole(sat_topic, "sat", partitions)
        inst.feed = SatFeed([tp.partition for tp in tps])
        now = time.monotonic()
        self.sat_last_s = {tp.partition: now for tp in tps}
        await self._read_to_end(self.sat, tps, self._sat_batch)
        for tp in tps:
            self.sat_next[tp.partition] = await self.sat.position(tp)
        log.info("satellite: %d records kept", sum(len(p.items) for p in inst.feed.parts.values()))

    def assignments(self) -> list[TopicPartition]:
        return [tp for c in (self.sat, self.exchange) if c is not None for tp in c.assignment()]

    async def poll(self) -> None:
        assert self.exchange is not None and self.sat is not None
        self._exchange_batch(await self.exchange.getmany(timeout_ms=0))
        self._sat_batch(await self.sat.getmany(timeout_ms=0))

    async def stop(self) -> None:
        for c in (self.exchange, self.sat):
            if c is not None:
                with contextlib.suppress(KafkaError):
                    await c.stop()

    def sat_idle(self, now: float, idle_timeout_s: float) -> None:
        """A caught-up satellite partition silent for ``idle_timeout_s`` no longer holds the units' clocks."""
        assert self.sat is not None and self.inst is not None
        for p, last_s in self.sat_last_s.items():
            hw = self.sat.highwater(TopicPartition(self.sat_topic, p))
            lag = 0 if hw is None else max(0, hw - self.sat_next.get(p, 0))
            idle = hw is not None and lag == 0 and now - last_s >= idle_timeout_s
            src = sat_source(p)
            for vu in self.inst.vessel_units.values():
                s = vu.merger.sources.get(src)
                if s is not None and not s.queue:
                    vu.merger.set_idle(src, idle)

    async def _whole(self, topic: str, name: str, partitions: Callable[[str], Any]
                     ) -> tuple[AIOKafkaConsumer, list[TopicPartition]]:
        c = make_consumer(self.bootstrap, group_id=None, client_id=f"{self.client_id}-{name}",
                          max_poll_records=self.max_poll_records)
        await c.start()
        tps = [TopicPartition(topic, p) for p in sorted(await partitions(topic))]
        c.assign(tps)
        await c.seek_to_beginning(*tps)
        return c, tps

    @staticmethod
    async def _read_to_end(c: AIOKafkaConsumer, tps: list[TopicPartition], on_batch: Any) -> None:
        end = await c.end_offsets(tps)
        while [tp for tp in tps if await c.position(tp) < end[tp]]:
            on_batch(await c.getmany(timeout_ms=200))

    def _exchange_batch(self, batch: dict[TopicPartition, list[Any]]) -> None:
        assert self.inst is not None
        for tp, msgs in batch.items():
            self.metrics.records.labels(tp.topic).inc(len(msgs))
            for m in msgs:
                try:
                    msg = decode_exchange(m.value)
                except (ValueError, KeyError, TypeError, IndexError) as exc:
                    self.reject(tp, m.offset, "bad_exchange_message", exc, m.value)
                    continue
                self.inst.learn(msg)

    def _sat_batch(self, batch: dict[TopicPartition, list[Any]]) -> None:
        assert self.inst is not None
        now = time.monotonic()
        for tp, msgs in batch.items():
            if not msgs:
                continue
            self.metrics.records.labels(tp.topic).inc(len(msgs))
            self.sat_last_s[tp.partition] = now
            self.sat_next[tp.partition] = msgs[-1].offset + 1
            for m in msgs:
                self.inst.take_sat(tp.partition, m.offset, self.decode(tp, m))
            self.inst.feed.prune()
