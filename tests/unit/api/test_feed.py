from __future__ import annotations

import asyncio

from services.api.feed import FeedEvent, FeedHub


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

    async def reader(after: int, limit: int) -> list[FeedEvent]:
        calls.append(after)
        return [e for e in log if e.seq > after][:limit]

    hub = FeedHub(queue_size=10)
    sub = hub.subscribe()
    task = asyncio.create_task(hub.run(reader, poll_s=0.01, batch=2))
    items = [await asyncio.wait_for(sub.queue.get(), 2) for _ in range(3)]
    task.cancel()
    assert [i.seq for i in items if i is not None] == [1, 2, 3]
    assert calls[:2] == [0, 2] and hub.head == 3
