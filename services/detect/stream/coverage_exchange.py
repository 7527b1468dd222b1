"""Coverage exchange between the stage-1 units (on topic ``detect.exchange.v1``), so that dark-period coverage
is judged on every vessel heard, as offline, and not only on the vessels of one MMSI partition.

Each vessel unit publishes, per 10-min bucket, which MMSIs its engine heard in which 0.2° coverage cell
(at most the 6 smallest per cell and bucket: the engine's own rule, so summaries merge by set union), with
its *done* time: every fix of its own before it has been handled and published. Every vessel unit of every
instance reads every summary (one consumer per instance, no group, all partitions, from the beginning).
A unit's engine then handles records and scans only before min(done of the other active units) + one bucket
(``Engine.set_coverage_complete``): a dark-period decision at time t reads the buckets before t's bucket, so
it waits for exactly the data it needs, never for more, and the result does not depend on timing.
A unit whose inputs are idle and whose engine has handled everything publishes all its buckets and
``idle``; the others stop waiting for it (as idle partitions stop holding the event-time clock).

Wire format (JSON, key = the source unit ``p<n>``): ``{"t": "cov", "src": "p3", "done": <ms>, "idle": false,
"cells": [[cx, cy, bucket, [mmsi, …]], …]}``. Merging is idempotent: a restarted unit re-publishes safely.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from msa.contracts.codec import dumps, loads
from services.detect.buffer import NEVER
from services.detect.coverage import MAX_PER_BUCKET

__all__ = ["CoverageBook", "CoverageOut", "CoverageSummary", "decode_summary", "encode_summary", "summary_from_dict",
           "summary_to_dict"]

CellBucket = tuple[int, int, int]  # cell x, cell y, bucket


@dataclass(frozen=True, slots=True)
class CoverageSummary:
    src: str
    done_ms: int
    idle: bool
    cells: tuple[tuple[int, int, int, tuple[int, ...]], ...]


def summary_to_dict(s: CoverageSummary) -> dict[str, Any]:
    return {"t": "cov", "src": s.src, "done": s.done_ms, "idle": s.idle,
            "cells": [[cx, cy, b, list(m)] for cx, cy, b, m in s.cells]}


def summary_from_dict(d: Any) -> CoverageSummary:
    """Raises ``ValueError``/``KeyError``/``TypeError`` on a malformed value (the caller counts a reject)."""
    if not isinstance(d, dict):
        raise TypeError("not an object")
    cells = tuple((int(c[0]), int(c[1]), int(c[2]), tuple(int(m) for m in c[3])) for c in d["cells"])
    return CoverageSummary(str(d["src"]), int(d["done"]), bool(d["idle"]), cells)


def encode_summary(s: CoverageSummary) -> bytes:
    return dumps(summary_to_dict(s))


def decode_summary(value: bytes) -> CoverageSummary:
    return summary_from_dict(loads(value))


def _merge(into: dict[CellBucket, set[int]], key: CellBucket, mmsis: Any) -> None:
    s = into.setdefault(key, set())
    s.update(mmsis)
    if len(s) > MAX_PER_BUCKET:
        for m in sorted(s)[MAX_PER_BUCKET:]:
            s.discard(m)


class CoverageOut:
    """What one vessel unit has heard and not yet published (part of the unit's checkpointed state)."""

    __slots__ = ("bucket_ms", "done_ms", "idle", "pending", "src")

    def __init__(self, src: str, bucket_ms: int) -> None:
        self.src = src
        self.bucket_ms = bucket_ms
        self.pending: dict[CellBucket, set[int]] = {}
        self.done_ms = NEVER  # published so far
        self.idle = False

    def add(self, heard: list[tuple[int, int, int, int]]) -> None:
        for cx, cy, b, mmsi in heard:
            _merge(self.pending, (cx, cy, b), (mmsi,))

    def summary(self, complete_ms: int, idle: bool) -> CoverageSummary | None:
        """The buckets ended by ``complete_ms`` (all of them when idle), when something changed."""
        b = self.bucket_ms
        done = complete_ms // b * b if complete_ms > NEVER else NEVER
        done = max(done, self.done_ms)
        if done == self.done_ms and idle == self.idle and not (idle and self.pending):
            return None
        cut = done // b
        keys = sorted(k for k in self.pending if idle or k[2] < cut)
        cells = tuple((k[0], k[1], k[2], tuple(sorted(self.pending.pop(k)))) for k in keys)
        self.done_ms, self.idle = done, idle
        return CoverageSummary(self.src, done, idle, cells)

    def __getstate__(self) -> tuple[str, int, dict[CellBucket, set[int]], int, bool]:
        return (self.src, self.bucket_ms, self.pending, self.done_ms, self.idle)

    def __setstate__(self, state: tuple[str, int, dict[CellBucket, set[int]], int, bool]) -> None:
        self.src, self.bucket_ms, self.pending, self.done_ms, self.idle = state


class CoverageBook:
    """Everything one instance has read from the coverage topic: merged cells and each source's front.
    A unit assigned later is brought up to date from it (merging is idempotent)."""

    def __init__(self, sources: list[str]) -> None:
        self.sources = list(sources)
        self.cells: dict[CellBucket, set[int]] = {}
        self.fronts: dict[str, tuple[int, bool]] = {}

    def add(self, s: CoverageSummary) -> None:
        for cx, cy, b, mmsis in s.cells:
            _merge(self.cells, (cx, cy, b), mmsis)
        done, _ = self.fronts.get(s.src, (NEVER, False))
        self.fronts[s.src] = (max(done, s.done_ms), s.idle)
        if s.src not in self.sources:
            self.sources.append(s.src)

    def complete_for(self, src: str) -> int | None:
        """Coverage of the units other than ``src`` is complete before this time (None: no active other)."""
        waits = [self.fronts.get(o, (NEVER, False)) for o in self.sources if o != src]
        active = [done for done, idle in waits if not idle]
        return min(active) if active else None

    def prune(self, before_bucket: int) -> None:
        for k in [k for k in self.cells if k[2] < before_bucket]:
            del self.cells[k]
