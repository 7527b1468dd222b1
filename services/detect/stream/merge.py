"""Event-time merge of several ordered sources (Kafka partitions, or upstream units), with watermarks.

Each source is a FIFO of ``(ts_ms, offset, item)``. A record is released when it is the earliest head and
every *active* source either has a head too or has promised (its frontier) that nothing earlier will come.
A source's frontier is the latest event time it has shown (its records are assumed mostly in order) or an
explicit watermark marker. Idle sources (decided by the caller: wall-clock timeout or an idle marker) do not
hold the merge back. The released output is the same whatever the fetch batching, so a replay after a crash
feeds the engine the same sequence. Pure: no clock, no Kafka.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from services.detect.buffer import NEVER

__all__ = ["EventTimeMerger", "SourceState"]


@dataclass(slots=True)
class SourceState:
    rank: int  # tie-break for equal event times
    queue: deque[tuple[int, int, Any]] = field(default_factory=deque)
    frontier_ms: int = NEVER  # nothing earlier will come from this source
    idle: bool = False
    next_offset: int | None = None  # first offset not yet released (None: nothing seen)


class EventTimeMerger:
    def __init__(self) -> None:
        self.sources: dict[Hashable, SourceState] = {}
        self.released_ms = NEVER  # event time of the latest released record (monotonic)

    def add_source(self, key: Hashable, rank: int = 0, next_offset: int | None = None) -> None:
        if key not in self.sources:
            self.sources[key] = SourceState(rank=rank, next_offset=next_offset)

    def push(self, key: Hashable, ts_ms: int, offset: int, item: Any) -> None:
        src = self.sources[key]
        if not src.queue and src.next_offset is None:
            src.next_offset = offset
        src.queue.append((ts_ms, offset, item))
        if ts_ms > src.frontier_ms:
            src.frontier_ms = ts_ms
        src.idle = False

    def advance_frontier(self, key: Hashable, ts_ms: int) -> None:
        """A watermark marker: the source will send nothing earlier than ``ts_ms``."""
        src = self.sources[key]
        if ts_ms > src.frontier_ms:
            src.frontier_ms = ts_ms

    def set_idle(self, key: Hashable, idle: bool) -> None:
        self.sources[key].idle = idle

    def pending(self) -> int:
        return sum(len(s.queue) for s in self.sources.values())

    def pop_ready(self, limit: int | None = None) -> list[tuple[Hashable, int, int, Any]]:
        """Release every releasable record: ``(source, ts_ms, offset, item)`` in event-time order."""
        out: list[tuple[Hashable, int, int, Any]] = []
        sources = self.sources
        while limit is None or len(out) < limit:
            best_key: Hashable = None
            best: tuple[int, int] | None = None
            blocker: tuple[int, int] | None = None
            for key, src in sources.items():
                if src.queue:
                    cand = (src.queue[0][0], src.rank)
                    if best is None or cand < best:
                        best, best_key = cand, key
                elif not src.idle:
                    front = (src.frontier_ms, src.rank)
                    if blocker is None or front < blocker:
                        blocker = front
            # an empty active source may still send a record at its frontier: it goes first if it ranks lower
            if best is None or (blocker is not None and blocker < best):
                break
            src = sources[best_key]
            ts_ms, offset, item = src.queue.popleft()
            src.next_offset = src.queue[0][1] if src.queue else offset + 1
            if ts_ms > self.released_ms:
                self.released_ms = ts_ms
            out.append((best_key, ts_ms, offset, item))
        return out

    def clock_ms(self) -> int:
        """Event time up to which every active source is complete: min over active sources (idle excluded);
        when all are idle, the latest frontier (everything seen has been released)."""
        active = [s for s in self.sources.values() if not s.idle]
        if not active:
            fronts = [s.frontier_ms for s in self.sources.values()]
            return max(fronts) if fronts else NEVER
        lows = [s.queue[0][0] if s.queue else s.frontier_ms for s in active]
        return min(lows)
