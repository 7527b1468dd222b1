"""alerts.v1 on the real Kafka → sink → PostGIS → API and live feed; replaying twice changes nothing."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import func, select

from msa.contracts.topics import TopicSpec
from msa.domain import Alert, AlertStatus
from msa.kafka import ensure_topics, make_producer
from services.api.db import make_engine
from services.api.metrics import SinkMetrics
from services.api.principal import Role
from services.api.sink import rejects_topic, run_sink
from services.api.tables import alert_events, alert_feed, alerts
from services.api.wire import encode_alert
from tests.unit.api.builders import alert, token
from tests.unit.api.live import api_settings, bearer, read_sse, running_api

pytestmark = pytest.mark.integration


async def produce(bootstrap: str, topic: str, items: list[Alert], garbage: bool = False) -> None:
    producer = make_producer(bootstrap)
    await producer.start()
    try:
        if garbage:
            await producer.send_and_wait(topic, b"{not json", key=b"x", headers=[("ce_specversion", b"1.0")])
        for a in items:
            key, headers, value = encode_alert(a)
            await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


async def counts(url: str, zone: str) -> tuple[int, int, int]:
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            ids = select(alerts.c.alert_id).where(alerts.c.zone == zone)
            n_alerts = (await conn.execute(select(func.count()).select_from(alerts)
                                           .where(alerts.c.zone == zone))).scalar_one()
            n_audit = (await conn.execute(select(func.count()).select_from(alert_events)
                                          .where(alert_events.c.alert_id.in_(ids)))).scalar_one()
            n_feed = (await conn.execute(select(func.count()).select_from(alert_feed)
                                         .where(alert_feed.c.alert_id.in_(ids)))).scalar_one()
            return int(n_alerts), int(n_audit), int(n_feed)
    finally:
        await engine.dispose()


async def wait_for(pred: object, timeout_s: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await pred():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.1)


async def test_sink_is_idempotent_and_alerts_reach_api_and_feed(migrated_database_url: str,
                                                                 kafka_bootstrap: str, unique: str) -> None:
    zone = f"z{uuid.uuid4().hex[:8]}"
    topic = f"test.alerts.{unique}"
    await ensure_topics(kafka_bootstrap, [TopicSpec(topic, 3, "alert_id", "alert", "test")])
    v1 = [alert(zone=zone, mmsi=(230000000 + i,)) for i in range(5)]
    v2 = alert(zone=zone, mmsi=(230000000,), version=2, status=AlertStatus.UPDATED)
    settings = api_settings(migrated_database_url, kafka_bootstrap, alerts_topic=topic)
    tok = token(Role.OFFICER, (zone,))
    metrics = SinkMetrics()
    stop = asyncio.Event()
    sink = asyncio.create_task(run_sink(settings, stop, group=f"sink-{unique}", metrics=metrics))
    try:
        async with running_api(settings) as base, httpx.AsyncClient(base_url=base, timeout=30) as c:
            async with c.stream("GET", "/alerts/stream", headers=bearer(tok)) as feed:
                assert feed.status_code == 200
                await produce(kafka_bootstrap, topic, [*v1, v2], garbage=True)
                events = await read_sse(feed, 6)
            assert len(events) == 6
            ids = [int(str(e["id"])) for e in events]
            assert ids == sorted(ids)
            assert {e["data"]["alert"]["alert_id"] for e in events} == {a.alert_id for a in v1}  # type: ignore[index]

            async def stored() -> bool:
                return (await counts(migrated_database_url, zone)) == (5, 6, 6)

            await wait_for(stored)
            r = await c.get(f"/alerts/{v2.alert_id}", headers=bearer(tok))
            assert r.json()["version"] == 2 and r.json()["status"] == "updated"

            # replay everything twice, plus the stale version 1 after version 2: nothing changes
            await produce(kafka_bootstrap, topic, [*v1, v2, *v1, v2])

            async def replayed() -> bool:
                samples = metrics.records.labels("unchanged")._value.get()
                return bool(samples >= 12)

            await wait_for(replayed)
            assert await counts(migrated_database_url, zone) == (5, 6, 6)
            assert (await c.get(f"/alerts/{v2.alert_id}", headers=bearer(tok))).json()["version"] == 2
            assert metrics.rejected.labels("undecodable")._value.get() == 1
    finally:
        stop.set()
        await asyncio.wait_for(sink, 20)


async def test_a_record_the_database_refuses_is_dead_lettered_and_the_others_are_stored(
        migrated_database_url: str, kafka_bootstrap: str, unique: str) -> None:
    """A NUL byte in a satellite sensor name passes ingest and the evidence contract, reaches an alert's text and
    PostgreSQL refuses it: the sink isolates that record (dead-letter ``unstorable``, with its offset) and stores
    the rest of the batch, instead of retrying the batch for ever."""
    zone = f"z{uuid.uuid4().hex[:8]}"
    topic = f"test.alerts.{unique}"
    await ensure_topics(kafka_bootstrap, [TopicSpec(topic, 1, "alert_id", "alert", "test"),
                                          TopicSpec(rejects_topic(topic), 1, "source", "reject", "test")])
    good = [alert(zone=zone, mmsi=(231000000 + i,)) for i in range(5)]
    poison = alert(zone=zone, mmsi=(231999999,), summary="vessel seen by S1A\x00IW with no AIS")
    metrics = SinkMetrics()
    stop = asyncio.Event()
    await produce(kafka_bootstrap, topic, [*good[:2], poison, *good[2:]])  # one batch, poison at offset 2
    sink = asyncio.create_task(run_sink(api_settings(migrated_database_url, kafka_bootstrap, alerts_topic=topic),
                                        stop, group=f"sink-{unique}", metrics=metrics))
    try:
        async def stored() -> bool:
            return (await counts(migrated_database_url, zone))[0] == len(good)

        await wait_for(stored)
        dead = await read_json(kafka_bootstrap, rejects_topic(topic), 1)
        assert [(d["reason"], d["source"]) for d in dead] == [("unstorable", f"{topic}[0]@2")]
        assert poison.alert_id in str(dead[0]["raw"]) and "0x00" in str(dead[0]["detail"])
        assert metrics.rejected.labels("unstorable")._value.get() == 1
        assert metrics.records.labels("created")._value.get() == len(good)
        assert metrics.retries._value.get() == 0  # a data error is not an outage
    finally:
        stop.set()
        await asyncio.wait_for(sink, 20)


async def read_json(bootstrap: str, topic: str, want: int, timeout_s: float = 30.0) -> list[dict[str, object]]:
    from aiokafka import AIOKafkaConsumer

    from msa.contracts.codec import loads

    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    out: list[dict[str, object]] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while len(out) < want and asyncio.get_running_loop().time() < deadline:
            for msgs in (await consumer.getmany(timeout_ms=500)).values():
                out += [loads(m.value) for m in msgs]
        await asyncio.sleep(0.5)  # and nothing more
        for msgs in (await consumer.getmany(timeout_ms=500)).values():
            out += [loads(m.value) for m in msgs]
    finally:
        await consumer.stop()
    return out
