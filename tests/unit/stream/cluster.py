"""The streaming detector's units wired together in memory, as ``DetectorService`` wires them over Kafka.

Records are placed on partitions as the ingest publisher places them (murmur2 of the key), fed to the units
in random chunks; every unit's exchange messages reach its own instance's book at once and the other
instances' books some rounds later; stage-1 cell batches and markers go through per-partition FIFOs read in
random chunks. Sources go idle (randomly, like the wall-clock idle timeout) once their input is exhausted.
No Kafka, no database: the same pure units, so a test can run many arrangements in a second.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field

from msa.domain import Alert, PositionReport, Record, SatelliteDetection, SceneFootprint, StaticVesselData
from services.detect.offline import final_alerts
from services.detect.stream.cells import key_partition
from services.detect.stream.coverage import CoverageSummary
from services.detect.stream.engines import EngineSettings
from services.detect.stream.exchange import ExchangeBook, Message, decode, encode
from services.detect.stream.satfeed import sat_source
from services.detect.stream.units import POS, STATIC, CellUnit, Outbox, VesselUnit
from services.detect.stream.wire import Marker, encode_batch
from services.detect.stream.wire import decode as decode_cell

__all__ = ["Cluster", "partition_of"]


def partition_of(key: str, n: int) -> int:
    return key_partition(key, n)


@dataclass
class _Instance:
    book: ExchangeBook
    units: list[int] = field(default_factory=list)
    inbox: deque[tuple[int, Message]] = field(default_factory=deque)  # (deliver at round, message)


class Cluster:
    def __init__(self, n_units: int = 3, n_cells: int = 4, n_sat: int = 2, instances: int = 1,
                 grace_ms: int = 60_000, seed: int = 0, max_delay_rounds: int = 3) -> None:
        self.rng = random.Random(seed)
        self.factory = EngineSettings(grace_ms=grace_ms).factory()
        self.n_units, self.n_cells, self.n_sat = n_units, n_cells, n_sat
        self.grace_ms = grace_ms
        self.max_delay = max_delay_rounds
        names = [f"p{i}" for i in range(n_units)]
        late_ms = self.factory(None, "vessel").max_late_ms()
        self.instances = [_Instance(ExchangeBook(names, late_ms)) for _ in range(instances)]
        self.home: dict[int, _Instance] = {}
        self.vessel: list[VesselUnit] = []
        for p in range(n_units):
            inst = self.instances[p % instances]
            inst.units.append(p)
            self.home[p] = inst
            vu = VesselUnit(p, self.factory, n_cells, grace_ms, n_units=n_units)
            vu.add_source(POS, 0)
            vu.add_source(STATIC, 0)
            for k in range(n_sat):
                vu.add_sat_source(k)
            self.vessel.append(vu)
        self.cells = [CellUnit(q, self.factory, names, n_cells, 0) for q in range(n_cells)]
        self.cell_fifo: list[deque[bytes]] = [deque() for _ in range(n_cells)]
        self.cell_offset = [0] * n_cells
        self.round = 0
        self.versions: list[Alert] = []
        self.messages = 0
        self.markers: dict[int, bytes] = {}

    # ---- input placement (as the ingest publisher keys records) ---------------------------------------
    def place(self, records: list[Record]) -> tuple[list[list[tuple[str, Record]]], list[list[Record]]]:
        by_unit: list[list[tuple[str, Record]]] = [[] for _ in range(self.n_units)]
        by_sat: list[list[Record]] = [[] for _ in range(self.n_sat)]
        for r in records:
            if isinstance(r, PositionReport | StaticVesselData):
                kind = POS if isinstance(r, PositionReport) else STATIC
                by_unit[partition_of(str(r.mmsi), self.n_units)].append((kind, r))
            elif isinstance(r, SatelliteDetection | SceneFootprint):
                by_sat[partition_of(r.scene_id, self.n_sat)].append(r)
        return by_unit, by_sat

    # ---- one round: what the service does in one iteration, for every instance --------------------------
    def _deliver_exchange(self) -> None:
        for inst in self.instances:
            while inst.inbox and inst.inbox[0][0] <= self.round:
                self._learn(inst, inst.inbox.popleft()[1])

    def _learn(self, inst: _Instance, msg: Message) -> None:
        inst.book.add(msg)
        if isinstance(msg, CoverageSummary):
            for p in inst.units:
                self.vessel[p].add_coverage(msg)

    def _publish(self, src_unit: int, msgs: list[Message]) -> None:
        for msg in msgs:
            msg = decode(encode(msg))  # through the wire format
            self.messages += 1
            for inst in self.instances:
                if inst is self.home[src_unit]:
                    self._learn(inst, msg)
                else:  # later, but in order (one partition)
                    at = self.round + self.rng.randint(1, self.max_delay)
                    if inst.inbox:
                        at = max(at, inst.inbox[-1][0])
                    inst.inbox.append((at, msg))

    def step(self) -> int:
        """One round; returns how many records moved anywhere."""
        self.round += 1
        self._deliver_exchange()
        moved = 0
        for inst in self.instances:
            local = {self.vessel[p].src: self.vessel[p].live_clock() for p in inst.units}
            floor = inst.book.floor_ms(self.grace_ms, local)
            for p in inst.units:
                vu = self.vessel[p]
                out = Outbox()
                moved += vu.step(out, floor, inst.book.coverage.complete_for(vu.src), inst.book)
                self.versions += out.alerts
                self._publish(p, out.exchange)
                for (src, q), items in out.cells.items():
                    self.cell_fifo[q].append(encode_batch(src, items))
                    moved += len(items)
                marker = vu.marker()
                if self.markers.get(p) != marker:  # as the service: markers when they changed
                    self.markers[p] = marker
                    for q in range(self.n_cells):
                        self.cell_fifo[q].append(marker)
        for q, cu in enumerate(self.cells):
            fifo = self.cell_fifo[q]
            for _ in range(min(len(fifo), self.rng.randint(1, 8))):
                value = fifo.popleft()
                got = decode_cell(value)
                if isinstance(got, Marker):
                    cu.push_marker(self.cell_offset[q], got)
                else:
                    cu.push_batch(self.cell_offset[q], *got)
                    moved += 1
                self.cell_offset[q] += 1
            out = Outbox()
            moved += cu.step(out)
            self.versions += out.alerts
        return moved

    # ---- a whole run ------------------------------------------------------------------------------------
    def run(self, records: list[Record], max_chunk: int = 300, sat_delay_ms: int = 0) -> list[Alert]:
        """Every record through the units; returns the final state of every alert (as ``msa detect``).
        ``sat_delay_ms``: satellite records arrive only once every unit's input has passed their event time
        by that much (late SAR products), or when the AIS input is exhausted."""
        by_unit, by_sat = self.place(records)
        # (late satellite mode) a unit's static partition, once it has given everything, goes idle as the
        # service's wall-clock timeout would make it: else it would hold the merge until the very end
        last_static = [max((i for i, (kind, _) in enumerate(recs) if kind == STATIC), default=-1)
                       for recs in by_unit]
        cur_u = [0] * self.n_units
        cur_s = [0] * self.n_sat
        offsets: dict[tuple[int, str], int] = {}
        while any(c < len(x) for c, x in zip(cur_u, by_unit, strict=True)) or any(
                c < len(x) for c, x in zip(cur_s, by_sat, strict=True)):
            # (late satellite mode) AIS goes no further than the next detection's delivery time
            upcoming = [by_sat[k][cur_s[k]].ts_ms for k in range(self.n_sat) if cur_s[k] < len(by_sat[k])]
            limit = min(upcoming) + sat_delay_ms if sat_delay_ms and upcoming else None
            held_back = 0  # units whose next AIS record is past the limit
            for p, vu in enumerate(self.vessel):
                n = self.rng.randint(0, max_chunk)
                chunk = by_unit[p][cur_u[p]:cur_u[p] + n]
                if limit is not None:
                    nxt = by_unit[p][cur_u[p]:cur_u[p] + 1]
                    held_back += bool(nxt) and nxt[0][1].ts_ms > limit
                    cut = next((i for i, (_, r) in enumerate(chunk) if r.ts_ms > limit), len(chunk))
                    n = cut
                    chunk = chunk[:cut]
                for kind, r in chunk:
                    off = offsets.get((p, kind), 0)
                    offsets[(p, kind)] = off + 1
                    vu.push(kind, r.ts_ms, off, r)
                cur_u[p] += n
                if sat_delay_ms and cur_u[p] > last_static[p] and not vu.merger.sources[STATIC].queue:
                    vu.merger.set_idle(STATIC, True)
                if cur_u[p] >= len(by_unit[p]) and self.rng.random() < 0.3:
                    vu.merger.set_idle(POS, True)
                    vu.merger.set_idle(STATIC, True)
            ais_done = all(c >= len(x) for c, x in zip(cur_u, by_unit, strict=True))
            remaining = sum(c < len(x) for c, x in zip(cur_u, by_unit, strict=True))
            at_limit = remaining > 0 and held_back == remaining  # every unit's AIS has reached the delivery time
            now = min(vu.merger.clock_ms() for vu in self.vessel)
            held = [False] * self.n_sat
            for k in range(self.n_sat):
                n = self.rng.randint(0, 3)
                for r in by_sat[k][cur_s[k]:cur_s[k] + n]:
                    if sat_delay_ms and not ais_done and now < r.ts_ms + sat_delay_ms and not at_limit:
                        held[k] = True  # not delivered yet: the feed is caught up, idle, as far as a unit knows
                        break
                    for vu in self.vessel:
                        vu.push_sat(sat_source(k), r.ts_ms, cur_s[k], r)
                    cur_s[k] += 1
            for k in range(self.n_sat):
                if (cur_s[k] >= len(by_sat[k]) or held[k]) and self.rng.random() < 0.5:
                    for vu in self.vessel:
                        if not vu.merger.sources[sat_source(k)].queue:
                            vu.merger.set_idle(sat_source(k), True)
            self.step()
        for vu in self.vessel:
            for src in vu.merger.sources:
                vu.merger.set_idle(src, True)
        quiet = 0
        for _ in range(5000):
            moved = self.step()
            pending = any(inst.inbox for inst in self.instances) or any(self.cell_fifo)
            quiet = quiet + 1 if not moved and not pending else 0
            if quiet > self.max_delay + 3:
                break
        else:
            raise AssertionError("the cluster did not settle")
        return final_alerts(self.versions)
