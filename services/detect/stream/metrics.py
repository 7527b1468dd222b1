"""Prometheus metrics of the streaming detector, on a registry owned by the service instance."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

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
