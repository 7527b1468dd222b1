"""Records and rejects onto Kafka: keyed, batched, with backpressure and Prometheus counters.

Positions, static and other AIS records are keyed by MMSI (decimal string), satellite records by scene id,
rejects by source. The producer comes from :func:`msa.kafka.make_producer` (idempotent, ``acks=all``).
Records are appended to one :class:`BatchBuilder` per (topic, partition), partitioned with the Java-compatible
murmur2 partitioner (so keyed placement equals ``producer.send``), and submitted with ``send_batch``:
one await per batch instead of one per record. At most ``max_in_flight`` batches wait for delivery;
beyond that :meth:`Publisher.publish` waits (backpressure).
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, replace
from typing import Any

from aiokafka.partitioner import DefaultPartitioner
from prometheus_client import CollectorRegistry, Counter

from msa.ais.fastline import Encoded
from msa.contracts import topics as t
from msa.contracts.codec import dumps, record_to_dict, reject_to_dict
from msa.domain import AisOther, PositionReport, Reject, SatelliteDetection, SceneFootprint, StaticVesselData

__all__ = ["IngestMetrics", "Publisher", "TopicMap"]


@dataclass(frozen=True, slots=True)
class TopicMap:
    positions: str = t.AIS_POSITIONS
    static: str = t.AIS_STATIC
    other: str = t.AIS_OTHER
    rejects: str = t.AIS_REJECTS
    satellite: str = t.SAT_DETECTIONS

    def suffixed(self, suffix: str) -> TopicMap:
        """Same topics with a suffix (tests use a fresh uuid per run)."""
        return TopicMap(*(f"{name}{suffix}" for name in self.names()))

    def names(self) -> tuple[str, str, str, str, str]:
        return (self.positions, self.static, self.other, self.rejects, self.satellite)

    def specs(self) -> list[t.TopicSpec]:
        """Topic specs (partitions etc. from the contract) under these names, for ``ensure_topics``."""
        by_name = {s.name: s for s in t.ALL_TOPICS}
        defaults = TopicMap().names()
        return [replace(by_name[d], name=n) for d, n in zip(defaults, self.names(), strict=True)]


class IngestMetrics:
    """Prometheus counters for every outcome. Pass a registry (tests) or use the default one (workers)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        kw: dict[str, Any] = {} if registry is None else {"registry": registry}
        self.records = Counter("msa_ingest_records", "Records published, by kind", ["kind"], **kw)
        self.rejects = Counter("msa_ingest_rejects", "Input rejected, by reason", ["reason"], **kw)
        self.lines = Counter("msa_ingest_lines", "Input lines read", **kw)
        self.duplicates = Counter("msa_ingest_duplicates", "Reports dropped as multi-receiver duplicates", **kw)
        self.tag_blocks_ignored = Counter("msa_ingest_tag_blocks_ignored",
                                          "Tag blocks ignored (checksum does not match), their lines read without",
                                          **kw)
        self.batches = Counter("msa_ingest_batches", "Kafka batches submitted", **kw)


_KIND_TOPIC = {PositionReport: "positions", StaticVesselData: "static", AisOther: "other",
               SatelliteDetection: "satellite", SceneFootprint: "satellite"}
_ENCODED_TOPIC = {"position": "positions", "static": "static", "other": "other"}
_KIND_NAME = {PositionReport: "position", StaticVesselData: "static", AisOther: "other",
              SatelliteDetection: "detection", SceneFootprint: "scene"}


class Publisher:
    def __init__(self, producer: Any, topics: TopicMap | None = None, metrics: IngestMetrics | None = None,
                 *, max_in_flight: int = 64) -> None:
        self.producer = producer
        self.topics = topics or TopicMap()
        self.metrics = metrics
        self.max_in_flight = max_in_flight
        self._partitions: dict[str, list[int]] = {}
        self._key_partition: dict[tuple[str, bytes], int] = {}
        self._builders: dict[tuple[str, int], Any] = {}
        self._in_flight: deque[asyncio.Future[Any]] = deque()
        self._partitioner = DefaultPartitioner()
        self.published: dict[str, int] = {}
        self.rejected: dict[str, int] = {}
        self.batches = 0

    async def start(self) -> None:
        for name in self.topics.names():
            parts = await self.producer.partitions_for(name)
            self._partitions[name] = sorted(parts)

    def _partition(self, topic: str, key: bytes) -> int:
        cache_key = (topic, key)
        p = self._key_partition.get(cache_key)
        if p is None:
            parts = self._partitions[topic]
            p = self._partitioner(key, parts, parts)
            if len(self._key_partition) > 500_000:
                self._key_partition.clear()
            self._key_partition[cache_key] = p
        return p

    async def publish(self, items: list[Any]) -> None:
        """Append records and rejects to batches; full batches are submitted."""
        topics = self.topics
        builders = self._builders
        records_kind: dict[str, int] = {}
        for item in items:
            cls = type(item)
            if cls is Encoded:  # decoder fast path: key and value ready
                kind = item.kind
                topic = topics.positions if kind == "position" else getattr(topics, _ENCODED_TOPIC[kind])
                key = item.key
                value = item.value
                records_kind[kind] = records_kind.get(kind, 0) + 1
            elif cls is Reject:
                topic = topics.rejects
                key = (item.source or "-").encode()
                value = dumps(reject_to_dict(item))
                self.rejected[item.reason] = self.rejected.get(item.reason, 0) + 1
                if self.metrics is not None:
                    self.metrics.rejects.labels(item.reason).inc()
            else:
                topic = getattr(topics, _KIND_TOPIC[cls])
                if cls is SatelliteDetection or cls is SceneFootprint:
                    key = item.scene_id.encode()
                else:
                    key = b"%d" % item.mmsi
                value = dumps(record_to_dict(item))
                kind = _KIND_NAME[cls]
                records_kind[kind] = records_kind.get(kind, 0) + 1
            p = self._key_partition.get((topic, key))
            if p is None:
                p = self._partition(topic, key)
            tp = (topic, p)
            builder = builders.get(tp)
            if builder is None:
                builder = builders[tp] = self.producer.create_batch()
            if builder.append(timestamp=None, key=key, value=value) is None:  # full: submit, start another
                await self._submit(tp, builder)
                builders = self._builders
                builder = builders[tp] = self.producer.create_batch()
                if builder.append(timestamp=None, key=key, value=value) is None:
                    raise ValueError(f"record of {len(value)} bytes does not fit in an empty batch")
        for kind, n in records_kind.items():
            if self.metrics is not None:
                self.metrics.records.labels(kind).inc(n)
            self.published[kind] = self.published.get(kind, 0) + n

    async def _submit(self, tp: tuple[str, int], builder: Any) -> None:
        while len(self._in_flight) >= self.max_in_flight:
            await self._in_flight.popleft()
        fut = await self.producer.send_batch(builder, tp[0], partition=tp[1])
        self._in_flight.append(fut)
        self.batches += 1
        if self.metrics is not None:
            self.metrics.batches.inc()

    async def submit_open(self) -> None:
        """Submit every open batch without waiting for delivery (call it every linger period on live feeds)."""
        builders, self._builders = self._builders, {}
        for tp, builder in builders.items():
            if builder.record_count():
                await self._submit(tp, builder)

    async def flush(self) -> None:
        """Submit every open batch and wait until all are acknowledged by the broker."""
        await self.submit_open()
        while self._in_flight:
            await self._in_flight.popleft()
