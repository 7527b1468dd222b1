"""Kafka helpers shared by the services: producer/consumer factories and topic creation (aiokafka)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.coordinator.assignors.abstract import AbstractPartitionAssignor
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from msa.contracts.topics import ALL_TOPICS, TopicSpec

__all__ = ["ensure_topics", "make_consumer", "make_producer", "wait_for_broker"]

log = logging.getLogger(__name__)


def make_producer(bootstrap: str, *, linger_ms: int = 20, max_batch_size: int = 256 * 1024,
                  client_id: str = "msa") -> AIOKafkaProducer:
    """Idempotent producer with ``acks=all``: a retried send is never written twice."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=linger_ms,
        max_batch_size=max_batch_size,
        compression_type=None,
        request_timeout_ms=30000,
    )


def make_consumer(bootstrap: str, *topics: str, group_id: str | None, client_id: str = "msa",
                  auto_offset_reset: str = "earliest", max_poll_records: int = 2000,
                  partition_assignment_strategy: tuple[type[AbstractPartitionAssignor], ...] | None = None,
                  ) -> AIOKafkaConsumer:
    """Consumer with auto-commit off: callers commit after their effects are durable."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset=auto_offset_reset,
        max_poll_records=max_poll_records,
        isolation_level="read_uncommitted",
        **({"partition_assignment_strategy": partition_assignment_strategy}
           if partition_assignment_strategy else {}),
    )


async def wait_for_broker(bootstrap: str, timeout_s: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        try:
            await admin.start()
            await admin.list_topics()
            return
        except KafkaConnectionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)
        finally:
            await admin.close()


def replication_for(n_brokers: int) -> tuple[int, int]:
    """(replication factor, min.insync.replicas) for a cluster of ``n_brokers``: 3 and 2 from three brokers
    on (``acks=all`` then survives one broker lost), 1 and 1 on a single broker."""
    rf = max(1, min(3, n_brokers))
    return rf, (2 if rf >= 3 else 1)


def _configs(spec: TopicSpec, min_isr: int = 1) -> dict[str, str]:
    configs: dict[str, str] = {"min.insync.replicas": str(min_isr)} if min_isr > 1 else {}
    if spec.compacted:
        configs["cleanup.policy"] = "compact"
    if spec.retention_ms is not None:
        configs["retention.ms"] = str(spec.retention_ms)
    return configs


async def ensure_topics(bootstrap: str, specs: Iterable[TopicSpec] = ALL_TOPICS) -> list[str]:
    """Create missing topics (idempotent), replicated as the cluster allows (``replication_for``). Returns the
    names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        cluster = await admin.describe_cluster()
        rf, min_isr = replication_for(len(cluster.get("brokers") or []) or 1)
        new = [NewTopic(name=s.name, num_partitions=s.partitions, replication_factor=rf,
                        topic_configs=_configs(s, min_isr))
               for s in specs if s.name not in existing]
        if new:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(new)
        return [t.name for t in new]
    finally:
        await admin.close()
