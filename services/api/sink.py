"""``msa sink``: ``alerts.v1`` → PostGIS. Upsert per alert id (newer version wins), commit offsets after the
database transaction, so a crash or a replay changes nothing.

A record that is not an alert, or whose evidence does not follow its kind's contract (``msa.evidence``), is
not stored: it is counted (``msa_sink_rejected_total{reason}``) and dead-lettered (``alerts.rejects.v1``
for ``alerts.v1``: reason, detail, source topic/partition/offset and the raw record) in one Kafka transaction
with the batch's offsets — nothing is lost, and a ``read_committed`` reader of the dead letters sees each once
even when the sink is killed between the two (the restarted sink, same transactional id, aborts what was open).
A batch with nothing to dead-letter (the usual case) commits its offsets alone, without a transaction: that
keeps the sink's turn-around — and so the live feed's latency — to one round trip.

A record the database refuses (a data error: a NUL byte in a text, a value out of a column's range...) does
not stop the sink: the batch is split in halves, each stored in its own transaction, down to the record that
fails alone, which is dead-lettered (``unstorable``) while the others are stored. An outage (the database or
the broker unreachable) is not a data error: the same batch is retried with backoff (1 s doubling to 30 s,
``msa_sink_retries_total``), offsets uncommitted."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from msa.contracts.codec import dumps, reject_to_dict
from msa.domain import Reject
from msa.evidence import EvidenceError, parse_evidence
from msa.kafka import (
    ProducerBrokenError,
    commit_with_records,
    make_consumer,
    make_transactional_producer,
    transactional_id,
)
from services.api.db import is_database_outage, make_engine
from services.api.metrics import SinkMetrics
from services.api.settings import ApiSettings
from services.api.sinkstore import upsert_alert
from services.api.wire import decode_alert

__all__ = ["is_outage", "reject_record", "rejects_topic", "run_sink", "store_batch"]

log = logging.getLogger(__name__)


def rejects_topic(alerts_topic: str, consumer: str = "") -> str:
    """Where a consumer dead-letters what it refuses from ``alerts_topic``: the sink ``alerts.v1`` →
    ``alerts.rejects.v1``, another consumer (``consumer="partner-router"``) ``alerts.partner-router-rejects.v1``
    — one dead-letter topic per consumer, so each bad record is in each exactly once."""
    name = f"{consumer}-rejects" if consumer else "rejects"
    base, _, version = alerts_topic.rpartition(".")
    if base and version[:1] == "v" and version[1:].isdigit():
        return f"{base}.{name}.{version}"
    return f"{alerts_topic}.{name}"


def reject_record(tp: TopicPartition, m: Any, reason: str, detail: str) -> Reject:
    """A consumed record refused, with where it was (``topic[partition]@offset``), why and its raw text."""
    return _reject(tp, m, reason, detail)


def _reject(tp: TopicPartition, m: Any, reason: str, detail: str) -> Reject:
    raw = m.value.decode("utf-8", "replace") if isinstance(m.value, bytes | bytearray) else repr(m.value)
    return Reject(reason=reason, raw=raw, source=f"{tp.topic}[{tp.partition}]@{m.offset}", detail=detail[:500])


def is_outage(exc: BaseException) -> bool:
    """The database or the network away (retry the same records later), not a record it refuses."""
    return is_database_outage(exc) or isinstance(exc, KafkaError)


async def store_batch(engine: Any, batch: dict[TopicPartition, list[Any]], metrics: SinkMetrics,
                      dead: list[Reject] | None = None) -> None:
    """Store the batch (one transaction when the database takes every record); what is refused is appended to
    ``dead`` (to dead-letter). A record the database refuses is isolated by halving (see the module doc); an
    outage is raised for the caller to retry."""
    await _store(engine, [(tp, m) for tp, msgs in batch.items() for m in msgs], metrics,
                 dead if dead is not None else [])


async def _store(engine: Any, records: list[tuple[TopicPartition, Any]], metrics: SinkMetrics,
                 dead: list[Reject]) -> None:
    refused: list[Reject] = []
    results: list[str] = []
    try:
        await _store_once(engine, records, refused, results)
    except Exception as exc:
        if is_outage(exc):
            raise
        if len(records) == 1:
            tp, m = records[0]
            metrics.rejected.labels("unstorable").inc()
            log.warning("record %s[%d]@%d refused by the database: %s", tp.topic, tp.partition, m.offset, exc)
            dead.append(_reject(tp, m, "unstorable", f"{type(exc).__name__}: {exc}"))
            return
        half = len(records) // 2
        await _store(engine, records[:half], metrics, dead)
        await _store(engine, records[half:], metrics, dead)
        return
    for rej in refused:
        metrics.rejected.labels(rej.reason).inc()
    for result in results:
        metrics.records.labels(result).inc()
    dead += refused


async def _store_once(engine: Any, records: list[tuple[TopicPartition, Any]], refused: list[Reject],
                      results: list[str]) -> None:
    """One transaction; the refusals and results are the caller's to count once it committed."""
    async with engine.begin() as conn:
        for tp, m in records:
            try:
                alert = decode_alert(list(m.headers or ()), m.value)
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("undecodable alert %s[%d]@%d: %s", tp.topic, tp.partition, m.offset, exc)
                refused.append(_reject(tp, m, "undecodable", f"{type(exc).__name__}: {exc}"))
                continue
            try:
                parse_evidence(alert.kind.value, alert.evidence)
            except EvidenceError as exc:
                log.warning("alert %s v%d refused: %s", alert.alert_id, alert.version, exc)
                refused.append(_reject(tp, m, "bad_evidence", str(exc)))
                continue
            results.append(await upsert_alert(conn, alert))


