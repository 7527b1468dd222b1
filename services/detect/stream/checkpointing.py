"""When the detector checkpoints (:class:`CheckpointPolicy`, pure) and how a checkpoint is stored
(:class:`Checkpointer`: states pickled in a forked child for periodic ones, one PostgreSQL transaction, a
fenced zombie stopped, a database away survived).

A checkpoint is: acks of everything produced (the caller) → states and next offsets of every partition in ONE
transaction (``checkpoint.CheckpointStore``) → the same offsets committed to Kafka (monitoring only).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from services.detect.stream import snapshot
from services.detect.stream.checkpoint import Checkpoint, CheckpointStore, FencedError
from services.detect.stream.metrics import DetectorMetrics

__all__ = ["CheckpointPolicy", "Checkpointer"]

log = logging.getLogger("msa.detector")


@dataclass(slots=True)
class CheckpointPolicy:
    """Every ``records`` input records or ``interval_s`` seconds with something new, whichever first; and
    as soon as a backlog (a replay after a restart, a burst: a poll's worth of lag) has drained — then once more
    for the cell records stage 1 produced meanwhile. Live traffic never builds a poll's worth of lag, so the
    backlog rule adds no checkpoints there."""

    interval_s: float
    records: int
    poll_records: int
    last_s: float = field(default_factory=time.monotonic)
    since: int = 0  # input records read since the last checkpoint
    backlog: int = 0  # 2: behind by a poll's worth since the last checkpoint; 1: its stage-2 tail to go

    def due(self, now_s: float, n_in: int, lag: int, merging: int, producing: bool) -> bool:
        """After an iteration that read ``n_in`` records, with ``lag`` records still unread, ``merging``
        waiting in the merges and (``producing``) records not yet acknowledged."""
        self.since += n_in
        if lag >= self.poll_records:
            self.backlog = 2
        busy = bool(self.since) or producing
        caught_up = self.backlog > 0 and lag == 0 and n_in == 0 and busy and not merging
        return self.since >= self.records or (now_s - self.last_s >= self.interval_s and busy) or caught_up

    def taken(self, now_s: float) -> None:
        self.since = 0
        self.last_s = now_s

    def stored(self) -> None:
        self.backlog = max(0, self.backlog - 1)


class Checkpointer:
    """Stores checkpoints in the order they were taken; a periodic one in the background."""

    def __init__(self, store: CheckpointStore, metrics: DetectorMetrics, fork: bool) -> None:
        self.store = store
        self.metrics = metrics
        self.fork = fork
        self.inflight: asyncio.Task[None] | None = None
        self.failing_since: float | None = None  # checkpoints failing (the database away) since
        self.fenced: FencedError | None = None  # another instance owns some partitions now: this one must stop

    def busy(self) -> bool:
        """A checkpoint is being stored in the background."""
        return self.inflight is not None and not self.inflight.done()

    async def wait(self) -> None:
        task, self.inflight = self.inflight, None
        if task is not None:
            await task

    async def save(self, slots: list[tuple[str, int, int]], units: Sequence[snapshot.Unit | None],
                   stages: list[str], background: bool,
                   on_saved: Callable[[list[Checkpoint]], Awaitable[None]]) -> None:
        """``slots``: (topic, partition, next offset) per row; ``units``: whose state the row holds (None:
        offsets only); ``stages``: "vessel" | "cell" per row (the state-size gauge). ``background``: fork, store
        later (the caller goes on); else the states are taken and stored before this returns."""
        await self.wait()
        if background and self.fork and snapshot.available() and any(units):
            forked = snapshot.ForkedStates(units)
            self.inflight = asyncio.create_task(self._store_forked(forked, slots, stages, on_saved))
            return
        await self._store(slots, [None if u is None else u.state() for u in units], stages, on_saved)

    async def _store_forked(self, forked: snapshot.ForkedStates, slots: list[tuple[str, int, int]],
                            stages: list[str], on_saved: Callable[[list[Checkpoint]], Awaitable[None]]) -> None:
        try:
            states = await forked.result()
        except (RuntimeError, OSError) as exc:  # nothing stored: the next interval tries again
            self.metrics.checkpoint_failures.inc()
            log.warning("checkpoint (periodic) failed: %s", exc)
            return
        await self._store(slots, states, stages, on_saved)

    async def _store(self, slots: list[tuple[str, int, int]], states: list[bytes | None], stages: list[str],
                     on_saved: Callable[[list[Checkpoint]], Awaitable[None]]) -> None:
        rows = [Checkpoint(topic, p, offset, state) for (topic, p, offset), state in zip(slots, states, strict=True)]
        state_bytes = {"vessel": 0, "cell": 0}
        for stage, state in zip(stages, states, strict=True):
            state_bytes[stage] += len(state or b"")
        try:
            await asyncio.to_thread(self.store.save, rows)
        except FencedError as exc:  # another instance owns some of these partitions now: this one is a zombie
            log.error("%s; stopping this instance (its supervisor restarts it into the group)", exc)
            self.fenced = exc
            return
        except (SQLAlchemyError, OSError) as exc:  # the database away: go on, try again next interval
            self.metrics.checkpoint_failures.inc()
            if self.failing_since is None:
                self.failing_since = time.monotonic()
                log.warning("checkpoint failed: %s; processing goes on, a crash now would replay from the "
                            "last checkpoint", exc.__class__.__name__)
            return
        if self.failing_since is not None:
            log.info("checkpoints written again after %.0f s", time.monotonic() - self.failing_since)
            self.failing_since = None
        for stage, n in state_bytes.items():
            self.metrics.state_bytes.labels(stage).set(n)
        self.metrics.checkpoints.inc()
        log.debug("checkpoint: %d partitions, %s", len(rows), state_bytes)
        await on_saved(rows)
