"""Topics the detector reads and writes; a suffix gives tests (and parallel deployments) their own.

Two of them are the detector's own (internal, like changelogs; not partner contracts, so not in
``msa.contracts.topics``): ``detect.positions-by-cell.v3`` (stage 1 → stage 2, ``cell_records.py``) and
``detect.exchange.v1`` (between stage-1 units, ``exchange.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from msa.contracts import topics as t

__all__ = ["BY_CELL", "BY_CELL_SPEC", "EXCHANGE", "EXCHANGE_RETENTION_MS", "EXCHANGE_SPEC", "StreamTopics"]

BY_CELL = "detect.positions-by-cell.v3"
BY_CELL_SPEC = t.TopicSpec(BY_CELL, 6, "source unit (p<n>) or ~wm", "rendezvous inputs",
                           "Derived: the fixes the rendezvous detector can use, re-keyed by spatial cell (each to "
                           "its own cell's partition and to those of the neighbour cells within 5 km).")
EXCHANGE = "detect.exchange.v1"
# every instance reads it whole at start: 48 h is ≥ 2 × the longest dark-period coverage look-back (what an
# instance keeps of it in memory is pruned to the same horizon)
EXCHANGE_RETENTION_MS = 48 * 3_600_000
EXCHANGE_SPEC = t.TopicSpec(EXCHANGE, 1, "source unit (p<n>)", "exchange",
                            "Derived: what the stage-1 units tell each other (reception coverage, progress "
                            "clocks, satellite scene parts), read whole by every detector instance.",
                            retention_ms=EXCHANGE_RETENTION_MS)


@dataclass(frozen=True, slots=True)
class StreamTopics:
    positions: str = t.AIS_POSITIONS
    static: str = t.AIS_STATIC
    sat: str = t.SAT_DETECTIONS
    by_cell: str = BY_CELL
    alerts: str = t.ALERTS
    exchange: str = EXCHANGE
    rejects: str = t.DETECTOR_REJECTS

    @classmethod
    def with_suffix(cls, suffix: str) -> StreamTopics:
        d = cls()
        return cls(*(f"{name}{suffix}" for name in (d.positions, d.static, d.sat, d.by_cell, d.alerts,
                                                    d.exchange, d.rejects)))

    def group_inputs(self) -> tuple[str, str, str]:
        """Topics shared out by the consumer group (the satellite and exchange topics are read whole)."""
        return (self.positions, self.static, self.by_cell)

    def specs(self) -> list[t.TopicSpec]:
        by_name = {s.name: s for s in t.ALL_TOPICS}
        defaults = StreamTopics()
        pairs = zip((defaults.positions, defaults.static, defaults.sat, defaults.alerts, defaults.rejects),
                    (self.positions, self.static, self.sat, self.alerts, self.rejects), strict=True)
        return [*(replace(by_name[d], name=n) for d, n in pairs), replace(BY_CELL_SPEC, name=self.by_cell),
                replace(EXCHANGE_SPEC, name=self.exchange)]
