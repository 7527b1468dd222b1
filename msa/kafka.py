"""Kafka helpers shared by the services: producer/consumer factories and topic creation (aiokafka)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.coordinator.assignors.abstract import AbstractPartitionAssignor
from aiokafka.errors import (
    IllegalOperation,
    InvalidTxnState,
    KafkaConnectionError,
    KafkaError,
    ProducerFenced,
    TopicAlreadyExistsError,
)
from aiokafka.helpers import create_ssl_context
from aiokafka.structs import TopicPartition
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from msa.contracts.topics import ALL_TOPICS, TopicSpec

__all__ = ["KafkaSecurity", "OutRecord", "ProducerBrokenError", "TopicOffsets", "admin_client", "client_security",
           "commit_with_records", "ensure_topics", "make_consumer", "make_producer", "make_transactional_producer",
           "transactional_id", "under_replicated", "wait_for_broker"]

log = logging.getLogger(__name__)


class KafkaSecurity(BaseSettings):
    """How every client of this process authenticates to the broker (``MSA_KAFKA_*``). PLAINTEXT by default
    (the local loopback broker); ``SASL_PLAINTEXT`` or ``SASL_SSL`` with SCRAM for a broker on a network
    (the compose file's is SCRAM-SHA-512)."""

    model_config = SettingsConfigDict(env_prefix="MSA_KAFKA_", extra="ignore")

    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: str | None = Field(None, description="CA bundle for SSL / SASL_SSL (default: the system's)")


def client_security() -> dict[str, Any]:
    """The keyword arguments of every aiokafka client (producer, consumer, admin) for ``MSA_KAFKA_*``.
    Raises ``ValueError`` when SASL is asked for without a user name and password."""
    sec = KafkaSecurity()
    if sec.security_protocol == "PLAINTEXT":
        return {}
    out: dict[str, Any] = {"security_protocol": sec.security_protocol}
    if sec.security_protocol.endswith("SSL"):
        out["ssl_context"] = create_ssl_context(cafile=sec.ssl_cafile)
    if sec.security_protocol.startswith("SASL"):
        if not sec.sasl_username or sec.sasl_password is None or not sec.sasl_password.get_secret_value():
            raise ValueError(f"MSA_KAFKA_SECURITY_PROTOCOL={sec.security_protocol} needs MSA_KAFKA_SASL_USERNAME "
                             "and MSA_KAFKA_SASL_PASSWORD")
        out.update(sasl_mechanism=sec.sasl_mechanism, sasl_plain_username=sec.sasl_username,
                   sasl_plain_password=sec.sasl_password.get_secret_value())
    return out


def admin_client(bootstrap: str, *, request_timeout_ms: int = 30000, client_id: str = "msa") -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=request_timeout_ms,
                               client_id=client_id, **client_security())


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
        **client_security(),
    )


def transactional_id(role: str, group: str, topic: str, instance: str | None = None) -> str:
    """A stable id per consumer of a group: a restarted instance takes over (and aborts) what its killed
    predecessor left open, at once rather than after the transaction timeout. Several instances of one group on
    one host need distinct ``instance`` values (``MSA_INSTANCE``); the default is the host name."""
    return f"msa-{role}:{group}:{topic}:{instance or os.environ.get('MSA_INSTANCE') or socket.gethostname()}"


def make_transactional_producer(bootstrap: str, txn_id: str, *, client_id: str = "msa",
                                linger_ms: int = 5) -> AIOKafkaProducer:
    """A producer whose records and the consumer offsets they answer commit together (Kafka transactions):
    a ``read_committed`` reader sees each once, whatever kill came between."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        transactional_id=txn_id,
        transaction_timeout_ms=30000,
        linger_ms=linger_ms,
        compression_type=None,
        request_timeout_ms=30000,
        **client_security(),
    )


OutRecord = tuple[str, bytes, bytes | None, Sequence[tuple[str, bytes]] | None]  # topic, value, key, headers


async def commit_with_records(producer: AIOKafkaProducer, group_id: str, offsets: dict[TopicPartition, int],
                              records: Iterable[OutRecord]) -> int:
    """Produce ``records`` and commit ``offsets`` for ``group_id`` in one transaction; returns how many were
    sent. On an error the transaction is aborted (nothing visible, offsets unmoved) and the error raised."""
    n = 0
    try:
        async with producer.transaction():
            for topic, value, key, headers in records:
                await producer.send(topic, value, key=key, headers=list(headers) if headers else None)
                n += 1
            if offsets:
                await producer.send_offsets_to_transaction(offsets, group_id)
    except (ProducerFenced, InvalidTxnState, IllegalOperation) as exc:
        raise ProducerBrokenError(f"{type(exc).__name__}: {exc}") from exc
    except Exception as exc:
        txn = producer._txn_manager  # aiokafka keeps no public flag for "this producer is done"
        if txn is not None and txn.is_fatal_error():
            raise ProducerBrokenError(f"{type(exc).__name__}: {exc}") from exc
        raise
    return n


class ProducerBrokenError(RuntimeError):
    """The transactional producer can no longer be used (fenced by a newer instance with its id, or a fatal
    error): the process must exit and be restarted, which aborts what it left open."""


def make_consumer(bootstrap: str, *topics: str, group_id: str | None, client_id: str = "msa",
                  auto_offset_reset: str = "earliest", max_poll_records: int = 2000,
                  partition_assignment_strategy: tuple[type[AbstractPartitionAssignor], ...] | None = None,
                  isolation_level: str = "read_uncommitted") -> AIOKafkaConsumer:
    """Consumer with auto-commit off: callers commit after their effects are durable."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset=auto_offset_reset,
        max_poll_records=max_poll_records,
        isolation_level=isolation_level,
        **client_security(),
        **({"partition_assignment_strategy": partition_assignment_strategy}
           if partition_assignment_strategy else {}),
    )


