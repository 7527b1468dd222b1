"""Topics the detector reads and writes; a suffix gives tests (and parallel deployments) their own."""

from __future__ import annotations

from dataclasses import dataclass, replace

from msa.contracts import topics as t

__all__ = ["COVERAGE", "COVERAGE_SPEC", "StreamTopics"]

COVERAGE = "detect.coverage.v1"
# internal to the detector (like a changelog): not a partner contract, so not in msa.contracts.topics
COVERAGE_SPEC = t.TopicSpec(COVERAGE, 1, "source unit (p<n>)", "coverage",
                            "Derived: per-unit reception coverage summaries (0.2° cell, 10-min bucket, MMSIs), "
                            "read by every stage-1 unit of every detector instance.")


@dataclass(frozen=True, slots=True)
class StreamTopics:
    positions: str = t.AIS_POSITIONS
    static: str = t.AIS_STATIC
    sat: str = t.SAT_DETECTIONS
    by_cell: str = t.POSITIONS_BY_CELL
    alerts: str = t.ALERTS
    coverage: str = COVERAGE

    @classmethod
    def with_suffix(cls, suffix: str) -> StreamTopics:
        d = cls()
        return cls(*(f"{name}{suffix}" for name in (d.positions, d.static, d.sat, d.by_cell, d.alerts,
                                                    d.coverage)))

    def inputs(self) -> tuple[str, str, str, str]:
        return (self.positions, self.static, self.sat, self.by_cell)

    def specs(self) -> list[t.TopicSpec]:
        by_name = {s.name: s for s in t.ALL_TOPICS}
        defaults = StreamTopics()
        pairs = zip((defaults.positions, defaults.static, defaults.sat, defaults.by_cell, defaults.alerts),
                    (self.positions, self.static, self.sat, self.by_cell, self.alerts), strict=True)
        return [*(replace(by_name[d], name=n) for d, n in pairs), replace(COVERAGE_SPEC, name=self.coverage)]
