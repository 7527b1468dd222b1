"""``msa partner-router``: ``alerts.v1`` → ``alerts.v1.partner.<name>`` per subscription (zones, kinds).

CloudEvents binary mode like ``alerts.v1``; the data is the partner view of the Feature. Offsets are
committed after every produced record is acknowledged (idempotent producer, acks=all): at-least-once, and a
partner deduplicates on ``ce_id`` (alert id + version).

A record that is not an alert (or cannot be turned into a partner event) does not stop the router: it is
dead-lettered to ``alerts.partner-router-rejects.v1`` (reason, detail, ``topic[partition]@offset``, raw)
before the offsets move on, and counted in the log.
"""

from __future__ import annotations

import asyncio
import logging
import time

from msa.contracts.codec import dumps, reject_to_dict
from msa.contracts.topics import TopicSpec, partner_topic
from msa.domain import Reject
from msa.kafka import ensure_topics, make_consumer, make_producer
from services.api.admin_store import load_subscriptions
from services.api.db import make_engine
from services.api.partners import Subscription, partner_feature, route
from services.api.settings import ApiSettings
from services.api.sink import reject_record, rejects_topic
from services.api.wire import decode_alert, encode_partner_alert

__all__ = ["run_partner_router"]

log = logging.getLogger(__name__)

REFRESH_S = 10.0


async def run_partner_router(settings: ApiSettings, stop: asyncio.Event | None = None, *,
                             topic: str | None = None, group: str | None = None) -> None:
    stop = stop or asyncio.Event()
    engine = make_engine(settings.database_url, pool_size=1)
    consumer = make_consumer(settings.kafka_bootstrap, topic or settings.alerts_topic,
                             group_id=group or settings.router_group, client_id="msa-partner-router")
    producer = make_producer(settings.kafka_bootstrap, client_id="msa-partner-router")
    dead_topic = rejects_topic(topic or settings.alerts_topic, "partner-router")
    subs: list[Subscription] = []
    created: set[str] = set()
    loaded_at = -REFRESH_S
    await consumer.start()
    await producer.start()
    try:
        while not stop.is_set():
            if time.monotonic() - loaded_at >= REFRESH_S:
                async with engine.connect() as conn:
                    subs = await load_subscriptions(conn)
                loaded_at = time.monotonic()
                wanted = [partner_topic(s.partner) for s in subs if s.enabled]
                missing = [t for t in wanted if t not in created]
                if missing:
                    await ensure_topics(settings.kafka_bootstrap,
                                        [TopicSpec(t, 3, "alert_id", "alert", "partner alerts") for t in missing])
                    created.update(missing)
            batch = await consumer.getmany(timeout_ms=300, max_records=500)
            if not batch:
                continue
            futures = []
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
                    for partner, (key, headers, value) in events:
                        futures.append(await producer.send(partner_topic(partner), value, key=key,
                                                           headers=headers))
            for rej in dead:  # dead-lettered before the offsets move on
                futures.append(await producer.send(dead_topic, dumps(reject_to_dict(rej)), key=rej.source.encode()))
            for fut in futures:
                await fut
            await consumer.commit({tp: msgs[-1].offset + 1 for tp, msgs in batch.items() if msgs})
    finally:
        await producer.stop()
        await consumer.stop()
        await engine.dispose()