async def wait_for_broker(bootstrap: str, timeout_s: float = 60.0) -> None:
    """Until the broker answers a metadata request. A broker just started may refuse connections, answer
    without itself in the metadata, or not be ready for requests (``NodeNotReadyError``): any transient
    (``retriable``) error is retried until ``timeout_s``."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        admin = admin_client(bootstrap, request_timeout_ms=5000)
        try:
            await admin.start()
            await admin.list_topics()
            return
        except KafkaError as exc:
            if not (exc.retriable or isinstance(exc, KafkaConnectionError)) \
                    or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)
        finally:
            await admin.close()


class TopicOffsets:
    """How far topics are written (end offsets) and how far consumer groups have committed on them, summed over
    the partitions, through one consumer and one admin client kept open: cheap to poll several times a second
    (a benchmark or a fault test waiting for a service to catch up; what ``lag`` a group has).

        async with TopicOffsets(bootstrap) as offsets:
            while await offsets.lag("msa-alert-sink", "alerts.v1") > 0: ...
    """

    def __init__(self, bootstrap: str) -> None:
        self._consumer = make_consumer(bootstrap, group_id=None)
        self._admin = admin_client(bootstrap)
        self._partitions: dict[str, list[TopicPartition]] = {}

    async def __aenter__(self) -> TopicOffsets:
        await self._admin.start()
        await self._consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._consumer.stop()
        await self._admin.close()

    async def partitions(self, topic: str) -> list[TopicPartition]:
        """``topic``'s partitions (none while it does not exist), from the cluster's metadata once known."""
        if topic not in self._partitions:
            (desc,) = await self._admin.describe_topics([topic])
            parts = sorted(TopicPartition(topic, p["partition"]) for p in desc["partitions"])
            if not parts:
                return []
            self._partitions[topic] = parts
        return self._partitions[topic]

    async def end(self, topic: str) -> int:
        """Records written to ``topic`` (transaction markers included), over its partitions."""
        parts = await self.partitions(topic)
        return sum((await self._consumer.end_offsets(parts)).values()) if parts else 0

    async def committed(self, group: str, topic: str) -> int:
        """The offsets ``group`` committed on ``topic``, summed (0 for a partition it never committed)."""
        got = await self._admin.list_consumer_group_offsets(group, partitions=await self.partitions(topic))
        return sum(max(om.offset, 0) for om in got.values())

    async def lag(self, group: str, topic: str) -> int:
        return await self.end(topic) - await self.committed(group, topic)


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


async def under_replicated(admin: AIOKafkaAdminClient, names: list[str], rf: int) -> list[str]:
    """Existing topics with fewer replicas than the cluster allows (made on one broker, say): said, not changed
    — moving replicas is a reassignment to plan (``kafka-reassign-partitions.sh``, see the README)."""
    if not names:
        return []
    low = []
    for d in await admin.describe_topics(names):
        replicas = min((len(p.get("replicas", [])) for p in d.get("partitions", [])), default=rf)
        if replicas < rf:
            low.append(d["topic"])
            log.warning("topic %s has %d replica(s) on a cluster that allows %d: raise it with "
                        "kafka-reassign-partitions.sh (README: a replicated broker)", d["topic"], replicas, rf)
    return low


ENSURE_ATTEMPTS = 6  # ~15 s of backoff in all: a broker still starting, or one of a cluster down
ENSURE_BACKOFF_S = 0.5  # doubled after each failure, at most 5 s


async def ensure_topics(bootstrap: str, specs: Iterable[TopicSpec] = ALL_TOPICS, *,
                        attempts: int = ENSURE_ATTEMPTS, backoff_s: float = ENSURE_BACKOFF_S) -> list[str]:
    """Create missing topics (idempotent), replicated as the cluster allows (``replication_for``). Returns the
    names created.

    A transient broker error (aiokafka's ``retriable`` ones: ``NodeNotReadyError`` when the admin client's
    metadata request went to a broker that is not up yet or has just died, ``KafkaConnectionError``,
    ``NotControllerError``…) is retried with a fresh admin client, backing off from ``backoff_s`` (doubling,
    at most 5 s) for at most ``attempts`` attempts; then, or on any other error, the error is raised."""
    specs = list(specs)
    delay = backoff_s
    for attempt in range(1, attempts + 1):
        try:
            return await _ensure_topics_once(bootstrap, specs)
        except KafkaError as exc:
            if not exc.retriable or attempt >= attempts:
                raise
            log.warning("creating topics on %s: %s (%s); attempt %d of %d in %.1f s", bootstrap,
                        type(exc).__name__, exc, attempt + 1, attempts, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)
    raise AssertionError("unreachable: the last attempt returns or raises")


async def _ensure_topics_once(bootstrap: str, specs: list[TopicSpec]) -> list[str]:
    admin = admin_client(bootstrap)
    try:
        await admin.start()
        existing = set(await admin.list_topics())
        cluster = await admin.describe_cluster()
        rf, min_isr = replication_for(len(cluster.get("brokers") or []) or 1)
        new = [NewTopic(name=s.name, num_partitions=s.partitions, replication_factor=rf,
                        topic_configs=_configs(s, min_isr))
               for s in specs if s.name not in existing]
        if rf > 1:
            await under_replicated(admin, [s.name for s in specs if s.name in existing], rf)
        if new:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(new)
        return [t.name for t in new]
    finally:
        await admin.close()
