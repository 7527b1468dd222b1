"""Processing units: one per input partition, each an event-time merge in front of an engine (pure).

* ``VesselUnit`` (stage 1): ``ais.positions`` partition p + ``ais.static`` partition p (co-partitioned by
  MMSI) + every ``sat.detections`` partition. Runs the track filter, go-fast, dark periods and satellite
  matching (scenes resolved with the other units' parts, ``exchange.py``), and passes the fixes the
  rendezvous detector can use on to the cell partitions near them, preceded by the vessel's identity the
  first time (or when it changed) it reaches a partition.
* ``CellUnit`` (stage 2): a ``detect.positions-by-cell.v3`` partition. Merges its upstream units by event
  time (watermark markers), drops what a restarted unit re-publishes, runs the rendezvous detector for the
  pairs whose centroid lies in its cells.

A unit's ``step`` returns what to produce; the service produces it, then checkpoints ``state()`` with
``next_offsets()`` in one transaction.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from typing import Any

from msa.domain import Alert, Record, SatelliteDetection
from services.detect.buffer import NEVER
from services.detect.rendezvous import IdentityChange, RendezvousInput
from services.detect.stream.cell_records import CellItem, Marker, Position, Row, encode_marker, identity_row, input_row
from services.detect.stream.cells import DEFAULT_MARGIN_M, cell_id, cell_partition, key_partition, partitions_near
from services.detect.stream.coverage_exchange import CoverageBook, CoverageOut, CoverageSummary
from services.detect.stream.engines import EngineFactory
from services.detect.stream.exchange import ExchangeBook, Message, ScenePartMsg, UnitClock
from services.detect.stream.merge import EventTimeMerger
from services.detect.stream.satfeed import sat_source
from services.detect.track import VesselStatic

__all__ = ["POS", "STATE_FORMAT", "STATIC", "CellUnit", "IncompatibleStateError", "Outbox", "VesselUnit",
           "detection_owner"]

POS, STATIC = "pos", "static"
STATE_FORMAT = 3  # 3: track histories, late satellite scenes, rendezvous inputs with the previous fix
CLOCK_STEP_MS = 60_000  # unit clocks are published when they cross a scan step
_UNSET = object()


class IncompatibleStateError(ValueError):
    """A checkpoint written by another version of the detector: the partition is rebuilt from its start."""


@dataclass(slots=True)
class Outbox:
    alerts: list[Alert] = field(default_factory=list)
    # (source unit, cell partition) → batch items (``cell_records.*_row``), in the source's order
    cells: dict[tuple[str, int], list[Row]] = field(default_factory=dict)
    exchange: list[Message] = field(default_factory=list)  # to detect.exchange.v1, in order


def detection_owner(det: SatelliteDetection, n_units: int) -> int:
    """The one stage-1 unit that raises the dark vessel / dark rendezvous alert of a detection."""
    return key_partition(det.detection_id, n_units)


def _load(state: bytes, kind: str) -> dict[str, Any]:
    try:
        d = pickle.loads(state)
    except Exception as exc:  # any unpickling failure: not a state this version wrote
        raise IncompatibleStateError(f"unreadable {kind} state ({exc.__class__.__name__})") from exc
    if not isinstance(d, dict) or d.get("format") != STATE_FORMAT or d.get("kind") != kind:
        raise IncompatibleStateError(f"{kind} state of another detector version")
    return d


def _identity_key(s: VesselStatic) -> tuple[object, ...]:
    return (s.name, s.call_sign, s.imo, s.ship_type, s.length_m)


def _quantized(ms: int) -> int:
    return ms if ms <= NEVER else ms // CLOCK_STEP_MS * CLOCK_STEP_MS


def _advance(engine: Any, merger: EventTimeMerger, grace_ms: int, floor_ms: int = NEVER,
             exclusive: bool = False) -> list[Alert]:
    """Engine clock: min over active sources − grace; when every source is idle, past the last event
    (``exclusive``: the sources' fronts already are exclusive bounds, as stage-1 markers are)."""
    if not merger.sources:
        return []
    if all(s.idle for s in merger.sources.values()):
        clock = merger.clock_ms()
        wm = NEVER if clock <= NEVER else clock if exclusive else clock + 1
    else:
        wm = merger.clock_ms() - grace_ms
    wm = max(wm, floor_ms)
    out: list[Alert] = engine.advance_watermark(wm) if wm > NEVER else []
    return out


class VesselUnit:
    def __init__(self, partition: int, factory: EngineFactory, n_cell_partitions: int, grace_ms: int,
                 state: bytes | None = None, margin_m: float = DEFAULT_MARGIN_M, n_units: int = 1) -> None:
        self.partition = partition
        self.src = f"p{partition}"
        self.n_cells = n_cell_partitions
        self.grace_ms = grace_ms
        self.margin_m = margin_m
        self.merger = EventTimeMerger()
        # mmsi → (identity sent, or None; cell partitions it reached)
        self.sent: dict[int, tuple[object, set[int]]] = {}
        self.rv_parts: dict[int, set[int]] = {}  # mmsi → cell partitions holding it as a rendezvous candidate
        self.sat_next: dict[str, int | None] = {}  # per satellite source: first offset not yet taken
        engine_state: bytes | None = None
        cov: CoverageOut | None = None
        if state is not None:
            d = _load(state, "vessel")
            engine_state, self.sent, self.rv_parts, cov = d["engine"], d["sent"], d["rv_parts"], d["cov"]
            self.sat_next = d["sat_next"]
        try:
            self.engine = factory(engine_state, "vessel")
        except ValueError as exc:
            raise IncompatibleStateError(str(exc)) from exc
        self.engine.record_heard()
        self.engine.enable_scene_exchange(lambda det: detection_owner(det, n_units) == partition)
        self.cov = cov if cov is not None else CoverageOut(self.src, self.engine.coverage_bucket_ms())
        self.complete_ms: object = _UNSET  # coverage of the other units is complete before this (None: no limit)
        self.published: UnitClock | None = None
        # per satellite source, the scene of the last detection taken from it: a scene's detections are
        # consecutive on its partition, so a late scene is complete once no active source still ends on it
        self.sat_last: dict[str, tuple[int, str]] = {}

    # ---- inputs --------------------------------------------------------------------------------------
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

    def add_sat_source(self, partition: int) -> int | None:
        """A satellite partition; returns the first offset this unit still needs from it (None: all)."""
        src = sat_source(partition)
        nxt = self.sat_next.get(src)
        self.merger.add_source(src, rank=2 + partition, next_offset=nxt)
        return nxt

    def push(self, kind: str, ts_ms: int, offset: int, record: Record | None) -> None:
        self.merger.push(kind, ts_ms, offset, record)

    def push_sat(self, src: str, ts_ms: int, offset: int, record: Record | None) -> None:
        """A satellite record, unless this unit has taken it already (restored state, or read twice)."""
        s = self.merger.sources.get(src)
        if s is None:
            return
        last = s.queue[-1][1] if s.queue else None
        if (last is not None and offset <= last) or (s.next_offset is not None and offset < s.next_offset):
            return
        self.merger.push(src, ts_ms, offset, record)

    # ---- processing ----------------------------------------------------------------------------------
    def step(self, out: Outbox, floor_ms: int = NEVER, complete_ms: int | None = NEVER,
             book: ExchangeBook | None = None) -> int:
        """Feed the engine what the merge releases. ``floor_ms``: the cluster clock (idle units follow it);
        ``complete_ms``: the other units' coverage front (None: no other active unit); ``book``: the other
        units' scene parts and fronts (None: this unit is alone)."""
        engine = self.engine
        alerts = out.alerts
        if complete_ms != self.complete_ms:
            self.complete_ms = complete_ms
            alerts += engine.set_coverage_complete(complete_ms)
        n = 0
        sat_last = self.sat_last
        for src, _, _, rec in self.merger.pop_ready():
            n += 1
            if rec is None:
                continue
            if type(rec) is SatelliteDetection:
                sat_last[str(src)] = (rec.ts_ms, rec.scene_id)
            got = engine.process(rec)
            if got:
                alerts += got
        alerts += engine.flush_late(self._scene_complete)
        alerts += _advance(engine, self.merger, self.grace_ms, floor_ms)
        while (waiting := engine.awaiting_scenes()) is not None:
            scan_ms, keys = waiting
            if book is not None and not book.scenes_ready(self.src, keys, scan_ms):
                break
            alerts += engine.resolve_scenes({} if book is None else book.others_parts(self.src, keys))
        for scan_ms, key in engine.awaiting_late():  # scenes whose detections came after their scan
            if book is None:
                alerts += engine.resolve_late(key, [])
            elif book.scenes_ready(self.src, [key], scan_ms):
                alerts += engine.resolve_late(key, book.others_parts(self.src, [key])[key])
        handed = engine.take_outputs()
        self._forward(handed.rendezvous_inputs, out)
        for part in handed.scene_parts:
            out.exchange.append(ScenePartMsg(self.src, part))
        self.cov.add(handed.heard)
        summary = self.cov.summary(engine.heard_complete_ms(), self.done())
        if summary is not None:
            out.exchange.append(summary)
        clock = self.clock()
        if clock != self.published:
            self.published = clock
            out.exchange.append(clock)
        return n

    def _scene_complete(self, key: tuple[int, str]) -> bool:
        sources = self.merger.sources
        return not any(last == key and not sources[src].idle for src, last in self.sat_last.items()
                       if src in sources)

    def inputs_idle(self) -> bool:
        return all(s.idle for s in self.merger.sources.values())

    def done(self) -> bool:
        """Inputs idle and everything they gave handled."""
        return (self.inputs_idle() and not self.merger.pending() and not self.engine.buffered()
                and self.engine.awaiting_scenes() is None and not self.engine.awaiting_late())

    def clock(self) -> UnitClock:
        """What the exchange learns of this unit (quantized to scan steps; an idle unit's clock exact)."""
        idle = self.inputs_idle()
        clock = self.merger.clock_ms()
        return UnitClock(self.src, clock if idle else _quantized(clock), _quantized(self.engine.front_ms()), idle)

    def live_clock(self) -> tuple[int, bool]:
        return self.merger.clock_ms(), self.inputs_idle()

    def _forward(self, items: list[RendezvousInput | IdentityChange], out: Outbox) -> None:
        """In order: a candidate fix to every cell partition near it and to those that held the vessel until
        now (with the vessel's identity the first time it reaches a partition), an end of candidacy to the
        partitions that hold the vessel, an identity change to the partitions the vessel reached."""
        cells = out.cells
        src = self.src
        for r in items:
            mmsi = r.mmsi
            if isinstance(r, IdentityChange):
                sent = self.sent.get(mmsi)
                key = _identity_key(r.identity)
                if sent is not None and sent[1] and sent[0] != key:
                    self.sent[mmsi] = (key, sent[1])
                    value = identity_row(r)
                    for q in sorted(sent[1]):
                        cells.setdefault((src, q), []).append(value)
                continue
            if r.speed_kn is None:
                targets: Any = self.rv_parts.pop(mmsi, ())
            else:
                near = partitions_near(r.lon, r.lat, self.n_cells, self.margin_m)
                held = self.rv_parts.get(mmsi)
                # the partitions that held the vessel get this fix too (it may end a meeting there); from
                # now on only those near it hold it
                targets = near if held is None or held.issubset(near) else [*near, *sorted(held - near.keys())]
                self.rv_parts[mmsi] = set(near)
            if not targets:
                continue
            value = input_row(r)
            sent = self.sent.get(mmsi)
            for q in targets:
                item = value
                if sent is None or q not in sent[1]:  # first input to this partition: with the identity
                    reached = set() if sent is None else sent[1]
                    sent = self.sent[mmsi] = (None if r.identity is None else _identity_key(r.identity), reached)
                    reached.add(q)
                    if r.identity is not None:
                        item = input_row(r, with_identity=True)
                batch = cells.get((src, q))
                if batch is None:
                    cells[(src, q)] = [item]
                else:
                    batch.append(item)

    # ---- what the service publishes and checkpoints --------------------------------------------------
    def marker(self) -> bytes:
        """Everything before the engine's front has been passed on."""
        return encode_marker(self.src, self.engine.front_ms(), self.done())

    def state(self) -> bytes:
        sat_next = {str(k): s.next_offset for k, s in self.merger.sources.items() if k not in (POS, STATIC)}
        return pickle.dumps({"format": STATE_FORMAT, "kind": "vessel", "engine": self.engine.snapshot(),
                             "sent": self.sent, "rv_parts": self.rv_parts, "cov": self.cov, "sat_next": sat_next},
                            protocol=pickle.HIGHEST_PROTOCOL)

    def next_offsets(self) -> dict[str, int | None]:
        return {str(k): s.next_offset for k, s in self.merger.sources.items()}


class CellUnit:
    def __init__(self, partition: int, factory: EngineFactory, sources: list[str], n_cell_partitions: int,
                 next_offset: int, state: bytes | None = None) -> None:
        self.partition = partition
        self.merger = EventTimeMerger()
        # per source: last processed position (cell_records.Position) — with the fronts, the durable part of the merge
        self.done: dict[str, Position] = {}
        fronts: dict[str, tuple[int, bool]] = {}
        engine_state: bytes | None = None
        if state is not None:
            d = _load(state, "cell")
            engine_state, self.done, fronts = d["engine"], d["done"], d["fronts"]
        try:
            self.engine = factory(engine_state, "pairs")
        except ValueError as exc:
            raise IncompatibleStateError(str(exc)) from exc
        n = n_cell_partitions
        self.engine.set_owner(lambda lon, lat: cell_partition(cell_id(lon, lat), n) == partition)
        for rank, src in enumerate(sorted(sources)):
            self.merger.add_source(src, rank=rank)
            wm, idle = fronts.get(src, (NEVER, False))
            self.merger.advance_frontier(src, wm)
            self.merger.set_idle(src, idle)
        self.seen = dict(self.done)  # last position pushed, per source
        self.consumed = next_offset  # next Kafka offset of this partition not yet pushed or applied
        self.duplicates = 0
        self.rejects = 0

    def _source(self, src: str) -> None:
        if src not in self.merger.sources:
            self.merger.add_source(src, rank=len(self.merger.sources))

    def push_reject(self, offset: int) -> None:
        self.consumed = max(self.consumed, offset + 1)
        self.rejects += 1

    def push_marker(self, offset: int, marker: Marker) -> None:
        self.consumed = max(self.consumed, offset + 1)
        self._source(marker.src)
        self.merger.advance_frontier(marker.src, marker.wm_ms)
        self.merger.set_idle(marker.src, marker.idle)

    def push_batch(self, offset: int, src: str, items: list[tuple[Position, CellItem]]) -> None:
        self.consumed = max(self.consumed, offset + 1)
        self._source(src)
        last = self.seen.get(src)
        push = self.merger.push
        for pos, item in items:
            if last is not None and pos <= last:
                self.duplicates += 1
                continue
            last = pos
            push(src, item.ts_ms, offset, (pos, item))
        if last is not None:
            self.seen[src] = last

    def step(self, out: Outbox) -> int:
        n = 0
        engine = self.engine
        alerts = out.alerts
        for src, _, _, (pos, item) in self.merger.pop_ready():
            n += 1
            self.done[str(src)] = pos
            got = engine.process(item)
            if got:
                alerts += got
        alerts += _advance(engine, self.merger, 0, exclusive=True)
        return n

    def state(self) -> bytes:
        fronts = {str(k): (s.frontier_ms, s.idle) for k, s in self.merger.sources.items()}
        return pickle.dumps({"format": STATE_FORMAT, "kind": "cell", "engine": self.engine.snapshot(),
                             "done": self.done, "fronts": fronts}, protocol=pickle.HIGHEST_PROTOCOL)

    def next_offset(self) -> int:
        heads = [s.queue[0][1] for s in self.merger.sources.values() if s.queue]
        return min(heads) if heads else self.consumed

