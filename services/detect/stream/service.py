"""The Kafka/PostgreSQL edge of ``msa detector``: thin I/O around one pure :class:`~instance.Instance`.

Each iteration polls, pushes what it read into the instance (``_route``), calls ``Instance.step`` — the same
step the in-memory test cluster runs — and produces the ``Outbox`` it returns (alerts, cell records, exchange
messages), then the changed watermark markers. One consumer (group ``--group``, range assignor so
``ais.positions`` p and ``ais.static`` p stay together) reads the group's share of the positions, static data
and cell records; ``whole_topics.py`` reads the exchange and satellite topics whole (every stage-1 unit needs
them). One idempotent producer (``acks=all``) writes everything. When to checkpoint is the
``CheckpointPolicy``'s decision (every N records or T seconds, a drained backlog; and on revoke and shutdown);
a checkpoint is: wait for every produced record's ack → all units' state and next offsets in ONE PostgreSQL
transaction (``checkpointing.Checkpointer``) → the same offsets committed to Kafka (monitoring only;
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
from msa.kafka import client_security, ensure_topics, make_producer
from services.detect.buffer import NEVER
from services.detect.stream.cell_records import MARKER_KEY, MAX_BATCH, encode_batch
from services.detect.stream.cell_records import decode as decode_cell
from services.detect.stream.checkpoint import Checkpoint, CheckpointStore
from services.detect.stream.checkpointing import Checkpointer, CheckpointPolicy
from services.detect.stream.config import DetectorConfig
from services.detect.stream.deadletters import DeadLetters
from services.detect.stream.detector_topics import EXCHANGE_RETENTION_MS
from services.detect.stream.engines import EngineFactory
from services.detect.stream.exchange import encode
from services.detect.stream.fastcodec import decode_input
from services.detect.stream.health import HealthServer
from services.detect.stream.instance import Instance
from services.detect.stream.metrics import DetectorMetrics
from services.detect.stream.units import POS, STATIC, Outbox, VesselUnit
from services.detect.stream.watchdog import Watchdog
from services.detect.stream.whole_topics import WholeTopics

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
        self.inst = Instance(factory, config.engine.grace_ms, 0, 0, config.engine.max_late_ms(), config.margin_m)
        self.lock = asyncio.Lock()
        self.pending: list[asyncio.Future[Any]] = []
        self.dead = DeadLetters(config.topics.rejects, 1)  # sized when the topic's partitions are known
        self.watchdog = Watchdog(config.stuck_after_s)
        self.policy = CheckpointPolicy(config.checkpoint_interval_s, config.checkpoint_records,
                                       config.max_poll_records)
        self.checkpointer = Checkpointer(self.store, self.metrics, config.checkpoint_fork)
        self.last_record_s: dict[TopicPartition, float] = {}
        self.fetched_next: dict[TopicPartition, int] = {}
        self.assigned = False
        self.last_marker_s = self.last_refresh_s = 0.0
        self.consumer: AIOKafkaConsumer | None = None
        self.producer: Any = None
        self.processed = 0
        self.whole = WholeTopics(config.bootstrap, config.instance_id, config.max_poll_records, self.metrics,
                                 self._decode, self._reject)
        self.wait_since: dict[int, tuple[int, float]] = {}  # vessel partition → (scene scan time, wall clock)
        self.fatal: Exception | None = None  # an assignment that could not be carried out

    @property
    def vessel_units(self) -> dict[int, VesselUnit]:
        return self.inst.vessel_units

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
            self.inst = Instance(self.factory, cfg.engine.grace_ms, len(await self._partitions(t.positions)),
                                 len(await self._partitions(t.by_cell)), cfg.engine.max_late_ms(), cfg.margin_m)
            await self.whole.start(self.inst, t.exchange, t.sat, self._partitions)
            consumer.subscribe(topics=list(t.group_inputs()), listener=_Listener(self))
            log.info("detector %s in group %s: %s (+ %s, %s read whole)", cfg.instance_id, cfg.group,
                     ", ".join(t.group_inputs()), t.sat, t.exchange)
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=50, max_records=cfg.max_poll_records)
                self._raise_fatal()
                async with self.lock:
                    await self._iteration(batch)
            self._raise_fatal()
            async with self.lock:
                await self.checkpoint("shutdown")
        finally:
            with contextlib.suppress(KafkaError, asyncio.CancelledError):
                await consumer.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await self.whole.stop()
            with contextlib.suppress(KafkaError, asyncio.CancelledError):
                await self.producer.stop()
            if health is not None:
                await health.stop()
            self.store.close()
            log.info("detector %s stopped", cfg.instance_id)

    def _raise_fatal(self) -> None:
        fatal = self.fatal or self.checkpointer.fenced
        if fatal is not None:
            raise RuntimeError("partition assignment failed or checkpoint fenced; restart the detector") from fatal

    async def _partitions(self, topic: str) -> set[int]:
        parts: set[int] = await self.producer.partitions_for(topic)
        return parts

    def readiness(self) -> tuple[bool, str]:
        if not self.assigned:
            return False, "no partitions assigned yet"
        if self.watchdog.stuck:
            return False, f"stuck: lag and no progress for {self.cfg.stuck_after_s:.0f} s"
        failing = self.checkpointer.failing_since
        if failing is not None and time.monotonic() - failing >= self.cfg.stuck_after_s:
            return False, f"checkpoints failing for {time.monotonic() - failing:.0f} s"
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
        t, inst = self.cfg.topics, self.inst
        begin = await self.consumer.beginning_offsets(list(assigned)) if assigned else {}
        starts: dict[TopicPartition, int] = {}  # where each source partition is read from
        kinds = {t.positions: POS, t.static: STATIC, t.by_cell: "cell"}
        for tp in sorted(assigned, key=lambda x: (x.topic != t.positions, x.topic, x.partition)):
            row = rows.get((tp.topic, tp.partition))
            p = tp.partition
            offset, how = inst.assign(kinds[tp.topic], p, begin[tp],
                                      None if row is None else (row.next_offset, row.state))
            self.consumer.seek(tp, offset)
            self.fetched_next[tp] = offset
            self.last_record_s[tp] = time.monotonic()
            log.info("assigned %s[%d]@%d (%s)", tp.topic, p, offset, how)
            starts[tp] = offset
        if any(tp.topic == t.positions and tp.partition == 0 for tp in assigned):  # it sends the whole-read's
            starts.update({tp: 0 for tp in self.whole.assignments()})
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

    async def on_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self.lock:
            if revoked:
                await self.checkpoint("revoke")
            for tp in revoked:
                log.info("revoked %s[%d]", tp.topic, tp.partition)
                with contextlib.suppress(KeyError):  # no stale lag for a partition another instance now reads
                    self.metrics.lag.remove(tp.topic, str(tp.partition))
                self.fetched_next.pop(tp, None)
                self.last_record_s.pop(tp, None)
                if tp.topic in (self.cfg.topics.positions, self.cfg.topics.static):
                    self.inst.drop(POS, tp.partition)
                elif tp.topic == self.cfg.topics.by_cell:
                    self.inst.drop("cell", tp.partition)

    # ---- the loop: Kafka in → Instance.step → Kafka out ----------------------------------------------
    async def _iteration(self, batch: dict[TopicPartition, list[Any]]) -> None:
        await self.whole.poll()
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
        n_done = self.inst.step(out)
        await self._emit(out)
        if now - self.last_marker_s >= self.cfg.marker_interval_s:
            force = now - self.last_refresh_s >= self.cfg.marker_refresh_s
            for value in self.inst.markers(force):
                for q in range(self.inst.n_cells):
                    self.pending.append(await self.producer.send(self.cfg.topics.by_cell, value, key=MARKER_KEY,
                                                                 partition=q))
            self.last_marker_s = now
            if force:
                self.last_refresh_s = now
        self.processed += n_done
        if n_in or n_done:
            self.watchdog.progress(now)
        if self.watchdog.check(now, lag) and n_in == 0:
            log.warning("watchdog: %d records of lag and no progress for %.0f s", lag,
                        now - (self.watchdog.last_progress_s or now))
        self.metrics.ready.set(1 if self.readiness()[0] else 0)
        merging = self.inst.merging()
        self.metrics.pending.set(merging)
        self.metrics.scene_waits_of(self.inst, self.wait_since, now, self.cfg.stuck_after_s)
        if self.policy.due(now, n_in, lag, merging, bool(self.pending)) and not self.checkpointer.busy():
            await self.checkpoint("periodic")

    def _route(self, tp: TopicPartition, msgs: list[Any]) -> None:
        t = self.cfg.topics
        self.metrics.records.labels(tp.topic).inc(len(msgs))
        if tp.topic != t.by_cell:
            self.inst.push(POS if tp.topic == t.positions else STATIC, tp.partition,
                           [(m.offset, self._decode(tp, m)) for m in msgs])
            return
        duplicates = 0
        for m in msgs:
            try:
                got = decode_cell(m.value)
            except (ValueError, KeyError, TypeError) as exc:
                self._reject(tp, m.offset, "bad_cell_record", exc, m.value)
                got = None
            duplicates += self.inst.push_cells(tp.partition, m.offset, got)
        if duplicates:
            self.metrics.duplicates.inc(duplicates)

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
        for q, rej in self.dead.take(0 in self.inst.vessel_units):
            self.pending.append(await self.producer.send(self.cfg.topics.rejects, dumps(reject_to_dict(rej)),
                                                         key=rej.source.encode(), partition=q))

    def _update_idle(self, now: float) -> int:
        """Lag gauges; a caught-up partition silent for ``idle_timeout_s`` no longer holds its units' clock."""
        assert self.consumer is not None
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
            vu = self.inst.vessel_units.get(tp.partition)
            kind = POS if tp.topic == t.positions else STATIC
            if vu is not None and kind in vu.merger.sources and not vu.merger.sources[kind].queue:
                vu.merger.set_idle(kind, idle)
        self.whole.sat_idle(now, self.cfg.idle_timeout_s)
        return total_lag

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

    # ---- checkpoint ----------------------------------------------------------------------------------
    def checkpointing(self) -> bool:
        """A checkpoint is being stored in the background."""
        return self.checkpointer.busy()

    async def checkpoint(self, why: str) -> None:
        """Acks of everything produced → one PG transaction with states and offsets → Kafka commit. A periodic
        checkpoint pickles the states in a forked child (``snapshot.py``) and is stored in the background while
        processing goes on; any other (shutdown, revoke) is complete when this returns. Checkpoints are stored
        in the order they were taken."""
        await self.checkpointer.wait()
        await self._send_dead()  # (normally sent by the iteration that found them)
        if self.pending:
            await asyncio.gather(*self.pending)
            self.pending.clear()
        t = self.cfg.topics
        topic = {POS: t.positions, STATIC: t.static, "cell": t.by_cell}
        kinds, units = self.inst.checkpoint_slots()
        slots = [(topic[kind], p, offset) for kind, p, offset in kinds]
        stages = ["cell" if kind == "cell" else "vessel" for kind, _, _ in kinds]
        self.policy.taken(time.monotonic())
        log.debug("checkpoint (%s)", why)
        await self.checkpointer.save(slots, units, stages, why == "periodic", self._saved)

    async def _saved(self, rows: list[Checkpoint]) -> None:
        """A checkpoint is durable: the exchange book forgets what the topic's retention forgets, the offsets
        go to Kafka (monitoring only: PostgreSQL holds the truth)."""
        book = self.inst.book
        newest = book.newest_front_ms()
        if newest > NEVER and self.inst.vessel_units:
            bucket_ms = next(iter(self.inst.vessel_units.values())).engine.coverage_bucket_ms()
            book.prune(newest - EXCHANGE_RETENTION_MS, bucket_ms)
        self.policy.stored()
        if self.consumer is not None and rows:
            offsets = {TopicPartition(c.topic, c.partition): c.next_offset for c in rows}
            try:
                await self.consumer.commit(offsets)
            except KafkaError as exc:
                log.info("kafka offset commit skipped (%s)", exc.__class__.__name__)
        self.metrics.watermark_delay_of(self.inst)
