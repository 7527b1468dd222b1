"""The grace-period buffer hands records out in exactly a heap's order, whatever the arrival order."""

from __future__ import annotations

import heapq
import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from services.detect.buffer import EventBuffer


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(-1, 2), st.integers(0, 3)), max_size=80),
       st.lists(st.integers(0, 60), max_size=20))
def test_same_order_as_one_heap(items: list[tuple[int, int, int]], limits: list[int]) -> None:
    buf, heap = EventBuffer(), []
    out_buf, out_heap = [], []
    for seq, (ts, kind, mmsi) in enumerate(items):
        key = (ts, kind, mmsi, 0.0, 0.0, seq, object())
        buf.push(key)
        heapq.heappush(heap, key)
        if limits and seq % 7 == 0:  # drain up to a limit now and then, as the watermark moves
            limit = limits[seq % len(limits)]
            while (k := buf.pop_before(limit)) is not None:
                out_buf.append(k)
            while heap and heap[0][0] < limit:
                out_heap.append(heapq.heappop(heap))
        assert len(buf) == len(heap)
        assert buf.first_ts() == (heap[0][0] if heap else None)
    while (k := buf.pop_before(10**9)) is not None:
        out_buf.append(k)
    out_heap += [heapq.heappop(heap) for _ in range(len(heap))]
    assert out_buf == out_heap
    assert not buf and buf.first_ts() is None


def test_records_wait_unsorted_until_needed() -> None:
    buf = EventBuffer()
    for seq in range(100):
        buf.push((seq, 0, 1, 0.0, 0.0, seq, None))
    assert buf.first_ts() == 0 and len(buf._pending) == 100  # nothing sorted yet
    assert buf.pop_before(0) is None and len(buf._pending) == 100  # nothing needed yet
    assert buf.pop_before(1)[0] == 0  # type: ignore[index]
    assert not buf._pending and not buf._heap
    buf.push((5, 0, 1, 0.0, 0.0, 100, None))  # late: older than what was moved on
    buf.push((150, 0, 1, 0.0, 0.0, 101, None))
    got = [buf.pop_before(7) for _ in range(8)]
    assert len(buf._heap) == 0 and buf.first_ts() == 7
    assert [k[0] for k in got if k is not None] == [1, 2, 3, 4, 5, 5, 6]


def test_pickle_round_trip() -> None:
    buf = EventBuffer()
    for key in [(3, 0, 1, 0.0, 0.0, 0, "a"), (1, 0, 1, 0.0, 0.0, 1, "b"), (4, 0, 1, 0.0, 0.0, 2, "c")]:
        buf.push(key)
    copy = pickle.loads(pickle.dumps(buf))
    assert [copy.pop_before(10)[-1] for _ in range(3)] == ["b", "a", "c"]  # type: ignore[index]
