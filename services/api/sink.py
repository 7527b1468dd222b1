"""``msa sink``: ``alerts.v1`` → PostGIS. Upsert per alert id (newer version wins), commit offsets after the
database transaction, so a crash or a replay changes nothing. Undecodable records are counted and logged."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiokafka import TopicPartition

from msa.kafka import make_consumer
from services.api.db import make_engine
from services.api.metrics import SinkMetrics
from services.api.settings import ApiSettings
from services.api.sinkstore import upsert_alert
from services.api.wire import decode_alert

__all__ = ["run_sink", "store_batch"]

log = logging.getLogger(__name__)


async def store_batch(engine: Any, batch: dict[TopicPartition, list[Any]], metrics: SinkMetrics) -> None:
    """One transaction for the whole batch."""
    async with engine.begin() as conn:
        for tp, msgs in batch.items():
            for m in msgs:
                try:
                    alert = decode_alert(list(m.headers or ()), m.value)
                except (ValueError, KeyError, TypeError) as exc:
                    metrics.rejected.labels(type(exc).__name__).inc()
                    log.warning("undecodable alert %s[%d]@%d: %s", tp.topic, tp.partition, m.offset, exc)
                    continue
                result = await upsert_alert(conn, alert)
                metrics.records.labels(result).inc()


async def run_sink(settings: ApiSettings, stop: asyncio.Event | None = None, *, topic: str | None = None,
                   group: str | None = None, metrics: SinkMetrics | None = None) -> None:
    metrics = metrics or SinkMetrics()
    engine = make_engine(settings.database_url, pool_size=2)
    consumer = make_consumer(settings.kafka_bootstrap, topic or settings.alerts_topic,
                             group_id=group or settings.sink_group, client_id="msa-sink", max_poll_records=500)
    stop = stop or asyncio.Event()
    await consumer.start()
    log.info("sink consuming %s as %s", topic or settings.alerts_topic, group or settings.sink_group)
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=300, max_records=500)
            if not batch:
                continue
            while True:
                try:
                    await store_batch(engine, batch, metrics)
                    break
                except Exception:  # database down: retry the same batch, offsets not committed
                    log.exception("storing a batch failed; retrying")
                    await asyncio.sleep(1.0)
                    if stop.is_set():
                        return
            await consumer.commit({tp: msgs[-1].offset + 1 for tp, msgs in batch.items() if msgs})
    finally:
        await consumer.stop()
        await engine.dispose()
