from __future__ import annotations

import asyncio
import contextlib

from services.api.feed import FALLBACK_POLL_S, GAP_WAIT_S, FeedEvent, FeedHub


def ev(seq: int) -> FeedEvent:
    return FeedEvent(seq=seq, action="created", alert={"alert_id": f"a{seq}"})


async def test_subscribers_get_events_after_their_start_head() -> None:
    hub = FeedHub(queue_size=10)
    hub.publish([ev(1), ev(2)])
    sub = hub.subscribe()
    assert sub.start_head == 2
    hub.publish([ev(3)])
    assert (await sub.queue.get()) == ev(3)


async def test_slow_client_is_dropped_and_others_are_not_affected() -> None:
    hub = FeedHub(queue_size=3)
    slow, fast = hub.subscribe(), hub.subscribe()
    got: list[int] = []
    for seq in range(1, 8):
        hub.publish([ev(seq)])
        item = fast.queue.get_nowait()
        assert item is not None
        got.append(item.seq)
    assert got == list(range(1, 8))
    assert slow.dropped and slow not in hub.subscribers and hub.dropped_total == 1
    assert slow.queue.get_nowait() is None  # end marker: told to resume with Last-Event-ID
    assert not fast.dropped and fast in hub.subscribers


async def test_run_polls_the_reader_from_the_head() -> None:
    log = [ev(1), ev(2), ev(3)]
    calls: list[int] = []

    async def reader(after: int, limit: int, only: list[int] | None) -> list[FeedEvent]:
        calls.append(after)
        return [e for e in log if e.seq > after and (only is None or e.seq in only)][:limit]

    hub = FeedHub(queue_size=10)
    sub = hub.subscribe()
    task = asyncio.create_task(hub.run(reader, poll_s=0.01, batch=2))
    items = [await asyncio.wait_for(sub.queue.get(), 2) for _ in range(3)]
    task.cancel()
    assert [i.seq for i in items if i is not None] == [1, 2, 3]
    assert calls[:2] == [0, 2] and hub.head == 3


async def test_an_event_committed_out_of_sequence_order_is_forwarded_not_skipped() -> None:
    """Two writers: seq 2 is taken first but commits after seq 3 was read (the sink and an officer's action)."""
    committed = [ev(1), ev(3)]

    async def reader(after: int, limit: int, only: list[int] | None) -> list[FeedEvent]:
        return [e for e in committed if e.seq > after and (only is None or e.seq in only)][:limit]

    hub = FeedHub(queue_size=10)
    sub = hub.subscribe()
    task = asyncio.create_task(hub.run(reader, poll_s=0.01))
    try:
        first = [await asyncio.wait_for(sub.queue.get(), 2) for _ in range(2)]
        assert [e.seq for e in first if e is not None] == [1, 3] and hub.gaps.keys() == {2}
        committed.insert(1, ev(2))  # the slow transaction commits
        late = await asyncio.wait_for(sub.queue.get(), 2)
        assert late is not None and late.seq == 2 and not hub.gaps and hub.late_total == 1
    finally:
        task.cancel()


def test_a_number_never_committed_is_given_up_after_a_while() -> None:
    hub = FeedHub()
    assert [e.seq for e in hub.take([ev(1), ev(4)], now=0.0)] == [1, 4] and set(hub.gaps) == {2, 3}
    assert hub.take([ev(3)], now=1.0)[0].seq == 3 and set(hub.gaps) == {2}
    assert hub.take([], now=1.0 + GAP_WAIT_S + 0.1) == [] and not hub.gaps  # a rolled-back transaction
    assert hub.take([ev(4), ev(5)], now=20.0)[0].seq == 5  # 4 was forwarded: not again


async def test_a_notification_wakes_the_reader_at_once() -> None:
    log: list[FeedEvent] = []

    class Wake:
        listening = True

        def __init__(self) -> None:
            self.event = asyncio.Event()
            self.waits: list[float] = []

        async def wait(self, timeout_s: float) -> bool:
            self.waits.append(timeout_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.event.wait(), timeout_s)
            self.event.clear()
            return True

    async def reader(after: int, limit: int, only: list[int] | None) -> list[FeedEvent]:
        return [e for e in log if e.seq > after][:limit]

    wake = Wake()
    hub = FeedHub(queue_size=10)
    sub = hub.subscribe()
    task = asyncio.create_task(hub.run(reader, poll_s=60.0, wake=wake))  # type: ignore[arg-type]
    try:
        await asyncio.sleep(0.05)
        log.append(ev(1))
        t0 = asyncio.get_running_loop().time()
        wake.event.set()  # the commit's notification
        got = await asyncio.wait_for(sub.queue.get(), 1)
        assert got is not None and got.seq == 1 and asyncio.get_running_loop().time() - t0 < 0.5
        assert wake.waits and all(w == FALLBACK_POLL_S for w in wake.waits)  # never the 60-s poll
    finally:
        task.cancel()
