"""Processing units: one per input partition, each an event-time merge in front of an engine (pure).

* ``VesselUnit`` (stage 1): ``ais.positions`` partition p + ``ais.static`` partition p (co-partitioned by
  MMSI). Runs the per-vessel detectors and re-publishes every fix to the cell partitions near it, preceded by
  the vessel's identity the first time (or when it changed) it reaches a partition.
* ``SatUnit`` (stage 1): a ``sat.detections`` partition; stateless, re-publishes each detection to the
  partition of its own cell (so exactly one cell engine judges it).
* ``CellUnit`` (stage 2): a ``detect.positions-by-cell`` partition. Merges its upstream sources by event time
  (watermark markers), drops what a restarted source re-publishes, runs the pair detectors for its cells.

A unit's ``step`` returns what to produce; the service produces it, then checkpoints ``state()`` with
``next_offsets()`` in one transaction.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field

from msa.domain import (
    Alert,
    AlertKind,
    PositionReport,
    Record,
    SatelliteDetection,
    StaticVesselData,
)
from services.detect.stream.cells import DEFAULT_MARGIN_M, cell_id, cell_partition, partitions_near
from services.detect.stream.coverage import CoverageBook, CoverageOut, CoverageSummary, encode_summary
from services.detect.stream.engines import CELL_KINDS, VESSEL_KINDS, EngineFactory, EngineLike
from services.detect.stream.merge import NEVER, EventTimeMerger
from services.detect.stream.wire import CellRecord, Marker, encode_item, encode_marker

__all__ = ["CellUnit", "Outbox", "SatUnit", "VesselUnit"]

POS, STATIC = "pos", "static"
_UNSET = object()


@dataclass(slots=True)
class Outbox:
    alerts: list[Alert] = field(default_factory=list)
    # (source unit, cell partition) → batch items (``wire.encode_item``), in the source's order
    cells: dict[tuple[str, int], list[bytes]] = field(default_factory=dict)
    coverage: list[tuple[bytes, bytes]] = field(default_factory=list)  # key, value


def _keep(alerts: list[Alert], kinds: frozenset[AlertKind], out: Outbox) -> None:
    out.alerts.extend(a for a in alerts if a.kind in kinds)


def _advance(engine: EngineLike, merger: EventTimeMerger, grace_ms: int,
             floor_ms: int = NEVER) -> list[Alert]:
    """Engine clock: min over active sources − grace; when every source is idle, past the last event."""
    if not merger.sources:
        return []
    if all(s.idle for s in merger.sources.values()):
        wm = merger.clock_ms() + 1 if merger.clock_ms() > NEVER else NEVER
    else:
        wm = merger.clock_ms() - grace_ms
    wm = max(wm, floor_ms)
    return engine.advance_watermark(wm) if wm > NEVER else []


class VesselUnit:
    def __init__(self, partition: int, factory: EngineFactory, n_cell_partitions: int, grace_ms: int,
                 state: bytes | None = None, margin_m: float = DEFAULT_MARGIN_M) -> None:
        self.partition = partition
        self.src = f"p{partition}"
        self.n_cells = n_cell_partitions
        self.grace_ms = grace_ms
        self.margin_m = margin_m
        self.merger = EventTimeMerger()
        self.sent: dict[int, tuple[object, set[int]]] = {}  # mmsi → (identity sent, partitions it reached)
        engine_state: bytes | None = None
        cov: CoverageOut | None = None
        if state is not None:
            engine_state, self.sent, cov = pickle.loads(state)
        self.engine = factory(engine_state, "vessel")
        self.engine.record_heard()
        self.cov = cov if cov is not None else CoverageOut(self.src, self.engine.coverage_bucket_ms())
        self.complete_ms: object = _UNSET  # coverage of the other units is complete before this (None: no limit)
        # MMSIs whose identity was compared with ``sent`` since their last static record (not state: after a
        # restore every vessel is compared again once)
        self.checked: set[int] = set()

    def add_coverage(self, summary: CoverageSummary) -> None:
        """Another unit's coverage summary (our own are skipped: our engine heard them itself)."""
        if summary.src == self.src:
            return
        for cx, cy, b, mmsis in summary.cells:
            self.engine.add_coverage((cx, cy), b, mmsis)

    def catch_up(self, book: CoverageBook) -> None:
        """A unit (re)assigned: everything the instance has read so far (idempotent merge)."""
        for (cx, cy, b), mmsis in book.cells.items():
            self.engine.add_coverage((cx, cy), b, mmsis)

    def add_source(self, kind: str, next_offset: int) -> None:
        self.merger.add_source(kind, rank=0 if kind == STATIC else 1, next_offset=next_offset)

    def push(self, kind: str, ts_ms: int, offset: int, record: Record | None) -> None:
        self.merger.push(kind, ts_ms, offset, record)

    def step(self, out: Outbox, floor_ms: int = NEVER, complete_ms: int | None = NEVER) -> int:
        """Feed the engine what the merge releases; ``complete_ms``: the other units' coverage front
        (None: no other active unit)."""
        if complete_ms != self.complete_ms:
            self.complete_ms = complete_ms
            _keep(self.engine.set_coverage_complete(complete_ms), VESSEL_KINDS, out)
        n = 0
        for _, _, offset, rec in self.merger.pop_ready():
            n += 1
            if rec is None:
                continue
            _keep(self.engine.process(rec), VESSEL_KINDS, out)
            if type(rec) is PositionReport:
                if rec.lon is not None and rec.lat is not None:
                    self._forward(rec, offset, out)
            elif isinstance(rec, StaticVesselData):
                self.checked.discard(rec.mmsi)
        _keep(_advance(self.engine, self.merger, self.grace_ms, floor_ms), VESSEL_KINDS, out)
        self.cov.add(self.engine.take_heard())
        idle = (all(s.idle for s in self.merger.sources.values()) and not self.merger.pending()
                and not self.engine.buffered())
        summary = self.cov.summary(self.engine.heard_complete_ms(), idle)
        if summary is not None:
            out.coverage.append((self.src.encode(), encode_summary(summary)))
        return n

    def _forward(self, rec: PositionReport, offset: int, out: Outbox) -> None:
        """The fix to every cell partition near it, preceded by the vessel's identity the first time it
        reaches a partition (or when it changed)."""
        targets = partitions_near(float(rec.lon), float(rec.lat), self.n_cells, self.margin_m)  # type: ignore[arg-type]
        mmsi = rec.mmsi
        prev = self.sent.get(mmsi)
        if mmsi not in self.checked or (prev is not None and not prev[1].issuperset(targets)):
            ident = self.engine.identity(mmsi, rec.ts_ms)
            self.checked.add(mmsi)
            if ident is not None:
                key_ident = (ident.name, ident.call_sign, ident.imo, ident.ship_type, ident.length_m)
                if prev is None or prev[0] != key_ident:
                    prev = self.sent[mmsi] = (key_ident, set())
                item = encode_item(offset, 0, ident)
                for q in targets:
                    if q not in prev[1]:
                        prev[1].add(q)
                        out.cells.setdefault((self.src, q), []).append(item)
        value = encode_item(offset, 1, rec)
        cells = out.cells
        for q in targets:
            key = (self.src, q)
            batch = cells.get(key)
            if batch is None:
                cells[key] = [value]
            else:
                batch.append(value)

    def marker(self) -> bytes:
        idle = all(s.idle for s in self.merger.sources.values())
        return encode_marker(self.src, self.merger.clock_ms(), idle)

    def state(self) -> bytes:
        return pickle.dumps((self.engine.snapshot(), self.sent, self.cov), protocol=pickle.HIGHEST_PROTOCOL)

    def next_offsets(self) -> dict[str, int | None]:
        return {str(k): s.next_offset for k, s in self.merger.sources.items()}


