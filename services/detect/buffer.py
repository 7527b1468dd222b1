"""The engine's grace-period buffer: records waiting for the watermark, handed out in key order.

A key is ``(event time ms, kind, mmsi, lat, lon, arrival seq, record)``; ``kind`` is one of ``STATIC``,
``POSITION``, ``DETECTION`` (in that order among records of one event time: an identity applies before the
fixes it stamps, detections are judged after the fixes of their instant); the arrival sequence number is
unique, so keys never tie and the record itself is never compared.

Records are appended to a *pending* list as they arrive (O(1)); only when the oldest pending record is
needed (its event time is before the limit being drained to, i.e. about one grace period later) is the list
sorted — Python's sort is fast on the nearly ordered arrival of a feed — and moved to a FIFO of ordered
keys; the few that are older than the FIFO's newest key (arrived out of order across a flush) go to a heap
instead. ``pop_before`` takes the smaller of the FIFO's and the heap's heads, so the order handed out is
exactly the one a single heap would give, whatever the arrival order (property-tested).
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections import deque
from typing import Any, Final

__all__ = ["DETECTION", "NEVER", "POSITION", "STATIC", "EventBuffer", "Key"]

NEVER: Final = -(2**62)  # an event time (ms) before every other: no record yet, no watermark yet

# entry kinds, the second field of a key (plain ints: compared on every pop of the hot path)
STATIC: Final = -1  # static data or an identity change
POSITION: Final = 0  # a position report (or a rendezvous input, in the pair stage)
DETECTION: Final = 2  # a satellite detection

Key = tuple[Any, ...]  # (ts_ms, kind, mmsi, lat, lon, seq, record)
_NONE = 1 << 62


class EventBuffer:
    __slots__ = ("_fifo", "_heap", "_pending", "_pending_min")

    def __init__(self) -> None:
        self._pending: list[Key] = []
        self._pending_min = _NONE  # smallest event time among the pending keys
        self._fifo: deque[Key] = deque()
        self._heap: list[Key] = []

    def __getstate__(self) -> tuple[list[Key], list[Key]]:
        self._flush()
        return list(self._fifo), self._heap

    def __setstate__(self, state: tuple[list[Key], list[Key]]) -> None:
        self._pending, self._pending_min = [], _NONE
        self._fifo = deque(state[0])
        self._heap = state[1]

    def __len__(self) -> int:
        return len(self._pending) + len(self._fifo) + len(self._heap)

    def __bool__(self) -> bool:
        return bool(self._pending) or bool(self._fifo) or bool(self._heap)

    def push(self, key: Key) -> None:
        self._pending.append(key)
        if key[0] < self._pending_min:
            self._pending_min = key[0]

    def _flush(self) -> None:
        pending = self._pending
        if not pending:
            return
        pending.sort()
        fifo = self._fifo
        if fifo and pending[0] < fifo[-1]:  # arrived out of order across a flush: to the heap
            k = bisect_right(pending, fifo[-1])
            heap = self._heap
            for key in pending[:k]:
                heapq.heappush(heap, key)
            fifo.extend(pending[k:])
        else:
            fifo.extend(pending)
        self._pending = []
        self._pending_min = _NONE

    def first_ts(self) -> int | None:
        """Event time of the first record (None when empty)."""
        t = self._pending_min
        fifo, heap = self._fifo, self._heap
        if fifo and fifo[0][0] < t:
            t = fifo[0][0]
        if heap and heap[0][0] < t:
            t = heap[0][0]
        return None if t == _NONE else t

    def pop_before(self, limit_ms: int) -> Key | None:
        """The first record if its event time is before ``limit_ms`` (removed), else None."""
        if self._pending_min < limit_ms:
            self._flush()
        fifo, heap = self._fifo, self._heap
        if fifo:
            first = fifo[0]
            if heap and heap[0] < first:
                return heapq.heappop(heap) if heap[0][0] < limit_ms else None
            return fifo.popleft() if first[0] < limit_ms else None
        if heap and heap[0][0] < limit_ms:
            return heapq.heappop(heap)
        return None
