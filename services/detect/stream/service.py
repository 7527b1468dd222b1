"""The Kafka/PostgreSQL edge of ``msa detector``: consume, feed the units, produce, checkpoint.

One consumer (group ``--group``, range assignor so ``ais.positions`` p and ``ais.static`` p stay together)
reads the group's share of the positions, static data and cell records; two more consumers (no group) read
the whole exchange topic and the whole satellite topic, which every stage-1 unit needs. One idempotent
producer (``acks=all``) writes alerts, cell records, markers and exchange messages. A checkpoint (every N
records or T seconds, on revoke and on shutdown) is: wait for every produced record's ack → write all units'
state and next offsets in ONE PostgreSQL transaction → commit the same offsets to Kafka (monitoring only;
PostgreSQL is the truth on restart).
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
from sqlalchemy.exc import SQLAlchemyError

from msa.contracts.cloudevents import alert_to_cloudevent
from msa.contracts.codec import dumps, reject_to_dict
from msa.domain import Record, Reject
from msa.kafka import client_security, ensure_topics, make_consumer, make_producer
from services.detect.stream import snapshot
from services.detect.stream.checkpoint import Checkpoint, CheckpointStore, FencedError
from services.detect.stream.config import DetectorConfig
from services.detect.stream.coverage import CoverageSummary
from services.detect.stream.deadletters import DeadLetters
from services.detect.stream.engines import EngineFactory
from services.detect.stream.exchange import ExchangeBook, Message, encode
from services.detect.stream.exchange import decode as decode_exchange
from services.detect.stream.fastcodec import decode_input
from services.detect.stream.health import HealthServer
from services.detect.stream.merge import NEVER
from services.detect.stream.metrics import DetectorMetrics
from services.detect.stream.satfeed import SatFeed, sat_source
from services.detect.stream.topics import EXCHANGE_RETENTION_MS
from services.detect.stream.units import POS, STATIC, CellUnit, IncompatibleStateError, Outbox, VesselUnit
from services.detect.stream.watchdog import Watchdog
from services.detect.stream.wire import MARKER_KEY, MAX_BATCH, Marker, encode_batch
from services.detect.stream.wire import decode as decode_cell

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
        self.cell_units: dict[int, CellUnit] = {}
        self.lock = asyncio.Lock()
        self.pending: list[asyncio.Future[Any]] = []
        self.dead = DeadLetters(config.topics.rejects, 1)  # sized when the topic's partitions are known
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
        self.n_units = 0
        self.processed = 0
        self.ex_consumer: AIOKafkaConsumer | None = None
        self.sat_consumer: AIOKafkaConsumer | None = None
        self.book = ExchangeBook([])
        self.feed = SatFeed([])
        self.sat_last_s: dict[int, float] = {}  # wall clock of the last satellite record read, per partition
        self.sat_next: dict[int, int] = {}  # next satellite offset to read, per partition
        self.wait_since: dict[int, tuple[int, float]] = {}  # vessel partition → (scene scan time, wall clock)
        self.failing_since: float | None = None  # checkpoints failing (the database away) since
        self.fatal: Exception | None = None  # an assignment that could not be carried out
        self.inflight: asyncio.Task[None] | None = None  # a periodic checkpoint being stored (``checkpoint``)

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
            **client_security(),
        )
        await consumer.start()
        try:
            self.dead.n_partitions = len(await self._partitions(t.rejects))
            self.n_units = len(await self._partitions(t.positions))
            self.n_cells = len(await self._partitions(t.by_cell))
            self.book = ExchangeBook([f"p{i}" for i in range(self.n_units)], cfg.engine.max_late_ms())
            await self._start_exchange()
            await self._start_sat()
            consumer.subscribe(topics=list(t.group_inputs()), listener=_Listener(self))
            log.info("detector %s in group %s: %s (+ %s, %s read whole)", cfg.instance_id, cfg.group,
                     ", ".join(t.group_inputs()), t.sat, t.exchange)
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=50, max_records=cfg.max_poll_records)
                if self.fatal is not None:
                    raise RuntimeError("partition assignment or checkpoint failed; restart the detector") \
                        from self.fatal
                async with self.lock:
                    await self._iteration(batch)
            if self.fatal is not None:
                raise RuntimeError("checkpoint fenced; restart the detector") from self.fatal
            async with self.lock:
                await self.checkpoint("shutdown")
        finally:
            for c in (consumer, self.ex_consumer, self.sat_consumer):
                if c is not None:
                    with contextlib.suppress(KafkaError, asyncio.CancelledError):
                        await c.stop()
            with contextlib.suppress(KafkaError, asyncio.CancelledError):
                await self.producer.stop()
            if health is not None:
                await health.stop()
            self.store.close()
            log.info("detector %s stopped", cfg.instance_id)

    async def _whole_topic(self, topic: str, name: str) -> tuple[AIOKafkaConsumer, list[TopicPartition]]:
        c = make_consumer(self.cfg.bootstrap, group_id=None, client_id=f"{self.cfg.instance_id}-{name}",
                          max_poll_records=self.cfg.max_poll_records)
        await c.start()
        tps = [TopicPartition(topic, p) for p in sorted(await self._partitions(topic))]
        c.assign(tps)
        await c.seek_to_beginning(*tps)
        return c, tps

    async def _read_to_end(self, c: AIOKafkaConsumer, tps: list[TopicPartition], on_batch: Any) -> None:
        end = await c.end_offsets(tps)
        while [tp for tp in tps if await c.position(tp) < end[tp]]:
            on_batch(await c.getmany(timeout_ms=200))

    async def _start_exchange(self) -> None:
        """Everything the units have told each other, from the beginning (no group: each instance reads all);
        read up to the end before joining the group, so restored units start from what was published."""
        self.ex_consumer, tps = await self._whole_topic(self.cfg.topics.exchange, "exchange")
        await self._read_to_end(self.ex_consumer, tps, self._exchange_batch)
        log.info("exchange: %d coverage cells, %d scenes, clocks of %s", len(self.book.coverage.cells),
                 len(self.book.parts), ", ".join(sorted(self.book.clocks)) or "no unit")

    async def _start_sat(self) -> None:
        """Every satellite detection (each stage-1 unit judges every scene against its own vessels)."""
        self.sat_consumer, tps = await self._whole_topic(self.cfg.topics.sat, "sat")
        self.feed = SatFeed([tp.partition for tp in tps])
        now = time.monotonic()
        self.sat_last_s = {tp.partition: now for tp in tps}
        await self._read_to_end(self.sat_consumer, tps, self._sat_batch)
        for tp in tps:
            self.sat_next[tp.partition] = await self.sat_consumer.position(tp)
        log.info("satellite: %d records kept", sum(len(p.items) for p in self.feed.parts.values()))

    def _exchange_batch(self, batch: dict[TopicPartition, list[Any]]) -> None:
        for tp, msgs in batch.items():
            self.metrics.records.labels(tp.topic).inc(len(msgs))
            for m in msgs:
                try:
                    msg = decode_exchange(m.value)
                except (ValueError, KeyError, TypeError, IndexError) as exc:
                    self._reject(tp, m.offset, "bad_exchange_message", exc, m.value)
                    continue
                self._learn(msg)

    def _learn(self, msg: Message) -> None:
        """An exchange message (read back, or just produced by a unit of this instance)."""
        self.book.add(msg)
        if isinstance(msg, CoverageSummary):
            for vu in self.vessel_units.values():
                vu.add_coverage(msg)

    def _sat_batch(self, batch: dict[TopicPartition, list[Any]]) -> None:
        now = time.monotonic()
        for tp, msgs in batch.items():
            if not msgs:
                continue
            self.metrics.records.labels(tp.topic).inc(len(msgs))
            self.sat_last_s[tp.partition] = now
            self.sat_next[tp.partition] = msgs[-1].offset + 1
            src = sat_source(tp.partition)
            for m in msgs:
                rec = self._decode(tp, m)
                ts = rec.ts_ms if rec is not None else self.feed.max_ts
                if not self.feed.add(tp.partition, m.offset, ts, rec):
                    continue
                for vu in self.vessel_units.values():
                    vu.push_sat(src, ts, m.offset, rec)
            self.feed.prune()

    async def _partitions(self, topic: str) -> set[int]:
        parts: set[int] = await self.producer.partitions_for(topic)
        return parts

    def readiness(self) -> tuple[bool, str]:
        if not self.assigned:
            return False, "no partitions assigned yet"
        if self.watchdog.stuck:
            return False, f"stuck: lag and no progress for {self.cfg.stuck_after_s:.0f} s"
        if self.failing_since is not None and time.monotonic() - self.failing_since >= self.cfg.stuck_after_s:
            return False, f"checkpoints failing for {time.monotonic() - self.failing_since:.0f} s"
        return True, f"{self.processed} records processed"

    # ---- rebalance -----------------------------------------------------------------------------------
    async def on_assigned(self, assigned: set[TopicPartition]) -> None:
        async with self.lock:
            try:
                await self._assign(assigned)
            except Exception as exc:  # the partitions cannot start where their state says: stop, loudly
                log.error("assignment failed (%s: %s): stopping", exc.__class__.__name__, exc)
                self.fatal = exc

    async def _assign(self, assigned: set[TopicPartition]) -> None:
        rows = await self._load(assigned)
        assert self.consumer is not None
        t = self.cfg.topics
        begin = await self.consumer.beginning_offsets(list(assigned)) if assigned else {}
        rebuilt: set[int] = set()  # vessel partitions whose checkpoint another version wrote: from their start
        starts: dict[TopicPartition, int] = {}  # where each source partition is read from
        for tp in sorted(assigned, key=lambda x: (x.topic != t.positions, x.topic, x.partition)):
            row = rows.get((tp.topic, tp.partition))
            offset = row.next_offset if row is not None else begin[tp]
            state = row.state if row is not None else None
            p = tp.partition
            how = "fresh" if row is None else f"restored {len(state or b'')} B of state"
            if tp.topic == t.positions:
                unit = self._vessel_unit(p, state)
                if unit is None:
                    rebuilt.add(p)
                    offset, how = begin[tp], "rebuilt from the start (checkpoint of another version)"
                    unit = self._vessel_unit(p, None)
                    assert unit is not None
                unit.add_source(POS, offset)
            elif tp.topic == t.static:
                unit = self.vessel_units.get(p) or self._vessel_unit(p, None)
                assert unit is not None
                if p in rebuilt:
                    offset, how = begin[tp], "from the start, with its positions partition"
                unit.add_source(STATIC, offset)
            elif tp.topic == t.by_cell:
                cell = self._cell_unit(p, offset, state)
                if cell is None:
                    offset, how = begin[tp], "rebuilt from the start (checkpoint of another version)"
                    cell = self._cell_unit(p, offset, None)
                    assert cell is not None
                self.cell_units[p] = cell
            self.consumer.seek(tp, offset)
            self.fetched_next[tp] = offset
            self.last_record_s[tp] = time.monotonic()
            log.info("assigned %s[%d]@%d (%s)", tp.topic, p, offset, how)
            starts[tp] = offset
        if any(tp.topic == t.positions and tp.partition == 0 for tp in assigned):  # it sends the whole-read's
            for c in (self.sat_consumer, self.ex_consumer):
                starts.update({tp: 0 for tp in (c.assignment() if c is not None else ())})
        await self.dead.learn(self.cfg.bootstrap, self.cfg.instance_id, starts)
        self.assigned = True
        self.metrics.ready.set(1)

    async def _load(self, assigned: set[TopicPartition]) -> dict[tuple[str, int], Checkpoint]:
        """The stored checkpoints, waiting (up to ``--stuck-after-s``) for a database that is away: without
        them the partitions cannot start where their state says."""
        wanted = [(tp.topic, tp.partition) for tp in assigned]
        deadline = time.monotonic() + self.cfg.stuck_after_s
        delay = 0.5
        while True:
            try:
                return await asyncio.to_thread(self.store.load, wanted)
            except (SQLAlchemyError, OSError) as exc:
                if time.monotonic() + delay > deadline:
                    raise
                log.warning("loading checkpoints failed (%s): retrying in %.1f s", exc.__class__.__name__, delay)
                await asyncio.sleep(delay)
                delay = min(5.0, delay * 2)

    def _vessel_unit(self, p: int, state: bytes | None) -> VesselUnit | None:
        """A stage-1 unit, restored from ``state`` (None if that state is another version's), caught up
        with the exchange and the satellite detections this instance has read."""
        try:
            unit = VesselUnit(p, self.factory, self.n_cells, self.cfg.engine.grace_ms, state, self.cfg.margin_m,
                              self.n_units)
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

    def _cell_unit(self, p: int, offset: int, state: bytes | None) -> CellUnit | None:
        try:
            return CellUnit(p, self.factory, [f"p{i}" for i in range(self.n_units)], self.n_cells, offset, state)
        except IncompatibleStateError as exc:
            log.warning("cell partition %d: %s", p, exc)
            return None

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
                elif tp.topic == t.by_cell:
                    self.cell_units.pop(tp.partition, None)

    # ---- the loop ------------------------------------------------------------------------------------
    async def _iteration(self, batch: dict[TopicPartition, list[Any]]) -> None:
        assert self.ex_consumer is not None and self.sat_consumer is not None
        self._exchange_batch(await self.ex_consumer.getmany(timeout_ms=0))
        self._sat_batch(await self.sat_consumer.getmany(timeout_ms=0))
        now = time.monotonic()
        n_in = 0
        for tp, msgs in batch.items():
            nxt = self.fetched_next.get(tp)
            if not msgs or nxt is None:  # (a partition revoked while the poll ran)
                continue
            if msgs[0].offset < nxt:  # delivered again (a fetch that raced the seek on assignment): once only
                self.metrics.redelivered.inc(sum(1 for m in msgs if m.offset < nxt))
                msgs = [m for m in msgs if m.offset >= nxt]
                if not msgs:
                    continue
            self._route(tp, msgs)
            n_in += len(msgs)
            self.last_record_s[tp] = now
            self.fetched_next[tp] = msgs[-1].offset + 1
        lag = self._update_idle(now)
        out = Outbox()
        local = {vu.src: vu.live_clock() for vu in self.vessel_units.values()}
        floor = self.book.floor_ms(self.cfg.engine.grace_ms, local)
        n_done = 0
        for p in sorted(self.vessel_units):
            vu = self.vessel_units[p]
            mark = len(out.exchange)
            n_done += vu.step(out, floor, self.book.coverage.complete_for(vu.src), self.book)
            for msg in out.exchange[mark:]:  # the other local units need not wait for the round trip
                self._learn(msg)
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
        self._scene_waits(now)
        due = now - self.last_checkpoint_s >= self.cfg.checkpoint_interval_s
        busy = bool(self.since_checkpoint or self.pending)
        # a backlog (a replay after a restart, a burst) just drained: make it durable now rather than at the
        # next interval (live traffic never builds a poll's worth of lag, so this adds no checkpoints there)
        # (then once more for the cell records that stage 1 produced meanwhile)
        if lag >= self.cfg.max_poll_records:
            self.backlog = 2
        caught_up = self.backlog > 0 and lag == 0 and n_in == 0 and busy and not merging
        if (self.since_checkpoint >= self.cfg.checkpoint_records or (due and busy) or caught_up) \
                and not self.checkpointing():
            await self.checkpoint("periodic")

    def _route(self, tp: TopicPartition, msgs: list[Any]) -> None:
        t = self.cfg.topics
        self.metrics.records.labels(tp.topic).inc(len(msgs))
        if tp.topic == t.by_cell:
            cu = self.cell_units.get(tp.partition)
            if cu is None:
                return
            before = cu.duplicates
            for m in msgs:
                try:
                    got = decode_cell(m.value)
                except (ValueError, KeyError, TypeError) as exc:
                    self._reject(tp, m.offset, "bad_cell_record", exc, m.value)
                    cu.push_reject(m.offset)
                    continue
                if isinstance(got, Marker):
                    cu.push_marker(m.offset, got)
                else:
                    cu.push_batch(m.offset, *got)
            if cu.duplicates > before:
                self.metrics.duplicates.inc(cu.duplicates - before)
            return
        vu = self.vessel_units.get(tp.partition)
        if vu is None:
            return
        kind = POS if tp.topic == t.positions else STATIC
        src = vu.merger.sources[kind]
        push = vu.merger.push
        for m in msgs:
            rec = self._decode(tp, m)
            push(kind, rec.ts_ms if rec is not None else max(src.frontier_ms, 0), m.offset, rec)

    def _decode(self, tp: TopicPartition, m: Any) -> Record | None:
        try:
            return decode_input(m.value)
        except (ValueError, KeyError, TypeError) as exc:
            self._reject(tp, m.offset, "bad_record", exc, m.value)
            return None

    def _reject(self, tp: TopicPartition, offset: int, reason: str, exc: Exception, raw: Any = None) -> None:
        """Counted, logged and dead-lettered (``detect.rejects.v1``, before the next checkpoint), once per
        record (``deadletters``). A record of a topic every instance reads whole (satellite, exchange) is
        dead-lettered by the instance that holds positions partition 0 only."""
        t = self.cfg.topics
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes | bytearray) else ("" if raw is None
                                                                                           else repr(raw))
        rej = Reject(reason=reason, raw=text, source=f"{tp.topic}[{tp.partition}]@{offset}",
                     detail=f"{type(exc).__name__}: {exc}"[:500])
        if self.dead.add(tp, rej, whole=tp.topic in (t.sat, t.exchange)):
            self.metrics.rejects.labels(reason).inc()
            log.warning("reject %s[%d]@%d: %s (%s)", tp.topic, tp.partition, offset, reason, exc)

    async def _send_dead(self) -> None:
        for q, rej in self.dead.take(0 in self.vessel_units):
            self.pending.append(await self.producer.send(self.cfg.topics.rejects, dumps(reject_to_dict(rej)),
                                                         key=rej.source.encode(), partition=q))

    def _update_idle(self, now: float) -> int:
        assert self.consumer is not None and self.sat_consumer is not None
        t = self.cfg.topics
        total_lag = 0
        for tp, nxt in self.fetched_next.items():
            hw = self.consumer.highwater(tp)  # None until the first fetch of the partition answered
            lag = max(0, hw - nxt) if hw is not None else 0
            total_lag += lag
            self.metrics.lag.labels(tp.topic, str(tp.partition)).set(lag)
            if tp.topic == t.by_cell:
                continue  # cell sources go idle by their markers
            idle = (hw is not None and lag == 0
                    and now - self.last_record_s.get(tp, now) >= self.cfg.idle_timeout_s)
            vu = self.vessel_units.get(tp.partition)
            kind = POS if tp.topic == t.positions else STATIC
            if vu is not None and kind in vu.merger.sources and not vu.merger.sources[kind].queue:
                vu.merger.set_idle(kind, idle)
        for p, last_s in self.sat_last_s.items():
            hw = self.sat_consumer.highwater(TopicPartition(t.sat, p))
            lag = 0 if hw is None else max(0, hw - self.sat_next.get(p, 0))
            idle = hw is not None and lag == 0 and now - last_s >= self.cfg.idle_timeout_s
            src = sat_source(p)
            for vu in self.vessel_units.values():
                s = vu.merger.sources.get(src)
                if s is not None and not s.queue:
                    vu.merger.set_idle(src, idle)
        return total_lag

    def _scene_waits(self, now: float) -> None:
        """Units held at a satellite scene: a gauge, and a warning naming the units they wait for when that
        lasts (a partition nobody consumes, an instance that cannot keep up)."""
        waiting = 0
        for p, vu in self.vessel_units.items():
            at = vu.engine.awaiting_scenes()
            if at is None:
                self.wait_since.pop(p, None)
                continue
            waiting += 1
            since = self.wait_since.setdefault(p, (at[0], now))
            if since[0] != at[0]:
                self.wait_since[p] = since = (at[0], now)
            if now - since[1] >= self.cfg.stuck_after_s:
                log.warning("%s waits %.0f s at the satellite scene(s) %s for the parts of %s", vu.src,
                            now - since[1], ", ".join(f"{sid}@{ts}" for ts, sid in at[1]),
                            ", ".join(self.book.waiting_for(vu.src, at[1], at[0])) or "nobody (next step)")
                self.wait_since[p] = (at[0], now)  # again after another stuck_after_s
        self.metrics.scene_waits.set(waiting)

    def _merging(self) -> int:
        """Records waiting in the units' event-time merges."""
        units: list[VesselUnit | CellUnit] = [*self.vessel_units.values(), *self.cell_units.values()]
        return sum(u.merger.pending() for u in units)

    async def _emit(self, out: Outbox) -> None:
        t = self.cfg.topics
        send = self.producer.send
        await self._send_dead()
        n_items = 0
        for (src, q), items in out.cells.items():
            n_items += len(items)
            key = src.encode()
            for i in range(0, len(items), MAX_BATCH):
                value = encode_batch(src, items[i:i + MAX_BATCH])
                self.pending.append(await send(t.by_cell, value, key=key, partition=q))
        if n_items:
            self.metrics.forwarded.inc(n_items)
        for msg in out.exchange:
            self.pending.append(await send(t.exchange, encode(msg), key=msg.src.encode(), partition=0))
        for alert in out.alerts:
            key, headers, value = alert_to_cloudevent(alert)
            self.pending.append(await send(t.alerts, value, key=key, headers=headers))
            self.metrics.alerts.labels(str(alert.kind), str(alert.status)).inc()
            log.info("alert %s v%d %s %s mmsi=%s", alert.alert_id, alert.version, alert.kind, alert.status,
                     ",".join(str(m) for m in alert.mmsi))

    async def _markers(self, force: bool) -> None:
        """Watermark markers of the stage-1 units to every cell partition, when they changed."""
        t = self.cfg.topics
        for unit in self.vessel_units.values():
            value = unit.marker()
            if not force and self.sent_markers.get(unit.src) == value:
                continue
            self.sent_markers[unit.src] = value
            for q in range(self.n_cells):
                self.pending.append(await self.producer.send(t.by_cell, value, key=MARKER_KEY, partition=q))

    # ---- checkpoint ----------------------------------------------------------------------------------
    async def checkpoint(self, why: str) -> None:
        """Acks of everything produced → one PG transaction with states and offsets → Kafka commit. A periodic
        checkpoint pickles the states in a forked child (``snapshot.py``) and is stored in the background while
        processing goes on; any other (shutdown, revoke) is complete when this returns. Checkpoints are stored
        in the order they were taken."""
        await self._checkpoint_done()
        await self._send_dead()  # (normally sent by the iteration that found them)
        if self.pending:
            await asyncio.gather(*self.pending)
            self.pending.clear()
        t = self.cfg.topics
        slots: list[tuple[str, int, int]] = []  # (topic, partition, next offset) of each row
        units: list[VesselUnit | CellUnit | None] = []  # whose state the row holds (None: offsets only)
        for p, vu in self.vessel_units.items():
            offs = vu.next_offsets()
            if offs.get(POS) is not None:
                slots.append((t.positions, p, int(offs[POS] or 0)))
                units.append(vu)
            if offs.get(STATIC) is not None:
                slots.append((t.static, p, int(offs[STATIC] or 0)))
                units.append(None)
        for p, cu in self.cell_units.items():
            slots.append((t.by_cell, p, cu.next_offset()))
            units.append(cu)
        self.since_checkpoint = 0
        self.last_checkpoint_s = time.monotonic()
        if why == "periodic" and self.cfg.checkpoint_fork and snapshot.available() and any(units):
            forked = snapshot.ForkedStates(units)
            self.inflight = asyncio.create_task(self._store_forked(forked, slots, why))
            return
        await self._store(slots, [None if u is None else u.state() for u in units], why)

    def checkpointing(self) -> bool:
        """A checkpoint is being stored in the background."""
        return self.inflight is not None and not self.inflight.done()

    async def _checkpoint_done(self) -> None:
        task, self.inflight = self.inflight, None
        if task is not None:
            await task

    async def _store_forked(self, forked: snapshot.ForkedStates, slots: list[tuple[str, int, int]],
                            why: str) -> None:
        try:
            states = await forked.result()
        except (RuntimeError, OSError) as exc:  # nothing stored: the next interval tries again
            self.metrics.checkpoint_failures.inc()
            log.warning("checkpoint (%s) failed: %s", why, exc)
            return
        await self._store(slots, states, why)

    async def _store(self, slots: list[tuple[str, int, int]], states: list[bytes | None], why: str) -> None:
        t = self.cfg.topics
        rows = [Checkpoint(topic, p, offset, state) for (topic, p, offset), state in zip(slots, states, strict=True)]
        state_bytes = {"vessel": 0, "cell": 0}
        for (topic, _, _), state in zip(slots, states, strict=True):
            if state is not None:
                state_bytes["cell" if topic == t.by_cell else "vessel"] += len(state)
        try:
            await asyncio.to_thread(self.store.save, rows)
        except FencedError as exc:  # another instance owns some of these partitions now: this one is a zombie
            log.error("%s; stopping this instance (its supervisor restarts it into the group)", exc)
            self.fatal = exc
            return
        except (SQLAlchemyError, OSError) as exc:  # the database away: go on, try again next interval
            self.metrics.checkpoint_failures.inc()
            now = time.monotonic()
            if self.failing_since is None:
                self.failing_since = now
                log.warning("checkpoint (%s) failed: %s; processing goes on, a crash now would replay from the "
                            "last checkpoint", why, exc.__class__.__name__)
            self.last_checkpoint_s = now
            return
        if self.failing_since is not None:
            log.info("checkpoints written again after %.0f s", time.monotonic() - self.failing_since)
            self.failing_since = None
        for stage, n in state_bytes.items():
            self.metrics.state_bytes.labels(stage).set(n)
        newest = self.book.newest_front_ms()
        if newest > NEVER and self.vessel_units:  # what the topic's retention forgets, the book forgets too
            bucket_ms = next(iter(self.vessel_units.values())).engine.coverage_bucket_ms()
            self.book.prune(newest - EXCHANGE_RETENTION_MS, bucket_ms)
        self.metrics.checkpoints.inc()
        self.backlog = max(0, self.backlog - 1)
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