class SatUnit:
    def __init__(self, partition: int, n_cell_partitions: int) -> None:
        self.partition = partition
        self.src = f"s{partition}"
        self.n_cells = n_cell_partitions
        self.merger = EventTimeMerger()

    def add_source(self, next_offset: int) -> None:
        self.merger.add_source("sat", next_offset=next_offset)

    def push(self, ts_ms: int, offset: int, record: Record | None) -> None:
        self.merger.push("sat", ts_ms, offset, record)

    def step(self, out: Outbox) -> int:
        n = 0
        for _, _, offset, rec in self.merger.pop_ready():
            n += 1
            if isinstance(rec, SatelliteDetection):
                q = cell_partition(cell_id(rec.lon, rec.lat), self.n_cells)
                out.cells.setdefault((self.src, q), []).append(encode_item(offset, 0, rec))
        return n

    def marker(self) -> bytes:
        idle = all(s.idle for s in self.merger.sources.values())
        return encode_marker(self.src, self.merger.clock_ms(), idle)

    def next_offsets(self) -> dict[str, int | None]:
        return {"sat": self.merger.sources["sat"].next_offset}


class CellUnit:
    def __init__(self, partition: int, factory: EngineFactory, sources: list[str], grace_ms: int,
                 n_cell_partitions: int, next_offset: int, state: bytes | None = None) -> None:
        self.partition = partition
        self.grace_ms = grace_ms
        self.merger = EventTimeMerger()
        # per source: last processed (offset, sub), frontier, idle — the durable part of the merge
        self.done: dict[str, tuple[int, int]] = {}
        fronts: dict[str, tuple[int, bool]] = {}
        engine_state: bytes | None = None
        if state is not None:
            engine_state, self.done, fronts = pickle.loads(state)
        self.engine = factory(engine_state, "pairs")
        n = n_cell_partitions
        self.engine.set_owner(lambda lon, lat: cell_partition(cell_id(lon, lat), n) == partition)
        for rank, src in enumerate(sorted(sources)):
            self.merger.add_source(src, rank=rank)
            wm, idle = fronts.get(src, (NEVER, False))
            self.merger.advance_frontier(src, wm)
            self.merger.set_idle(src, idle)
        self.seen = dict(self.done)  # last (offset, sub) pushed, per source
        self.consumed = next_offset  # next Kafka offset of this partition not yet pushed or applied
        self.duplicates = 0
        self.rejects = 0

    def push(self, offset: int, msg: CellRecord | Marker | None) -> None:
        self.consumed = max(self.consumed, offset + 1)
        if msg is None:
            self.rejects += 1
            return
        if msg.src not in self.merger.sources:
            self.merger.add_source(msg.src, rank=len(self.merger.sources))
        if isinstance(msg, Marker):
            self.merger.advance_frontier(msg.src, msg.wm_ms)
            self.merger.set_idle(msg.src, msg.idle)
            return
        pos = (msg.offset, msg.sub)
        last = self.seen.get(msg.src)
        if last is not None and pos <= last:
            self.duplicates += 1
            return
        self.seen[msg.src] = pos
        self.merger.push(msg.src, msg.record.ts_ms, offset, msg)

    def step(self, out: Outbox) -> int:
        n = 0
        for src, _, _, msg in self.merger.pop_ready():
            n += 1
            self.done[str(src)] = (msg.offset, msg.sub)
            _keep(self.engine.process(msg.record), CELL_KINDS, out)
        _keep(_advance(self.engine, self.merger, self.grace_ms), CELL_KINDS, out)
        return n

    def state(self) -> bytes:
        fronts = {str(k): (s.frontier_ms, s.idle) for k, s in self.merger.sources.items()}
        return pickle.dumps((self.engine.snapshot(), self.done, fronts), protocol=pickle.HIGHEST_PROTOCOL)

    def next_offset(self) -> int:
        heads = [s.queue[0][1] for s in self.merger.sources.values() if s.queue]
        return min(heads) if heads else self.consumed

