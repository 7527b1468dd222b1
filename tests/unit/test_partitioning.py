"""Our murmur2 partitioner is Kafka's: the same partition as aiokafka's DefaultPartitioner for any key."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner, murmur2
from hypothesis import given
from hypothesis import strategies as st

from msa.contracts import partitioning


@given(st.binary(max_size=64))
def test_murmur2_is_kafkas(data: bytes) -> None:
    assert partitioning.murmur2(data) == murmur2(data)


@given(st.text(max_size=40), st.integers(1, 64))
def test_a_key_goes_where_a_producer_sends_it(key: str, n: int) -> None:
    parts = list(range(n))
    assert partitioning.key_partition(key, n) == DefaultPartitioner()(key.encode(), parts, parts)


def test_known_values() -> None:  # Kafka's own test vectors (Utils.murmur2 on these strings)
    assert partitioning.murmur2(b"21") == -973932308 & 0xFFFFFFFF
    assert partitioning.murmur2(b"foobar") == -790332482 & 0xFFFFFFFF
    assert partitioning.murmur2(b"a-little-bit-long-string") == -985981536 & 0xFFFFFFFF
