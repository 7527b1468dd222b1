"""Which partition a keyed record goes to: Kafka's default partitioner (murmur2 of the key, as the Java client
and aiokafka's ``DefaultPartitioner``), so pure code can place records exactly where a producer puts them —
the streaming detector's units and its in-memory test cluster — without importing a Kafka client.
"""

from __future__ import annotations

__all__ = ["key_partition", "murmur2"]

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """MurmurHash2 as Kafka computes it (``org.apache.kafka.common.utils.Utils.murmur2``), unsigned 32 bits."""
    length = len(data)
    h = (_SEED ^ length) & _MASK
    n4 = length - length % 4
    for i in range(0, n4, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    rest = length % 4
    if rest >= 3:
        h ^= data[n4 + 2] << 16
    if rest >= 2:
        h ^= data[n4 + 1] << 8
    if rest >= 1:
        h ^= data[n4]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h


def key_partition(key: str, n_partitions: int) -> int:
    """The partition ``producer.send(topic, key=key)`` picks among ``n_partitions``."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % n_partitions
