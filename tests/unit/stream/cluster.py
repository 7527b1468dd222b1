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
from services.detect.stream.cell_records import Marker, encode_batch
from services.detect.stream.cell_records import decode as decode_cell
from services.detect.stream.cells import key_partition
from services.detect.stream.engines import EngineSettings
from services.detect.stream.exchange import ExchangeBook, Message, decode, encode
from services.detect.stream.instance import Instance
from services.detect.stream.satfeed import sat_source
from services.detect.stream.units import POS, STATIC, Outbox, VesselUnit

__all__ = ["Cluster", "partition_of"]


def partition_of(key: str, n: int) -> int:
    return key_partition(key, n)


@dataclass
class _Node:
    """One instance (``msa detector``): the pure :class:`Instance` it runs, and its exchange consumer's inbox."""

    inst: Instance
    inbox: deque[tuple[int, Message]] = field(default_factory=deque)  # (deliver at round, message)

    @property
    def book(self) -> ExchangeBook:
        return self.inst.book


class Cluster:
    def __init__(self, n_units: int = 3, n_cells: int = 4, n_sat: int = 2, instances: int = 1,
                 grace_ms: int = 60_000, seed: int = 0, max_delay_rounds: int = 3) -> None:
        self.rng = random.Random(seed)
        self.factory = EngineSettings(grace_ms=grace_ms).factory()
        self.n_units, self.n_cells, self.n_sat = n_units, n_cells, n_sat
        self.grace_ms = grace_ms
        self.max_delay = max_delay_rounds
        late_ms = self.factory(None, "vessel").max_late_ms()
        self.instances = [_Node(Instance(self.factory, grace_ms, n_units, n_cells, late_ms,
                                         sat_partitions=list(range(n_sat)))) for _ in range(instances)]
        self.home: dict[int, _Node] = {}
        self.vessel: list[VesselUnit] = []
        for p in range(n_units):  # as the range assignor spreads partitions over the group
            node = self.home[p] = self.instances[p % instances]
            vu = node.inst.vessel_unit(p)
            assert vu is not None
            vu.add_source(POS, 0)
            vu.add_source(STATIC, 0)
            self.vessel.append(vu)
        self.cell_home = [self.instances[q % instances] for q in range(n_cells)]
        for q, node in enumerate(self.cell_home):
            node.inst.cell_unit(q, 0)
        self.cell_fifo: list[deque[bytes]] = [deque() for _ in range(n_cells)]
        self.cell_offset = [0] * n_cells
        self.round = 0
        self.versions: list[Alert] = []
        self.messages = 0

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

    # ---- one round: what ``DetectorService._iteration`` does, for every instance -------------------------
    def _deliver_exchange(self) -> None:
        for node in self.instances:
            while node.inbox and node.inbox[0][0] <= self.round:
                node.inst.learn(node.inbox.popleft()[1])

    def _publish(self, home: _Node, msgs: list[Message]) -> None:
        """What a unit told the others: its own instance learnt it in the step; the others read it from the
        exchange topic later, but in order (one partition), through the wire format."""
        for msg in msgs:
            wired = decode(encode(msg))
            self.messages += 1
            for node in self.instances:
                if node is not home:
                    at = self.round + self.rng.randint(1, self.max_delay)
                    if node.inbox:
                        at = max(at, node.inbox[-1][0])
                    node.inbox.append((at, wired))

    def step(self) -> int:
        """One round; returns how many records moved anywhere."""
        self.round += 1
        self._deliver_exchange()
        moved = 0
        for node in self.instances:
            out = Outbox()
            moved += node.inst.step_vessels(out)
            self.versions += out.alerts
            self._publish(node, out.exchange)
            for (src, q), items in out.cells.items():
                self.cell_fifo[q].append(encode_batch(src, items))
                moved += len(items)
            for marker in node.inst.markers():  # as the service: markers when they changed
                for q in range(self.n_cells):
                    self.cell_fifo[q].append(marker)
        for q, fifo in enumerate(self.cell_fifo):
            for _ in range(min(len(fifo), self.rng.randint(1, 8))):
                got = decode_cell(fifo.popleft())
                self.cell_home[q].inst.push_cells(q, self.cell_offset[q], got)
                moved += not isinstance(got, Marker)
                self.cell_offset[q] += 1
        for node in self.instances:
            out = Outbox()
            moved += node.inst.step_cells(out)
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
                    self.home[p].inst.push(kind, p, [(off, r)])
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
                    for node in self.instances:
                        node.inst.take_sat(k, cur_s[k], r)
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
            pending = any(node.inbox for node in self.instances) or any(self.cell_fifo)
            quiet = quiet + 1 if not moved and not pending else 0
            if quiet > self.max_delay + 3:
                break
        else:
            raise AssertionError("the cluster did not settle")
        return final_alerts(self.versions)
