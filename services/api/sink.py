"""``msa sink``: ``alerts.v1`` → PostGIS. Upsert per alert id (newer version wins), commit offsets after the
database transaction, so a crash or a replay changes nothing.

A record that is not an alert, or whose evidence does not follow its kind's contract (``msa.evidence``), is
not stored: it is counted (``msa_sink_rejected_total{reason}``) and dead-lettered (``alerts.rejects.v1``
for ``alerts.v1``: reason, detail, source topic/partition/offset and the raw record), before the offsets
are committed — nothing is lost."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiokafka import TopicPartition

from msa.contracts.codec import dumps, reject_to_dict
from msa.domain import Reject
from msa.evidence import EvidenceError, parse_evidence
from msa.kafka import make_consumer, make_producer
from services.api.db import make_engine
from services.api.metrics import SinkMetrics
from services.api.settings import ApiSettings
from services.api.sinkstore import upsert_alert
from services.api.wire import decode_alert

__all__ = ["rejects_topic", "run_sink", "store_batch"]

log = logging.getLogger(__name__)


def rejects_topic(alerts_topic: str) -> str:
    """Where the sink dead-letters what it refuses from ``alerts_topic`` (``alerts.v1`` → ``alerts.rejects.v1``)."""
    base, _, version = alerts_topic.rpartition(".")
    if base and version[:1] == "v" and version[1:].isdigit():
        return f"{base}.rejects.{version}"
    return f"{alerts_topic}.rejects"


def _reject(tp: TopicPartition, m: Any, reason: str, detail: str) -> Reject:
    raw = m.value.decode("utf-8", "replace") if isinstance(m.value, bytes | bytearray) else repr(m.value)
    return Reject(reason=reason, raw=raw, source=f"{tp.topic}[{tp.partition}]@{m.offset}", detail=detail[:500])


async def store_batch(engine: Any, batch: dict[TopicPartition, list[Any]], metrics: SinkMetrics,
                      dead: list[Reject] | None = None) -> None:
    """One transaction for the whole batch; what is refused is appended to ``dead`` (to dead-letter)."""
    async with engine.begin() as conn:
        for tp, msgs in batch.items():
            for m in msgs:
                try:
                    alert = decode_alert(list(m.headers or ()), m.value)
                except (ValueError, KeyError, TypeError) as exc:
                    metrics.rejected.labels(type(exc).__name__).inc()
                    log.warning("undecodable alert %s[%d]@%d: %s", tp.topic, tp.partition, m.offset, exc)
                    if dead is not None:
                        dead.append(_reject(tp, m, "undecodable", f"{type(exc).__name__}: {exc}"))
                    continue
                try:
                    parse_evidence(alert.kind.value, alert.evidence)
                except EvidenceError as exc:
                    metrics.rejected.labels("bad_evidence").inc()
                    log.warning("alert %s v%d refused: %s", alert.alert_id, alert.version, exc)
                    if dead is not None:
                        dead.append(_reject(tp, m, "bad_evidence", str(exc)))
                    continue
                result = await upsert_alert(conn, alert)
                metrics.records.labels(result).inc()


async def run_sink(settings: ApiSettings, stop: asyncio.Event | None = None, *, topic: str | None = None,
                   group: str | None = None, metrics: SinkMetrics | None = None) -> None:
    metrics = metrics or SinkMetrics()
    engine = make_engine(settings.database_url, pool_size=2)
    consumer = make_consumer(settings.kafka_bootstrap, topic or settings.alerts_topic,
                             group_id=group or settings.sink_group, client_id="msa-sink", max_poll_records=500)
    producer = make_producer(settings.kafka_bootstrap, client_id="msa-sink")
    dead_topic = rejects_topic(topic or settings.alerts_topic)
    stop = stop or asyncio.Event()
    await producer.start()
    await consumer.start()
    log.info("sink consuming %s as %s", topic or settings.alerts_topic, group or settings.sink_group)
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=300, max_records=500)
            if not batch:
                continue
            while True:
                dead: list[Reject] = []
                try:
                    await store_batch(engine, batch, metrics, dead)
                    for rej in dead:  # dead-lettered before the offsets move on
                        await producer.send_and_wait(dead_topic, dumps(reject_to_dict(rej)),
                                                     key=rej.source.encode())
                    break
                except Exception:  # database down: retry the same batch, offsets not committed
                    log.exception("storing a batch failed; retrying")
                    await asyncio.sleep(1.0)
                    if stop.is_set():
                        return
            await consumer.commit({tp: msgs[-1].offset + 1 for tp, msgs in batch.items() if msgs})
    finally:
        await consumer.stop()
        await producer.stop()
        await engine.dispose()
