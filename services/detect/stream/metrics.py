"""Prometheus metrics of the streaming detector, on a registry owned by the service instance, and the two
gauges read off its units (scene waits, event time behind the wall clock)."""

from __future__ import annotations

import logging
import time

from prometheus_client import CollectorRegistry, Counter, Gauge

from services.detect.buffer import NEVER
from services.detect.stream.instance import Instance

log = logging.getLogger("msa.detector")

__all__ = ["DetectorMetrics"]


class DetectorMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.records = Counter("msa_detector_records", "Input records consumed, by topic", ["topic"],
                               registry=r)
        self.rejects = Counter("msa_detector_rejects", "Input records that could not be decoded, by reason",
                               ["reason"], registry=r)
        self.alerts = Counter("msa_detector_alerts", "Alert versions produced, by kind and status",
                              ["kind", "status"], registry=r)
        self.forwarded = Counter("msa_detector_forwarded", "Records re-published by spatial cell", registry=r)
        self.duplicates = Counter("msa_detector_duplicates", "Replayed cell records dropped", registry=r)
        self.redelivered = Counter("msa_detector_redelivered", "Input records the consumer delivered twice, dropped",
                                   registry=r)
        self.checkpoints = Counter("msa_detector_checkpoints", "Checkpoints committed", registry=r)
        self.checkpoint_failures = Counter("msa_detector_checkpoint_failures",
                                           "Checkpoints that could not be written (the database away)", registry=r)
        self.lag = Gauge("msa_detector_lag", "Records behind the end of the partition",
                         ["topic", "partition"],
                         registry=r)
        self.watermark_delay = Gauge("msa_detector_watermark_delay_seconds",
                                     "Wall clock minus the engine clock (event time), by stage", ["stage"],
                                     registry=r)
        self.state_bytes = Gauge("msa_detector_state_bytes", "Size of the last checkpointed state, by stage",
                                 ["stage"], registry=r)
        self.pending = Gauge("msa_detector_pending", "Records waiting in the event-time merge", registry=r)
        self.scene_waits = Gauge("msa_detector_scene_waits",
                                 "Stage-1 units waiting at a satellite scene for the other units' parts", registry=r)
        self.ready = Gauge("msa_detector_ready", "1 when the detector is assigned and making progress",
                           registry=r)

    def scene_waits_of(self, inst: Instance, wait_since: dict[int, tuple[int, float]], now: float,
                       stuck_after_s: float) -> None:
        """Units held at a satellite scene: a gauge, and a warning naming the units they wait for when that
        lasts (a partition nobody consumes, an instance that cannot keep up). ``wait_since``: vessel partition →
        (scene scan time, wall clock), kept by the caller."""
        waiting = 0
        for p, vu in inst.vessel_units.items():
            at = vu.engine.awaiting_scenes()
            if at is None:
                wait_since.pop(p, None)
                continue
            waiting += 1
            since = wait_since.setdefault(p, (at[0], now))
            if since[0] != at[0]:
                wait_since[p] = since = (at[0], now)
            if now - since[1] >= stuck_after_s:
                log.warning("%s waits %.0f s at the satellite scene(s) %s for the parts of %s", vu.src,
                            now - since[1], ", ".join(f"{sid}@{ts}" for ts, sid in at[1]),
                            ", ".join(inst.book.waiting_for(vu.src, at[1], at[0])) or "nobody (next step)")
                wait_since[p] = (at[0], now)  # again after another stuck_after_s
        self.scene_waits.set(waiting)

    def watermark_delay_of(self, inst: Instance) -> None:
        """Operations metric only (how far event time lags behind the wall clock); the engine and the merge
        never see this clock: detection runs on event time from the data."""
        now_ms = time.time() * 1000.0
        for stage, units in (("vessel", inst.vessel_units.values()), ("cell", inst.cell_units.values())):
            clocks = [u.merger.clock_ms() for u in units if u.merger.clock_ms() > NEVER]
            if clocks:
                self.watermark_delay.labels(stage).set(max(0.0, (now_ms - min(clocks)) / 1000.0))
