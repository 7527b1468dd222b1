"""One detector instance as pure state: its units, what they have told each other, and the step it runs.

``msa detector`` (``service.py``) wraps an :class:`Instance` in Kafka and PostgreSQL I/O: it pushes what it
polls into :meth:`Instance.push` / :meth:`Instance.push_cells` / :meth:`Instance.take_sat` /
:meth:`Instance.learn`, calls :meth:`Instance.step`, and produces the :class:`~units.Outbox` it returns.
The in-memory test cluster (``tests/unit/stream/cluster.py``) runs the same object with FIFOs in place of
topics, so the two cannot drift apart. No Kafka, no database, no clock.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from msa.domain import Record
from services.detect.stream.cell_records import CellItem, Marker, Position
from services.detect.stream.cells import DEFAULT_MARGIN_M
from services.detect.stream.coverage_exchange import CoverageSummary
from services.detect.stream.engines import EngineFactory
from services.detect.stream.exchange import ExchangeBook, Message
from services.detect.stream.satfeed import SatFeed, sat_source
from services.detect.stream.units import POS, STATIC, CellUnit, IncompatibleStateError, Outbox, VesselUnit

__all__ = ["CheckpointSlot", "Instance"]

log = logging.getLogger("msa.detector")

CheckpointSlot = tuple[str, int, int]  # (input kind "pos" | "static" | "cell", partition, next offset)


class Instance:
    """The units of one instance. ``n_units``: positions partitions (stage-1 units in the whole group);
    ``n_cells``: cell partitions (stage-2 units in the whole group)."""

    def __init__(self, factory: EngineFactory, grace_ms: int, n_units: int, n_cells: int,
                 late_ms: int = 0, margin_m: float = DEFAULT_MARGIN_M, sat_partitions: list[int] | None = None) -> None:
        self.factory = factory
        self.grace_ms = grace_ms
        self.n_units = n_units
        self.n_cells = n_cells
        self.margin_m = margin_m
        self.book = ExchangeBook([f"p{i}" for i in range(n_units)], late_ms)
        self.feed = SatFeed(sat_partitions or [])
        self.vessel_units: dict[int, VesselUnit] = {}
        self.cell_units: dict[int, CellUnit] = {}
        self.sent_markers: dict[str, bytes] = {}
        self.rebuilt: set[int] = set()  # positions partitions rebuilt from their start: their static partition too

    # ---- units ---------------------------------------------------------------------------------------
    def vessel_unit(self, p: int, state: bytes | None = None) -> VesselUnit | None:
        """A stage-1 unit, restored from ``state`` (None if that state is another version's), caught up with
        the exchange and the satellite detections this instance has read."""
        try:
            unit = VesselUnit(p, self.factory, self.n_cells, self.grace_ms, state, self.margin_m, self.n_units)
        except IncompatibleStateError as exc:
            log.warning("positions partition %d: %s", p, exc)
            return None
        unit.catch_up(self.book.coverage)
        for k in sorted(self.feed.parts):
            nxt = unit.add_sat_source(k)
            for ts, offset, rec in self.feed.since(k, nxt):
                unit.push_sat(sat_source(k), ts, offset, rec)
        self.vessel_units[p] = unit
        return unit

    def cell_unit(self, q: int, next_offset: int, state: bytes | None = None) -> CellUnit | None:
        """A stage-2 unit (None if ``state`` is another version's)."""
        try:
            unit = CellUnit(q, self.factory, [f"p{i}" for i in range(self.n_units)], self.n_cells, next_offset,
                            state)
        except IncompatibleStateError as exc:
            log.warning("cell partition %d: %s", q, exc)
            return None
        self.cell_units[q] = unit
        return unit

    def assign(self, kind: str, p: int, begin: int, saved: tuple[int, bytes | None] | None) -> tuple[int, str]:
        """An input partition assigned (positions before static, as a static partition travels with its positions
        partition): its unit restored from the checkpoint ``saved`` (next offset, state), or fresh from ``begin``
        (no checkpoint, or one another version wrote — then a vessel unit's static partition restarts from its
        start too). Returns where to read from and how the unit started."""
        offset, state = saved if saved is not None else (begin, None)
        how = "fresh" if saved is None else f"restored {len(state or b'')} B of state"
        if kind == POS:
            unit = self.vessel_unit(p, state)
            if unit is None:
                self.rebuilt.add(p)
                offset, how = begin, "rebuilt from the start (checkpoint of another version)"
                unit = self.vessel_unit(p, None)
                assert unit is not None
            unit.add_source(POS, offset)
        elif kind == STATIC:
            unit = self.vessel_units.get(p) or self.vessel_unit(p, None)
            assert unit is not None
            if p in self.rebuilt:
                self.rebuilt.discard(p)
                offset, how = begin, "from the start, with its positions partition"
            unit.add_source(STATIC, offset)
        elif self.cell_unit(p, offset, state) is None:
            offset, how = begin, "rebuilt from the start (checkpoint of another version)"
            assert self.cell_unit(p, offset, None) is not None
        return offset, how

    def drop(self, kind: str, p: int) -> None:
        """A partition revoked: its unit goes (its state was checkpointed by the caller)."""
        if kind == "cell":
            self.cell_units.pop(p, None)
        else:
            self.vessel_units.pop(p, None)

    # ---- inputs --------------------------------------------------------------------------------------
    def learn(self, msg: Message) -> None:
        """An exchange message: read back from the exchange, or just produced by a unit of this instance."""
        self.book.add(msg)
        if isinstance(msg, CoverageSummary):
            for vu in self.vessel_units.values():
                vu.add_coverage(msg)

    def push(self, kind: str, p: int, records: Iterable[tuple[int, Record | None]]) -> None:
        """Position (``POS``) or static (``STATIC``) records of partition ``p``, as (offset, record) in offset
        order (None: undecodable, kept so that offsets stay contiguous; stamped at its source's frontier)."""
        vu = self.vessel_units.get(p)
        if vu is None:
            return
        src = vu.merger.sources[kind]
        push = vu.merger.push
        for offset, rec in records:
            push(kind, rec.ts_ms if rec is not None else max(src.frontier_ms, 0), offset, rec)

    def take_sat(self, partition: int, offset: int, record: Record | None) -> None:
        """A satellite record (every unit judges every scene): kept for units assigned later."""
        ts = record.ts_ms if record is not None else self.feed.max_ts
        if not self.feed.add(partition, offset, ts, record):
            return
        src = sat_source(partition)
        for vu in self.vessel_units.values():
            vu.push_sat(src, ts, offset, record)

    def push_cells(self, q: int, offset: int, got: Marker | tuple[str, list[tuple[Position, CellItem]]] | None) -> int:
        """A decoded record of cell partition ``q`` (None: undecodable). Returns duplicates dropped."""
        cu = self.cell_units.get(q)
        if cu is None:
            return 0
        before = cu.duplicates
        if got is None:
            cu.push_reject(offset)
        elif isinstance(got, Marker):
            cu.push_marker(offset, got)
        else:
            cu.push_batch(offset, *got)
        return cu.duplicates - before

    # ---- the step ------------------------------------------------------------------------------------
    def step_vessels(self, out: Outbox) -> int:
        """Stage 1: every vessel unit at the cluster clock; what a unit tells the others is learnt here at once
        (the local units need not wait for the round trip). Returns how many records were handled."""
        local = {vu.src: vu.live_clock() for vu in self.vessel_units.values()}
        floor = self.book.floor_ms(self.grace_ms, local)
        n = 0
        for p in sorted(self.vessel_units):
            vu = self.vessel_units[p]
            mark = len(out.exchange)
            n += vu.step(out, floor, self.book.coverage.complete_for(vu.src), self.book)
            for msg in out.exchange[mark:]:
                self.learn(msg)
        return n

    def step_cells(self, out: Outbox) -> int:
        """Stage 2: every cell unit."""
        return sum(self.cell_units[q].step(out) for q in sorted(self.cell_units))

    def step(self, out: Outbox) -> int:
        return self.step_vessels(out) + self.step_cells(out)

    def markers(self, force: bool = False) -> list[bytes]:
        """The watermark markers to send to every cell partition: those that changed (all with ``force``)."""
        sent: list[bytes] = []
        for p in sorted(self.vessel_units):
            unit = self.vessel_units[p]
            value = unit.marker()
            if force or self.sent_markers.get(unit.src) != value:
                self.sent_markers[unit.src] = value
                sent.append(value)
        return sent

    # ---- what a checkpoint holds ---------------------------------------------------------------------
    def merging(self) -> int:
        """Records waiting in the units' event-time merges."""
        units: list[VesselUnit | CellUnit] = [*self.vessel_units.values(), *self.cell_units.values()]
        return sum(u.merger.pending() for u in units)

    def checkpoint_slots(self) -> tuple[list[CheckpointSlot], list[VesselUnit | CellUnit | None]]:
        """One row per input partition: (kind, partition, next offset), and the unit whose state the row holds
        (None: offsets only — a static partition travels with its positions partition's state)."""
        slots: list[CheckpointSlot] = []
        units: list[VesselUnit | CellUnit | None] = []
        for p, vu in self.vessel_units.items():
            offs = vu.next_offsets()
            if offs.get(POS) is not None:
                slots.append((POS, p, int(offs[POS] or 0)))
                units.append(vu)
            if offs.get(STATIC) is not None:
                slots.append((STATIC, p, int(offs[STATIC] or 0)))
                units.append(None)
        for q, cu in self.cell_units.items():
            slots.append(("cell", q, cu.next_offset()))
            units.append(cu)
        return slots, units
