"""Partner router on the real Kafka: subscriptions by zone and kind, partner view only, CloudEvents headers."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from msa.contracts.codec import loads
from msa.contracts.topics import TopicSpec, partner_topic
from msa.domain import AlertKind, AlertStatus
from msa.kafka import ensure_topics, make_consumer
from services.api.admin_store import set_subscription
from services.api.db import make_engine
from services.api.partner_router import run_partner_router
from services.api.partners import Subscription
from tests.integration.test_api_sink import produce
from tests.unit.api.builders import alert, identity_anomaly
from tests.unit.api.live import api_settings

pytestmark = pytest.mark.integration


async def read_topic(bootstrap: str, topic: str, want: int, timeout_s: float = 20.0) -> list[object]:
    consumer = make_consumer(bootstrap, topic, group_id=None)
    await consumer.start()
    got: list[object] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while len(got) < want and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for msgs in batch.values():
                got.extend(msgs)
        extra = await consumer.getmany(timeout_ms=500)  # nothing more should arrive
        for msgs in extra.values():
            got.extend(msgs)
    finally:
        await consumer.stop()
    return got


async def test_partners_get_their_subscription_only(migrated_database_url: str, kafka_bootstrap: str,
                                                    unique: str, tmp_path: Path) -> None:
    zone = f"z{uuid.uuid4().hex[:8]}"
    topic = f"test.alerts.{unique}"
    coast, navy, ident = f"coast-{unique}", f"navy-{unique}", f"ident-{unique}"
    await ensure_topics(kafka_bootstrap, [TopicSpec(topic, 3, "alert_id", "alert", "test"),
                                          *(TopicSpec(partner_topic(p), 3, "alert_id", "alert", "test")
                                            for p in (coast, navy, ident))])
    engine = make_engine(migrated_database_url, pool_size=1)
    async with engine.begin() as conn:
        await set_subscription(conn, Subscription(coast, frozenset({zone}), frozenset()))
        await set_subscription(conn, Subscription(navy, frozenset({"*"}), frozenset({"rendezvous"})))
        await set_subscription(conn, Subscription(ident, frozenset({"*"}), frozenset({"identity_anomaly"})))
        with pytest.raises(ValueError, match="unknown alert kind"):  # a misspelt kind would route nothing
            await set_subscription(conn, Subscription(f"typo-{unique}", frozenset({"*"}),
                                                      frozenset({"identity_anomly"})))
    await engine.dispose()
    go_fast = alert(zone=zone)
    rdv = alert(zone=zone, kind=AlertKind.RENDEZVOUS, mmsi=(1, 2))
    foreign = alert(zone=zone + "-foreign")
    spoofed = identity_anomaly(zone=zone, status=AlertStatus.CLOSED)
    settings = api_settings(migrated_database_url, kafka_bootstrap, alerts_topic=topic)
    stop = asyncio.Event()
    alive = tmp_path / "router.alive"
    task = asyncio.create_task(run_partner_router(settings, stop, group=f"router-{unique}", alive_file=alive))
    try:
        await produce(kafka_bootstrap, topic, [go_fast, rdv, foreign, spoofed])
        coast_msgs = await read_topic(kafka_bootstrap, partner_topic(coast), 3)
        navy_msgs = await read_topic(kafka_bootstrap, partner_topic(navy), 1)
        ident_msgs = await read_topic(kafka_bootstrap, partner_topic(ident), 1)
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
    assert alive.exists()  # the compose health check's heartbeat
    coast_ids = sorted(m.key.decode() for m in coast_msgs)  # type: ignore[attr-defined]
    assert coast_ids == sorted([go_fast.alert_id, rdv.alert_id, spoofed.alert_id])  # every kind
    assert [m.key.decode() for m in navy_msgs] == [rdv.alert_id]  # type: ignore[attr-defined]
    assert [m.key.decode() for m in ident_msgs] == [spoofed.alert_id]  # type: ignore[attr-defined]
    ident_feature = loads(ident_msgs[0].value)  # type: ignore[attr-defined]
    assert ident_feature["properties"]["kind"] == "identity_anomaly"
    assert ident_feature["geometry"]["type"] == "MultiPoint"
    # the places, without their positions: partners get no track (issue 12)
    assert ident_feature["properties"]["evidence"]["clusters"] == \
        [{k: v for k, v in c.items() if k != "positions"} for c in spoofed.evidence["clusters"]]
    assert "track" not in ident_feature["properties"]["evidence"]
    for m in [*coast_msgs, *navy_msgs, *ident_msgs]:
        headers = dict(m.headers)  # type: ignore[attr-defined]
        assert headers["ce_specversion"] == b"1.0" and headers["content-type"] == b"application/geo+json"
        feature = loads(m.value)  # type: ignore[attr-defined]
        assert feature["type"] == "Feature" and feature["properties"]["zone"] == zone
        assert not {"workflow", "assignee", "comments"} & set(feature["properties"])


async def test_a_poison_record_is_dead_lettered_once_and_routing_goes_on(migrated_database_url: str,
                                                                         kafka_bootstrap: str, unique: str) -> None:
    from services.api.sink import rejects_topic

    zone = f"z{uuid.uuid4().hex[:8]}"
    topic = f"test.alerts.{unique}"
    coast = f"coast-{unique}"
    dead = rejects_topic(topic, "partner-router")
    await ensure_topics(kafka_bootstrap, [TopicSpec(topic, 1, "alert_id", "alert", "test"),
                                          TopicSpec(partner_topic(coast), 1, "alert_id", "alert", "test"),
                                          TopicSpec(dead, 1, "source", "reject", "test")])
    engine = make_engine(migrated_database_url, pool_size=1)
    async with engine.begin() as conn:
        await set_subscription(conn, Subscription(coast, frozenset({zone}), frozenset()))
    await engine.dispose()
    good = alert(zone=zone)
    await produce(kafka_bootstrap, topic, [good], garbage=True)  # garbage at offset 0, the alert at 1
    stop = asyncio.Event()
    task = asyncio.create_task(run_partner_router(api_settings(migrated_database_url, kafka_bootstrap,
                                                               alerts_topic=topic), stop, group=f"router-{unique}"))
    try:
        routed = await read_topic(kafka_bootstrap, partner_topic(coast), 1)
        rejected = await read_topic(kafka_bootstrap, dead, 1)
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
    assert [m.key.decode() for m in routed] == [good.alert_id]  # type: ignore[attr-defined]
    (rej,) = [loads(m.value) for m in rejected]  # type: ignore[attr-defined]
    assert rej["reason"] == "undecodable" and rej["source"] == f"{topic}[0]@0" and rej["raw"] == "{not json"
