"""Topics the detector reads and writes; a suffix gives tests (and parallel deployments) their own."""

from __future__ import annotations

from dataclasses import dataclass, replace

from msa.contracts import topics as t

__all__ = ["StreamTopics"]


@dataclass(frozen=True, slots=True)
class StreamTopics:
    positions: str = t.AIS_POSITIONS
    static: str = t.AIS_STATIC
    sat: str = t.SAT_DETECTIONS
    by_cell: str = t.POSITIONS_BY_CELL
    alerts: str = t.ALERTS

    @classmethod
    def with_suffix(cls, suffix: str) -> StreamTopics:
        d = cls()
        return cls(*(f"{name}{suffix}" for name in (d.positions, d.static, d.sat, d.by_cell, d.alerts)))

    def inputs(self) -> tuple[str, str, str, str]:
        return (self.positions, self.static, self.sat, self.by_cell)

    def specs(self) -> list[t.TopicSpec]:
        by_name = {s.name: s for s in t.ALL_TOPICS}
        defaults = StreamTopics()
        pairs = zip((defaults.positions, defaults.static, defaults.sat, defaults.by_cell, defaults.alerts),
                    (self.positions, self.static, self.sat, self.by_cell, self.alerts), strict=True)
        return [replace(by_name[d], name=n) for d, n in pairs]