async def run_sink(settings: ApiSettings, stop: asyncio.Event | None = None, *, topic: str | None = None,
                   group: str | None = None, metrics: SinkMetrics | None = None, instance: str | None = None,
                   ) -> None:
    metrics = metrics or SinkMetrics()
    topic, group = topic or settings.alerts_topic, group or settings.sink_group
    engine = make_engine(settings.database_url, pool_size=2)
    consumer = make_consumer(settings.kafka_bootstrap, topic, group_id=group, client_id="msa-sink",
                             max_poll_records=500)
    producer = make_transactional_producer(settings.kafka_bootstrap, transactional_id("sink", group, topic, instance),
                                           client_id="msa-sink")
    dead_topic = rejects_topic(topic)
    stop = stop or asyncio.Event()
    await producer.start()
    await consumer.start()
    log.info("sink consuming %s as %s", topic, group)
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=300, max_records=500)
            if not batch:
                continue
            backoff_s = 1.0
            while True:
                dead: list[Reject] = []
                try:
                    await store_batch(engine, batch, metrics, dead)
                    offsets = {tp: msgs[-1].offset + 1 for tp, msgs in batch.items() if msgs}
                    if dead:  # the dead letters and the offsets, together
                        await commit_with_records(producer, group, offsets, [
                            (dead_topic, dumps(reject_to_dict(rej)), rej.source.encode(), None) for rej in dead])
                    else:  # nothing to dead-letter: one offset commit, not a transaction's three round trips
                        await consumer.commit(offsets)
                    break
                except ProducerBrokenError:  # another instance took this id (it goes on), or the producer is done
                    raise
                except Exception as exc:  # an outage: retry the same batch, offsets not committed
                    metrics.retries.inc()
                    log.warning("storing a batch failed (%s: %s); retrying in %.0f s", type(exc).__name__,
                                str(exc)[:200], backoff_s, exc_info=not is_outage(exc))
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), backoff_s)
                    if stop.is_set():
                        return
                    backoff_s = min(backoff_s * 2, 30.0)
    finally:
        await consumer.stop()
        await producer.stop()
        await engine.dispose()
