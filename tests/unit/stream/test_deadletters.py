"""The detector's dead letters without a broker: one dead-letter partition per source partition, each reject
queued once, the whole-read topics' sent only by the holder of positions partition 0."""

from __future__ import annotations

from aiokafka import TopicPartition

from msa.domain import Reject
from services.detect.stream.deadletters import DeadLetters, _source


def _rej(topic: str, p: int, offset: int) -> Reject:
    return Reject(reason="bad_record", raw="\x00", source=f"{topic}[{p}]@{offset}", detail="ValueError")


def test_each_source_partition_has_one_stable_dead_letter_partition() -> None:
    dl = DeadLetters("detect.rejects.v1", 6)
    qs = {p: dl.partition_of("ais.positions.v1", p) for p in range(12)}
    assert all(0 <= q < 6 for q in qs.values()) and len(set(qs.values())) > 1
    assert qs == {p: DeadLetters("x", 6).partition_of("ais.positions.v1", p) for p in range(12)}  # any process


def test_a_reject_is_queued_once_and_whole_topics_wait_for_partition_0() -> None:
    dl = DeadLetters("dl", 3)
    pos, sat = TopicPartition("pos", 1), TopicPartition("sat", 0)
    assert dl.add(pos, _rej("pos", 1, 7), whole=False)
    assert not dl.add(pos, _rej("pos", 1, 7), whole=False)  # found again: not queued twice
    assert dl.add(sat, _rej("sat", 0, 2), whole=True)
    assert [r.source for _, r in dl.take(holds_partition_0=False)] == ["pos[1]@7"]
    assert dl.take(holds_partition_0=False) == []  # the satellite one waits for the holder of partition 0
    sent = dl.take(holds_partition_0=True)
    assert [(q, r.source) for q, r in sent] == [(dl.partition_of("sat", 0), "sat[0]@2")]
    dl.add(sat, _rej("sat", 0, 2), whole=True)
    assert dl.take(holds_partition_0=True) == []  # already there


def test_learnt_sources_are_not_sent_again() -> None:
    dl = DeadLetters("dl", 3)
    dl.present.add("sat[0]@2")  # what ``learn`` found in the topic
    dl.add(TopicPartition("sat", 0), _rej("sat", 0, 2), whole=True)
    assert dl.take(holds_partition_0=True) == []
    assert _source(b'{"source": "pos[1]@7"}') == "pos[1]@7" and _source(b"\x00junk") is None
