"""The Kafka/PostgreSQL edge of ``msa detector``: consume, feed the units, produce, checkpoint.

One consumer (group ``--group``, range assignor so ``ais.positions`` p and ``ais.static`` p stay together)
reads the inputs of both stages; one idempotent producer (``acks=all``) writes alerts, cell records and
watermark markers. A checkpoint (every N records or T seconds, on revoke and on shutdown) is: wait for every
produced record's ack → write all units' state and next offsets in ONE PostgreSQL transaction → commit the
same offsets to Kafka (monitoring only; PostgreSQL is the truth on restart).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.errors import KafkaError

from msa.contracts.cloudevents import alert_to_cloudevent
from msa.domain import Record
from msa.kafka import ensure_topics, make_producer
from services.detect.stream.checkpoint import Checkpoint, CheckpointStore
from services.detect.stream.config import DetectorConfig
from services.detect.stream.coverage import CoverageBook, decode_summary
from services.detect.stream.engines import EngineFactory
from services.detect.stream.fastcodec import decode_input
from services.detect.stream.health import HealthServer
from services.detect.stream.merge import NEVER
from services.detect.stream.metrics import DetectorMetrics
from services.detect.stream.units import POS, STATIC, CellUnit, Outbox, SatUnit, VesselUnit
from services.detect.stream.watchdog import Watchdog
from services.detect.stream.wire import MAX_BATCH, Marker, decode_many, encode_batch

__all__ = ["DetectorService"]

log = logging.getLogger("msa.detector")


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, service: DetectorService) -> None:
        self.service = service

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self.service.on_revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self.service.on_assigned(assigned)


class DetectorService:
    def __init__(self, config: DetectorConfig, factory: EngineFactory,
                 metrics: DetectorMetrics | None = None) -> None:
        self.cfg = config
        self.factory = factory
        self.metrics = metrics or DetectorMetrics()
        self.store = CheckpointStore(config.database_url, config.group, config.instance_id)
        self.vessel_units: dict[int, VesselUnit] = {}
        self.sat_units: dict[int, SatUnit] = {}
        self.cell_units: dict[int, CellUnit] = {}
        self.lock = asyncio.Lock()
        self.pending: list[asyncio.Future[Any]] = []
        self.watchdog = Watchdog(config.stuck_after_s)
        self.last_record_s: dict[TopicPartition, float] = {}
        self.fetched_next: dict[TopicPartition, int] = {}
        self.assigned = False
        self.since_checkpoint = 0
        self.backlog = 0  # 2: behind by a poll's worth since the last checkpoint; 1: its stage-2 tail to go
        self.last_checkpoint_s = time.monotonic()
        self.last_marker_s = self.last_refresh_s = 0.0
        self.sent_markers: dict[str, bytes] = {}
        self.consumer: AIOKafkaConsumer | None = None
        self.producer: Any = None
        self.n_cells = 0
        self.cell_sources: list[str] = []
        self.processed = 0
        self.cov_consumer: AIOKafkaConsumer | None = None
        self.cov_book = CoverageBook([])

    # ---- lifecycle -----------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        cfg, t = self.cfg, self.cfg.topics
        await ensure_topics(cfg.bootstrap, t.specs())
        health = None
        if cfg.health_port is not None:
            health = HealthServer(self.metrics.registry, self.readiness, cfg.health_host, cfg.health_port)
            port = await health.start()
            log.info("health on http://%s:%d/health/ready, metrics on /metrics", cfg.health_host, port)
        self.producer = make_producer(cfg.bootstrap, linger_ms=5, client_id=f"{cfg.instance_id}-producer")
        await self.producer.start()
        consumer = self.consumer = AIOKafkaConsumer(
            bootstrap_servers=cfg.bootstrap, group_id=cfg.group, client_id=cfg.instance_id,
            enable_auto_commit=False, auto_offset_reset="earliest", max_poll_records=cfg.max_poll_records,
            partition_assignment_strategy=(RangePartitionAssignor,), isolation_level="read_uncommitted",
            session_timeout_ms=10_000, heartbeat_interval_ms=1_000, rebalance_timeout_ms=30_000,
        )
        await consumer.start()
        try:
            n_pos = len(consumer.partitions_for_topic(t.positions) or await self._partitions(t.positions))
            n_sat = len(consumer.partitions_for_topic(t.sat) or await self._partitions(t.sat))
            self.n_cells = len(consumer.partitions_for_topic(t.by_cell) or await self._partitions(t.by_cell))
            self.cell_sources = [f"p{i}" for i in range(n_pos)] + [f"s{i}" for i in range(n_sat)]
            self.cov_book = CoverageBook([f"p{i}" for i in range(n_pos)])
            await self._start_coverage()
            consumer.subscribe(topics=list(t.inputs()), listener=_Listener(self))
            log.info("detector %s in group %s: %s", cfg.instance_id, cfg.group, ", ".join(t.inputs()))
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=50, max_records=cfg.max_poll_records)
                async with self.lock:
                    await self._iteration(batch)
            async with self.lock:
                await self.checkpoint("shutdown")
        finally:
            with contextlib.suppress(KafkaError, asyncio.CancelledError):
                await consumer.stop()
            if self.cov_consumer is not None:
                with contextlib.suppress(KafkaError, asyncio.CancelledError):
                    await self.cov_consumer.stop()
            with contextlib.suppress(KafkaError, asyncio.CancelledError):
                await self.producer.stop()
            if health is not None:
                await health.stop()
            self.store.close()
            log.info("detector %s stopped", cfg.instance_id)

    async def _start_coverage(self) -> None:
        """Every coverage summary of every unit, from the beginning (no group: each instance reads all);
        read up to the end before joining the group, so restored units start from what was published."""
        t = self.cfg.topics
        cov = self.cov_consumer = AIOKafkaConsumer(
            bootstrap_servers=self.cfg.bootstrap, group_id=None, client_id=f"{self.cfg.instance_id}-coverage",
            enable_auto_commit=False, auto_offset_reset="earliest", max_poll_records=self.cfg.max_poll_records)
        await cov.start()
        tps = [TopicPartition(t.coverage, p) for p in sorted(await self._partitions(t.coverage))]
        cov.assign(tps)
        await cov.seek_to_beginning(*tps)
        end = await cov.end_offsets(tps)
        while [tp for tp in tps if await cov.position(tp) < end[tp]]:
            self._coverage_batch(await cov.getmany(timeout_ms=200))
        log.info("coverage: %d summaries' cells read, fronts %s", len(self.cov_book.cells), self.cov_book.fronts)

    def _coverage_batch(self, batch: dict[TopicPartition, list[Any]]) -> None:
        for tp, msgs in batch.items():
            for m in msgs:
                try:
                    summary = decode_summary(m.value)
                except (ValueError, KeyError, TypeError, IndexError) as exc:
                    self._reject(tp, m.offset, "bad_coverage_summary", exc)
                    continue
                self.cov_book.add(summary)
                for vu in self.vessel_units.values():
                    vu.add_coverage(summary)

    async def _partitions(self, topic: str) -> set[int]:
        parts: set[int] = await self.producer.partitions_for(topic)
        return parts

    def readiness(self) -> tuple[bool, str]:
        if not self.assigned:
            return False, "no partitions assigned yet"
        if self.watchdog.stuck:
            return False, f"stuck: lag and no progress for {self.cfg.stuck_after_s:.0f} s"
        return True, f"{self.processed} records processed"

    # ---- rebalance -----------------------------------------------------------------------------------
    async def on_assigned(self, assigned: set[TopicPartition]) -> None:
        async with self.lock:
            await self._assign(assigned)

    async def _assign(self, assigned: set[TopicPartition]) -> None:
        assert self.consumer is not None
        t = self.cfg.topics
        rows = await asyncio.to_thread(self.store.load, [(tp.topic, tp.partition) for tp in assigned])
        fresh = [tp for tp in assigned if (tp.topic, tp.partition) not in rows]
        begin = await self.consumer.beginning_offsets(fresh) if fresh else {}
        for tp in sorted(assigned, key=lambda x: (x.topic != t.positions, x.topic, x.partition)):
            row = rows.get((tp.topic, tp.partition))
            offset = row.next_offset if row is not None else begin[tp]
            state = row.state if row is not None else None
            self.consumer.seek(tp, offset)
            self.fetched_next[tp] = offset
            self.last_record_s[tp] = time.monotonic()
            p = tp.partition
            if tp.topic in (t.positions, t.static):
                unit = self.vessel_units.get(p)
                if unit is None:
                    unit = self.vessel_units[p] = VesselUnit(p, self.factory, self.n_cells,
                                                             self.cfg.engine.grace_ms,
                                                             state if tp.topic == t.positions else None,
                                                             self.cfg.margin_m)
                    unit.catch_up(self.cov_book)
                unit.add_source(POS if tp.topic == t.positions else STATIC, offset)
            elif tp.topic == t.sat:
                self.sat_units[p] = SatUnit(p, self.n_cells)
                self.sat_units[p].add_source(offset)
            elif tp.topic == t.by_cell:
                self.cell_units[p] = CellUnit(p, self.factory, self.cell_sources, self.cfg.engine.grace_ms,
                                              self.n_cells, offset, state)
            log.info("assigned %s[%d]@%d (%s)", tp.topic, p, offset,
                     "fresh" if row is None else f"restored {len(state or b'')} B of state")
        self.assigned = True
        self.metrics.ready.set(1)

    async def on_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self.lock:
            if revoked:
                await self.checkpoint("revoke")
            t = self.cfg.topics
            for tp in revoked:
                log.info("revoked %s[%d]", tp.topic, tp.partition)
                with contextlib.suppress(KeyError):  # no stale lag for a partition another instance now reads
                    self.metrics.lag.remove(tp.topic, str(tp.partition))
                self.fetched_next.pop(tp, None)
                self.last_record_s.pop(tp, None)
                if tp.topic in (t.positions, t.static):
                    self.vessel_units.pop(tp.partition, None)
                elif tp.topic == t.sat:
                    self.sat_units.pop(tp.partition, None)
                elif tp.topic == t.by_cell:
                    self.cell_units.pop(tp.partition, None)

    # ---- the loop ------------------------------------------------------------------------------------
    async def _iteration(self, batch: dict[TopicPartition, list[Any]]) -> None:
        if self.cov_consumer is not None:
            self._coverage_batch(await self.cov_consumer.getmany(timeout_ms=0))
        now = time.monotonic()
        n_in = 0
        for tp, msgs in batch.items():
            if msgs:
                self._route(tp, msgs)
                n_in += len(msgs)
                self.last_record_s[tp] = now
                self.fetched_next[tp] = msgs[-1].offset + 1
        lag = self._update_idle(now)
        out = Outbox()
        floor = self._global_clock()
        n_done = 0
        book = self.cov_book
        for vu in self.vessel_units.values():
            n_done += vu.step(out, floor, book.complete_for(vu.src))
        for su in self.sat_units.values():
            n_done += su.step(out)
        for cu in self.cell_units.values():
            n_done += cu.step(out)
        await self._emit(out)
        if now - self.last_marker_s >= self.cfg.marker_interval_s:
            force = now - self.last_refresh_s >= self.cfg.marker_refresh_s
            await self._markers(force)
            self.last_marker_s = now
            if force:
                self.last_refresh_s = now
        self.processed += n_done
        self.since_checkpoint += n_in
        if n_in or n_done:
            self.watchdog.progress(now)
        if self.watchdog.check(now, lag) and n_in == 0:
            log.warning("watchdog: %d records of lag and no progress for %.0f s", lag,
                        now - (self.watchdog.last_progress_s or now))
        self.metrics.ready.set(1 if self.readiness()[0] else 0)
        merging = self._merging()
        self.metrics.pending.set(merging)
        due = now - self.last_checkpoint_s >= self.cfg.checkpoint_interval_s
        busy = bool(self.since_checkpoint or self.pending)
        # a backlog (a replay after a restart, a burst) just drained: make it durable now rather than at the
        # next interval (live traffic never builds a poll's worth of lag, so this adds no checkpoints there)
        # (then once more for the cell records that stage 1 produced meanwhile)
        if lag >= self.cfg.max_poll_records:
            self.backlog = 2
        caught_up = self.backlog > 0 and lag == 0 and n_in == 0 and busy and not merging
        if self.since_checkpoint >= self.cfg.checkpoint_records or (due and busy) or caught_up:
            await self.checkpoint("periodic")

    def _route(self, tp: TopicPartition, msgs: list[Any]) -> None:
        t = self.cfg.topics
        self.metrics.records.labels(tp.topic).inc(len(msgs))
        if tp.topic == t.by_cell:
            cu = self.cell_units.get(tp.partition)
            if cu is None:
                return
            for m in msgs:
                try:
                    got = decode_many(m.value)
                except (ValueError, KeyError, TypeError) as exc:
                    self._reject(tp, m.offset, "bad_cell_record", exc)
                    cu.push(m.offset, None)
                    continue
                if isinstance(got, Marker):
                    cu.push(m.offset, got)
                else:
                    for item in got:
                        cu.push(m.offset, item)
            return
        if tp.topic == t.sat:
            su = self.sat_units.get(tp.partition)
            for m in msgs:
                rec = self._decode(tp, m)
                if su is not None:
                    src = su.merger.sources["sat"]
                    su.push(rec.ts_ms if rec is not None else max(src.frontier_ms, 0), m.offset, rec)
            return
        vu = self.vessel_units.get(tp.partition)
        if vu is None:
            return
        kind = POS if tp.topic == t.positions else STATIC
        src = vu.merger.sources[kind]
        for m in msgs:
            rec = self._decode(tp, m)
            vu.push(kind, rec.ts_ms if rec is not None else max(src.frontier_ms, 0), m.offset, rec)

    def _decode(self, tp: TopicPartition, m: Any) -> Record | None:
        try:
            return decode_input(m.value)
        except (ValueError, KeyError, TypeError) as exc:
            self._reject(tp, m.offset, "bad_record", exc)
            return None

    def _reject(self, tp: TopicPartition, offset: int, reason: str, exc: Exception) -> None:
        self.metrics.rejects.labels(reason).inc()
        log.warning("reject %s[%d]@%d: %s (%s)", tp.topic, tp.partition, offset, reason, exc)

    def _update_idle(self, now: float) -> int:
        assert self.consumer is not None
        t = self.cfg.topics
        total_lag = 0
        for tp, nxt in self.fetched_next.items():
            hw = self.consumer.highwater(tp)
            lag = max(0, hw - nxt) if hw is not None else 0
            total_lag += lag
            self.metrics.lag.labels(tp.topic, str(tp.partition)).set(lag)
            if tp.topic == t.by_cell:
                continue  # cell sources go idle by their markers
            idle = lag == 0 and now - self.last_record_s.get(tp, now) >= self.cfg.idle_timeout_s
            if tp.topic == t.sat:
                su = self.sat_units.get(tp.partition)
                if su is not None and not su.merger.sources["sat"].queue:
                    su.merger.set_idle("sat", idle)
                continue
            vu = self.vessel_units.get(tp.partition)
            kind = POS if tp.topic == t.positions else STATIC
            if vu is not None and kind in vu.merger.sources and not vu.merger.sources[kind].queue:
                vu.merger.set_idle(kind, idle)
        return total_lag

    def _merging(self) -> int:
        """Records waiting in the units' event-time merges."""
        units: list[VesselUnit | CellUnit] = [*self.vessel_units.values(), *self.cell_units.values()]
        return sum(u.merger.pending() for u in units)

    def _global_clock(self) -> int:
        """Min over the active vessel units (idle ones excluded) − grace: silent vessels time out."""
        clocks = [vu.merger.clock_ms() for vu in self.vessel_units.values()
                  if not all(s.idle for s in vu.merger.sources.values())]
        if not clocks or min(clocks) <= NEVER:
            return NEVER
        return min(clocks) - self.cfg.engine.grace_ms

    async def _emit(self, out: Outbox) -> None:
        t = self.cfg.topics
        send = self.producer.send
        n_items = 0
        for (src, q), items in out.cells.items():
            n_items += len(items)
            key = src.encode()
            for i in range(0, len(items), MAX_BATCH):
                value = encode_batch(src, items[i:i + MAX_BATCH])
                self.pending.append(await send(t.by_cell, value, key=key, partition=q))
        if n_items:
            self.metrics.forwarded.inc(n_items)
        for key, value in out.coverage:
            self.pending.append(await send(t.coverage, value, key=key, partition=0))
        for alert in out.alerts:
            key, headers, value = alert_to_cloudevent(alert)
            self.pending.append(await send(t.alerts, value, key=key, headers=headers))
            self.metrics.alerts.labels(str(alert.kind), str(alert.status)).inc()
            log.info("alert %s v%d %s %s mmsi=%s", alert.alert_id, alert.version, alert.kind, alert.status,
                     ",".join(str(m) for m in alert.mmsi))

    async def _markers(self, force: bool) -> None:
        """Watermark markers of the stage-1 units to every cell partition, when they changed."""
        t = self.cfg.topics
        units: list[VesselUnit | SatUnit] = [*self.vessel_units.values(), *self.sat_units.values()]
        for unit in units:
            value = unit.marker()
            if not force and self.sent_markers.get(unit.src) == value:
                continue
            self.sent_markers[unit.src] = value
            for q in range(self.n_cells):
                self.pending.append(await self.producer.send(t.by_cell, value, key=b"~wm", partition=q))

    # ---- checkpoint ----------------------------------------------------------------------------------
    async def checkpoint(self, why: str) -> None:
        """Acks of everything produced → one PG transaction with states and offsets → Kafka commit."""
        if self.pending:
            await asyncio.gather(*self.pending)
            self.pending.clear()
        t = self.cfg.topics
        rows: list[Checkpoint] = []
        state_bytes = {"vessel": 0, "cell": 0}
        for p, vu in self.vessel_units.items():
            offs = vu.next_offsets()
            state = vu.state()
            state_bytes["vessel"] += len(state)
            if offs.get(POS) is not None:
                rows.append(Checkpoint(t.positions, p, int(offs[POS] or 0), state))
            if offs.get(STATIC) is not None:
                rows.append(Checkpoint(t.static, p, int(offs[STATIC] or 0), None))
        for p, su in self.sat_units.items():
            off = su.next_offsets()["sat"]
            if off is not None:
                rows.append(Checkpoint(t.sat, p, off, None))
        for p, cu in self.cell_units.items():
            state = cu.state()
            state_bytes["cell"] += len(state)
            rows.append(Checkpoint(t.by_cell, p, cu.next_offset(), state))
        await asyncio.to_thread(self.store.save, rows)
        for stage, n in state_bytes.items():
            self.metrics.state_bytes.labels(stage).set(n)
        self.metrics.checkpoints.inc()
        self.since_checkpoint = 0
        self.backlog = max(0, self.backlog - 1)
        self.last_checkpoint_s = time.monotonic()
        log.debug("checkpoint (%s): %d partitions, %s", why, len(rows), state_bytes)
        if self.consumer is not None and rows:
            offsets = {TopicPartition(c.topic, c.partition): c.next_offset for c in rows}
            try:
                await self.consumer.commit(offsets)
            except KafkaError as exc:  # monitoring only: PostgreSQL holds the truth
                log.info("kafka offset commit skipped (%s)", exc.__class__.__name__)
        self._watermark_delay()

    def _watermark_delay(self) -> None:
        # Operations metric only (how far event time lags behind the wall clock); the engine and the merge
        # never see this clock: detection runs on event time from the data.
        now_ms = time.time() * 1000.0
        for stage, units in (("vessel", self.vessel_units.values()), ("cell", self.cell_units.values())):
            clocks = [u.merger.clock_ms() for u in units if u.merger.clock_ms() > NEVER]
            if clocks:
                self.metrics.watermark_delay.labels(stage).set(max(0.0, (now_ms - min(clocks)) / 1000.0))
