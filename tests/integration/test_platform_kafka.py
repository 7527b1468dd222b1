"""Keyed records through the real broker, a consumer group, committed offsets."""

from __future__ import annotations

import pytest
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from msa.contracts.topics import TopicSpec
from msa.kafka import ensure_topics, make_consumer, make_producer

pytestmark = pytest.mark.integration


async def test_keyed_records_round_trip_with_committed_offsets(kafka_bootstrap: str, unique: str) -> None:
    topic = f"test.platform.{unique}"
    created = await ensure_topics(kafka_bootstrap, [TopicSpec(topic, 3, "mmsi", "position", "test")])
    assert created == [topic]
    assert await ensure_topics(kafka_bootstrap, [TopicSpec(topic, 3, "mmsi", "position", "test")]) == []

    producer = make_producer(kafka_bootstrap)
    await producer.start()
    sent = {}
    try:
        for i in range(30):
            key = str(224000000 + i % 5).encode()
            meta = await producer.send_and_wait(topic, value=f"v{i}".encode(), key=key)
            sent[i] = (key, meta.partition)
    finally:
        await producer.stop()
    # same key, same partition
    by_key: dict[bytes, set[int]] = {}
    for key, partition in sent.values():
        by_key.setdefault(key, set()).add(partition)
    assert all(len(parts) == 1 for parts in by_key.values())

    group = f"test-group-{unique}"
    consumer = make_consumer(kafka_bootstrap, topic, group_id=group)
    await consumer.start()
    got: list[tuple[bytes, bytes]] = []
    try:
        while len(got) < 30:
            batch = await consumer.getmany(timeout_ms=5000)
            assert batch, "no records within 5 s"
            for records in batch.values():
                got.extend((r.key, r.value) for r in records if r.key is not None and r.value is not None)
        await consumer.commit()
    finally:
        await consumer.stop()
    assert sorted(v for _, v in got) == sorted(f"v{i}".encode() for i in range(30))

    # a new member of the same group resumes after the committed offsets: nothing is read twice
    consumer2 = make_consumer(kafka_bootstrap, topic, group_id=group)
    await consumer2.start()
    try:
        again = await consumer2.getmany(timeout_ms=3000)
        assert sum(len(v) for v in again.values()) == 0
        committed = [await consumer2.committed(TopicPartition(topic, p)) for p in range(3)]
        assert sum(c or 0 for c in committed) == 30
    finally:
        await consumer2.stop()

    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([topic])
    finally:
        await admin.close()
