"""The mechanism the sink's and the partner router's exactly-once dead letters rest on, on the real broker:
records and consumer offsets commit together (``msa.kafka.commit_with_records``); what a killed instance left
open is aborted when its successor (same transactional id) starts; an older instance is fenced."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import ProducerFenced

from msa.contracts.topics import TopicSpec
from msa.kafka import (
    ProducerBrokenError,
    commit_with_records,
    ensure_topics,
    make_consumer,
    make_producer,
    make_transactional_producer,
    transactional_id,
)

pytestmark = pytest.mark.integration


async def _committed_values(bootstrap: str, topic: str) -> list[bytes]:
    reader = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
                              isolation_level="read_committed", enable_auto_commit=False)
    await reader.start()
    try:
        out: list[bytes] = []
        quiet = 0
        while quiet < 3:
            batch = await reader.getmany(timeout_ms=400)
            quiet = 0 if batch else quiet + 1
            out += [m.value for msgs in batch.values() for m in msgs]
        return out
    finally:
        await reader.stop()


async def _committed_offset(bootstrap: str, group: str, tp: TopicPartition) -> int | None:
    consumer = make_consumer(bootstrap, group_id=group)
    await consumer.start()
    try:
        return await consumer.committed(tp)
    finally:
        await consumer.stop()


async def test_records_and_offsets_commit_together_and_a_killed_transaction_is_aborted(
        kafka_bootstrap: str, unique: str) -> None:
    src, out, group = f"txn-src.{unique}", f"txn-out.{unique}", f"g-txn-{unique}"
    await ensure_topics(kafka_bootstrap, [TopicSpec(src, 1, "", "test", "in"), TopicSpec(out, 1, "", "test", "out")])
    plain = make_producer(kafka_bootstrap)
    await plain.start()
    for i in range(3):
        await plain.send_and_wait(src, b"in-%d" % i)
    await plain.stop()
    tp = TopicPartition(src, 0)
    txn_id = transactional_id("test", group, src, instance=unique)

    first = make_transactional_producer(kafka_bootstrap, txn_id)
    await first.start()
    assert await commit_with_records(first, group, {tp: 1}, [(out, b"dead-0", b"k", None)]) == 1
    # the next batch is sent but never committed: the process is "killed" with its transaction open
    await first.begin_transaction()
    await first.send_and_wait(out, b"dead-1-first-try", key=b"k")
    await first.send_offsets_to_transaction({tp: 2}, group)

    second = make_transactional_producer(kafka_bootstrap, txn_id)  # the restarted instance, same id
    await second.start()  # fences the first and aborts its open transaction
    assert await _committed_offset(kafka_bootstrap, group, tp) == 1  # the killed batch's offsets never moved
    await commit_with_records(second, group, {tp: 2}, [(out, b"dead-1", b"k", None)])
    with pytest.raises(ProducerFenced):  # the zombie cannot commit what it had open
        await first.commit_transaction()
    with pytest.raises(ProducerBrokenError):  # nor anything after: the sink and router exit and are restarted
        await commit_with_records(first, group, {tp: 3}, [(out, b"zombie", b"k", None)])
    await second.stop()
    await first.stop()

    assert await _committed_values(kafka_bootstrap, out) == [b"dead-0", b"dead-1"]
    assert await _committed_offset(kafka_bootstrap, group, tp) == 2


async def test_an_aborted_batch_leaves_nothing_visible(kafka_bootstrap: str, unique: str) -> None:
    src, out, group = f"txn-src2.{unique}", f"txn-out2.{unique}", f"g-txn2-{unique}"
    await ensure_topics(kafka_bootstrap, [TopicSpec(src, 1, "", "test", "in"), TopicSpec(out, 1, "", "test", "out")])
    producer = make_transactional_producer(kafka_bootstrap, transactional_id("test", group, src, instance=unique))
    await producer.start()
    try:
        def records():  # type: ignore[no-untyped-def]
            yield out, b"visible-only-if-committed", None, None
            raise OSError("the database went away mid-batch")

        with pytest.raises(OSError):
            await commit_with_records(producer, group, {TopicPartition(src, 0): 5}, records())
        await commit_with_records(producer, group, {}, [(out, b"next", None, None)])  # the producer goes on
    finally:
        await producer.stop()
    assert await _committed_values(kafka_bootstrap, out) == [b"next"]
    assert await _committed_offset(kafka_bootstrap, group, TopicPartition(src, 0)) is None
