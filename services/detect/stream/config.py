"""Settings of one detector instance (built at start-up from the command line and ``msa.settings``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.detect.stream.detector_topics import StreamTopics
from services.detect.stream.engines import EngineSettings

__all__ = ["DetectorConfig"]


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    bootstrap: str
    database_url: str
    group: str = "msa-detector"
    instance_id: str = "detector"
    topics: StreamTopics = field(default_factory=StreamTopics)
    engine: EngineSettings = field(default_factory=EngineSettings)
    idle_timeout_s: float = 5.0  # a caught-up partition silent this long no longer holds the clock
    checkpoint_records: int = 250_000  # checkpoint after this many input records…
    checkpoint_interval_s: float = 5.0  # …or this many seconds, whichever first
    checkpoint_fork: bool = True  # pickle periodic checkpoints in a forked child (stream/snapshot.py)
    marker_interval_s: float = 0.1  # watermark markers to the cell partitions, when changed…
    marker_refresh_s: float = 2.0  # …and all of them again this often
    stuck_after_s: float = 60.0  # lag > 0 and no progress this long → not ready
    max_poll_records: int = 5000
    health_host: str = "127.0.0.1"  # loopback unless configured (--health-host)
    health_port: int | None = None
    margin_m: float = 5000.0
