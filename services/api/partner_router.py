"""``msa partner-router``: ``alerts.v1`` → ``alerts.v1.partner.<name>`` per subscription (zones, kinds).

CloudEvents binary mode like ``alerts.v1``; the data is the partner view of the Feature. The partner events of
a batch, its dead letters and its offsets commit in one Kafka transaction: a partner reading with
``isolation.level=read_committed`` gets each event exactly once, whatever kill or restart came between (a
``read_uncommitted`` reader may see an aborted attempt too, and deduplicates on ``ce_id``, alert id + version).

A record that is not an alert (or cannot be turned into a partner event) does not stop the router: it is
dead-lettered to ``alerts.partner-router-rejects.v1`` (reason, detail, ``topic[partition]@offset``, raw)
in that transaction, and counted in the log. With the database away it routes with the subscriptions it last
read (and waits if it has read none); a broker outage is retried with backoff; a producer fenced by a newer
instance with its transactional id exits (the supervisor restarts it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path

from msa.contracts.codec import dumps, reject_to_dict
from msa.contracts.topics import TopicSpec, partner_topic
from msa.domain import Reject
from msa.kafka import (
    OutRecord,
    ProducerBrokenError,
    commit_with_records,
    ensure_topics,
    make_consumer,
    make_transactional_producer,
    transactional_id,
)
from services.api.admin_store import load_subscriptions
from services.api.db import is_database_outage, make_engine
from services.api.partners import Subscription, partner_feature, route
from services.api.settings import ApiSettings
from services.api.sink import reject_record, rejects_topic
from services.api.wire import decode_alert, encode_partner_alert

__all__ = ["run_partner_router"]

log = logging.getLogger(__name__)

REFRESH_S = 10.0
REFRESH_WAIT_S = 2.0
ALIVE_EVERY_S = 5.0


async def run_partner_router(settings: ApiSettings, stop: asyncio.Event | None = None, *,
                             topic: str | None = None, group: str | None = None, instance: str | None = None,
                             alive_file: Path | None = None) -> None:
    """Route until ``stop``; ``alive_file``, when given, is touched every few seconds while the loop turns (a
    container health check reads its age)."""
    stop = stop or asyncio.Event()
    topic, group = topic or settings.alerts_topic, group or settings.router_group
    engine = make_engine(settings.database_url, pool_size=1)
    consumer = make_consumer(settings.kafka_bootstrap, topic, group_id=group, client_id="msa-partner-router")
    producer = make_transactional_producer(settings.kafka_bootstrap,
                                           transactional_id("partner-router", group, topic, instance),
                                           client_id="msa-partner-router")
    dead_topic = rejects_topic(topic, "partner-router")
    subs: list[Subscription] = []
    created: set[str] = set()
    loaded_at = -REFRESH_S  # < 0: never loaded
    touched_at = 0.0
    await consumer.start()
    await producer.start()
    try:
        while not stop.is_set():
            if alive_file is not None and time.monotonic() - touched_at >= ALIVE_EVERY_S:
                alive_file.touch()  # noqa: ASYNC240 - every 5 s, a microsecond
                touched_at = time.monotonic()
            if time.monotonic() - loaded_at >= REFRESH_S:
                try:
                    async with engine.connect() as conn:
                        subs = await load_subscriptions(conn)
                    loaded_at = time.monotonic()
                except Exception as exc:
                    if not is_database_outage(exc):
                        raise
                    if loaded_at < 0:  # never loaded: routing to nobody would lose events, so wait
                        log.warning("waiting for the database to read the subscriptions (%s)",
                                    str(exc).splitlines()[0][:200])
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(stop.wait(), REFRESH_WAIT_S)
                        continue
                    log.warning("database unavailable: routing with the subscriptions last read (%s)",
                                str(exc).splitlines()[0][:200])
                    loaded_at = time.monotonic()  # tried again after REFRESH_S
                wanted = [partner_topic(s.partner) for s in subs if s.enabled]
                missing = [t for t in wanted if t not in created]
                if missing:
                    await ensure_topics(settings.kafka_bootstrap,
                                        [TopicSpec(t, 3, "alert_id", "alert", "partner alerts") for t in missing])
                    created.update(missing)
            batch = await consumer.getmany(timeout_ms=300, max_records=500)
            if not batch:
                continue
            out: list[OutRecord] = []
            dead: list[Reject] = []
            for tp, msgs in batch.items():
                for m in msgs:
                    try:
                        alert = decode_alert(list(m.headers or ()), m.value)
                    except (ValueError, KeyError, TypeError) as exc:
                        log.warning("undecodable alert %s[%d]@%d: %s", tp.topic, tp.partition, m.offset, exc)
                        dead.append(reject_record(tp, m, "undecodable", f"{type(exc).__name__}: {exc}"))
                        continue
                    try:
                        events = [(partner, encode_partner_alert(alert, partner, partner_feature(alert)))
                                  for partner in route(subs, alert)]
                    except (ValueError, KeyError, TypeError) as exc:  # a record this code cannot render
                        log.warning("unroutable alert %s[%d]@%d: %s", tp.topic, tp.partition, m.offset, exc)
                        dead.append(reject_record(tp, m, "unroutable", f"{type(exc).__name__}: {exc}"))
                        continue
                    out += [(partner_topic(partner), value, key, headers)
                            for partner, (key, headers, value) in events]
            out += [(dead_topic, dumps(reject_to_dict(rej)), rej.source.encode(), None) for rej in dead]
            offsets = {tp: msgs[-1].offset + 1 for tp, msgs in batch.items() if msgs}
            backoff_s = 1.0
            while True:
                try:
                    await commit_with_records(producer, group, offsets, out)
                    break
                except ProducerBrokenError:
                    raise
                except Exception as exc:  # an outage: the transaction was aborted; the same batch again
                    log.warning("routing a batch failed (%s: %s); retrying in %.0f s", type(exc).__name__,
                                str(exc)[:200], backoff_s)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), backoff_s)
                    if stop.is_set():
                        return
                    backoff_s = min(backoff_s * 2, 30.0)
    finally:
        await producer.stop()
        await consumer.stop()
        await engine.dispose()
