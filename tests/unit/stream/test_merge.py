"""The event-time merge releases the same sequence whatever the batching, and idle sources never stall it."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from services.detect.buffer import NEVER
from services.detect.stream.merge import EventTimeMerger


def _run(streams: dict[str, list[int]], chunk_seed: int) -> list[tuple[str, int, int]]:
    """Feed each source's ordered timestamps in random chunks; at the end all sources go idle."""
    rng = random.Random(chunk_seed)
    m = EventTimeMerger()
    for rank, key in enumerate(sorted(streams)):
        m.add_source(key, rank=rank)
    pos = dict.fromkeys(streams, 0)
    out: list[tuple[str, int, int]] = []
    while any(pos[k] < len(v) for k, v in streams.items()):
        key = rng.choice([k for k in streams if pos[k] < len(streams[k])])
        n = rng.randint(1, 4)
        for off in range(pos[key], min(pos[key] + n, len(streams[key]))):
            m.push(key, streams[key][off], off, None)
        pos[key] = min(pos[key] + n, len(streams[key]))
        out.extend((str(k), ts, off) for k, ts, off, _ in m.pop_ready())
    for key in streams:
        m.set_idle(key, True)
    out.extend((str(k), ts, off) for k, ts, off, _ in m.pop_ready())
    return out


ordered = st.lists(st.integers(0, 50), max_size=15).map(sorted)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), ordered, min_size=1), st.integers(0, 10**6),
       st.integers(0, 10**6))
def test_release_order_is_independent_of_batching(streams: dict[str, list[int]], s1: int, s2: int) -> None:
    first, second = _run(streams, s1), _run(streams, s2)
    assert first == second
    assert [ts for _, ts, _ in first] == sorted(ts for v in streams.values() for ts in v)
    assert len(first) == sum(len(v) for v in streams.values())


def test_an_empty_active_source_holds_the_merge_until_it_advances_or_goes_idle() -> None:
    m = EventTimeMerger()
    m.add_source("a")
    m.add_source("b")
    m.push("a", 100, 0, "x")
    assert m.pop_ready() == []  # b might still send something earlier
    m.advance_frontier("b", 150)  # a marker: nothing earlier than 150 from b
    assert [item for *_, item in m.pop_ready()] == ["x"]
    m.push("a", 200, 1, "y")
    assert m.pop_ready() == []
    m.set_idle("b", True)
    assert [item for *_, item in m.pop_ready()] == ["y"]
    assert m.sources["a"].next_offset == 2


def test_next_offset_is_the_first_unreleased_record() -> None:
    m = EventTimeMerger()
    m.add_source("a", next_offset=10)
    m.add_source("b")
    assert m.sources["a"].next_offset == 10
    m.push("a", 5, 10, None)
    m.push("a", 7, 11, None)
    m.push("b", 6, 0, None)
    released = m.pop_ready()
    assert [(k, off) for k, _, off, _ in released] == [("a", 10), ("b", 0)]
    assert m.sources["a"].next_offset == 11  # 11 is still queued behind the silent-but-active b
    assert m.sources["b"].next_offset == 1


def test_clock_is_min_over_active_sources_and_max_when_all_idle() -> None:
    m = EventTimeMerger()
    assert m.clock_ms() == NEVER
    m.add_source("a")
    m.add_source("b")
    m.advance_frontier("a", 500)
    m.advance_frontier("b", 300)
    assert m.clock_ms() == 300
    m.set_idle("b", True)
    assert m.clock_ms() == 500
    m.set_idle("a", True)
    assert m.clock_ms() == 500


def test_ties_are_broken_by_rank() -> None:
    m = EventTimeMerger()
    m.add_source("pos", rank=1)
    m.add_source("static", rank=0)
    m.push("pos", 10, 0, "p")
    m.push("static", 10, 0, "s")
    assert [item for *_, item in m.pop_ready()] == ["s"]  # static may still send another record at 10
    m.push("static", 11, 1, "s2")
    assert [item for *_, item in m.pop_ready()] == ["p"]  # pos may still send something at 10 or 11
