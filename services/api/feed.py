"""Live-feed fan-out: one poller reads new alert events, every client has a bounded queue.

A client that falls ``queue_size`` events behind is dropped (its queue is replaced by an end marker) and
is told to reconnect with ``Last-Event-ID``; it never slows the poller or the other clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from msa.domain import JsonDict
from services.api.db import is_database_outage

__all__ = ["EventReader", "FeedEvent", "FeedHub", "Subscriber"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FeedEvent:
    seq: int
    action: str  # created, updated, acknowledged, assigned, commented, closed, reopened
    alert: JsonDict  # officer view of the alert's current state


EventReader = Callable[[int, int], Awaitable[list[FeedEvent]]]
"""``reader(after_seq, limit)`` → events with seq > after_seq in seq order (at most ``limit``)."""


@dataclass(eq=False, slots=True)
class Subscriber:
    start_head: int
    queue: asyncio.Queue[FeedEvent | None]
    dropped: bool = False


@dataclass(slots=True)
class FeedHub:
    queue_size: int = 1000
    head: int = 0
    subscribers: set[Subscriber] = field(default_factory=set)
    dropped_total: int = 0
    published_total: int = 0

    def subscribe(self) -> Subscriber:
        """Atomic with respect to ``publish`` (no await): events after ``start_head`` arrive in the queue."""
        sub = Subscriber(start_head=self.head, queue=asyncio.Queue(maxsize=self.queue_size + 1))
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    def publish(self, events: list[FeedEvent]) -> None:
        if not events:
            return
        for sub in list(self.subscribers):
            for ev in events:
                if sub.queue.qsize() >= self.queue_size:
                    self._drop(sub)
                    break
                sub.queue.put_nowait(ev)
        self.head = max(self.head, events[-1].seq)
        self.published_total += len(events)

    def _drop(self, sub: Subscriber) -> None:
        sub.dropped = True
        self.dropped_total += 1
        self.subscribers.discard(sub)
        while not sub.queue.empty():
            sub.queue.get_nowait()
        sub.queue.put_nowait(None)

    async def run(self, reader: EventReader, poll_s: float, batch: int = 1000) -> None:
        """Poll forever (cancel to stop). Starts from the current end of the event log."""
        failing = False
        while True:
            try:
                events = await reader(self.head, batch)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may be restarting: keep the feed alive
                if is_database_outage(exc):  # said once per outage, without a traceback
                    if not failing:
                        log.warning("the live feed waits for the database (%s)", str(exc).splitlines()[0][:200])
                else:
                    log.exception("feed poll failed")
                failing = True
                await asyncio.sleep(max(poll_s, 1.0))
                continue
            if failing:
                log.info("the live feed reads the database again")
                failing = False
            self.publish(events)
            if len(events) < batch:
                await asyncio.sleep(poll_s)

    def close(self) -> None:
        for sub in list(self.subscribers):
            self.subscribers.discard(sub)
            with contextlib.suppress(asyncio.QueueFull):
                sub.queue.put_nowait(None)
