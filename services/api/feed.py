"""Live-feed fan-out: one reader takes new alert events from the log, every client has a bounded queue.

The reader reads when PostgreSQL notifies a commit to the log (``services.api.notify``; every
``FALLBACK_POLL_S`` as well), or every ``poll_s`` while it cannot listen. Events are numbered by a sequence, and
two writers (the sink, an officer's action) may commit out of sequence order: a number missing below the
newest one read is looked for again on every read for ``GAP_WAIT_S`` — a transaction still committing — then
given up (a rolled-back one leaves a hole for ever). So an event committed late is forwarded, not skipped.

A client that falls ``queue_size`` events behind is dropped (its queue is replaced by an end marker) and
is told to reconnect with ``Last-Event-ID``; it never slows the reader or the other clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from msa.domain import JsonDict
from services.api.db import is_database_outage

if TYPE_CHECKING:
    from services.api.notify import FeedNotifications

__all__ = ["EventReader", "FeedEvent", "FeedHub", "Subscriber"]

log = logging.getLogger(__name__)

FALLBACK_POLL_S = 2.0  # reads while listening, in case a notification was lost
GAP_WAIT_S = 10.0  # how long a missing sequence number is waited for
MAX_GAPS = 1000


@dataclass(frozen=True, slots=True)
class FeedEvent:
    seq: int
    action: str  # created, updated, acknowledged, assigned, commented, closed, reopened
    alert: JsonDict  # officer view of the alert's current state


EventReader = Callable[[int, int, list[int] | None], Awaitable[list[FeedEvent]]]
"""``reader(after_seq, limit, only)`` → events with seq > after_seq in seq order (at most ``limit``; with
``only``, just those numbers)."""


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
    gaps: dict[int, float] = field(default_factory=dict)  # seq missing below head → since (monotonic)
    late_total: int = 0  # events forwarded after a higher-numbered one

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
        self.head = max(self.head, max(ev.seq for ev in events))
        self.published_total += len(events)

    def _drop(self, sub: Subscriber) -> None:
        sub.dropped = True
        self.dropped_total += 1
        self.subscribers.discard(sub)
        while not sub.queue.empty():
            sub.queue.get_nowait()
        sub.queue.put_nowait(None)

    def take(self, events: list[FeedEvent], now: float) -> list[FeedEvent]:
        """Of the events read (new ones, and any of the missing numbers), those to forward; notes the numbers
        newly missing and forgets those waited for long enough."""
        out: list[FeedEvent] = []
        for ev in events:
            if ev.seq in self.gaps:
                del self.gaps[ev.seq]
                self.late_total += 1
                out.append(ev)
            elif ev.seq > self.head:
                for missing in range(self.head + 1, min(ev.seq, self.head + 1 + MAX_GAPS)):
                    self.gaps[missing] = now
                self.head = ev.seq
                out.append(ev)
        for seq, since in list(self.gaps.items()):
            if now - since > GAP_WAIT_S:
                del self.gaps[seq]
        while len(self.gaps) > MAX_GAPS:
            del self.gaps[min(self.gaps)]
        return out

    async def run(self, reader: EventReader, poll_s: float, batch: int = 1000,
                  wake: FeedNotifications | None = None) -> None:
        """Read forever (cancel to stop). Starts from the current end of the event log."""
        failing = False
        while True:
            try:
                events = await reader(self.head, batch, None)
                if self.gaps:  # numbers missing below the head: committed late, or never
                    events = [*await reader(0, len(self.gaps), sorted(self.gaps)), *events]
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
            head = self.head
            self.publish(self.take(events, time.monotonic()))
            if self.head - head < batch:
                if wake is not None and wake.listening:
                    await wake.wait(FALLBACK_POLL_S)
                else:
                    await asyncio.sleep(poll_s)

    def close(self) -> None:
        for sub in list(self.subscribers):
            self.subscribers.discard(sub)
            with contextlib.suppress(asyncio.QueueFull):
                sub.queue.put_nowait(None)
