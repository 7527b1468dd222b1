"""The engine as the streaming units see it (a protocol ``services.detect.engine.Engine`` satisfies), and its
factory.

Stage 1 (by MMSI, ``Engine(role="vessel")``) raises go-fast, dark-period, dark-vessel, dark-rendezvous and
identity-anomaly alerts and passes rendezvous inputs on; stage 2 (by spatial cell, ``Engine(role="pairs")``, no
grace: its inputs arrive merged in event-time order) raises rendezvous alerts for the pairs whose centroid lies in a
cell it owns (``set_owner``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from msa.domain import Alert, Record, SatelliteDetection

if TYPE_CHECKING:
    from services.detect.dark_vessel import SceneKey, ScenePart
    from services.detect.engine import EngineRole
    from services.detect.engine_exchange import StageOutputs
    from services.detect.rendezvous import IdentityChange, RendezvousInput

__all__ = ["EngineFactory", "EngineLike", "EngineSettings"]


class EngineLike(Protocol):
    def process(self, rec: Record | RendezvousInput | IdentityChange) -> list[Alert]: ...
    def advance_watermark(self, wm_ms: int) -> list[Alert]: ...
    def snapshot(self) -> bytes: ...
    def set_owner(self, owns: Callable[[float, float], bool]) -> None: ...
    def stats(self) -> dict[str, int]: ...
    # coverage exchange between vessel units (see ``coverage.py``)
    def record_heard(self) -> None: ...
    def add_coverage(self, cell: tuple[int, int], bucket: int, mmsis: Iterable[int]) -> None: ...
    def set_coverage_complete(self, complete_ms: int | None) -> list[Alert]: ...
    def heard_complete_ms(self) -> int: ...
    def buffered(self) -> int: ...
    def coverage_bucket_ms(self) -> int: ...
    # stage 1 → stage 2, and the scene exchange between stage-1 units
    def front_ms(self) -> int: ...
    def take_outputs(self) -> StageOutputs: ...
    def enable_scene_exchange(self, owns_detection: Callable[[SatelliteDetection], bool]) -> None: ...
    def awaiting_scenes(self) -> tuple[int, list[SceneKey]] | None: ...
    def resolve_scenes(self, others: dict[SceneKey, list[ScenePart]]) -> list[Alert]: ...
    def awaiting_late(self) -> list[tuple[int, SceneKey]]: ...
    def resolve_late(self, key: SceneKey, others: list[ScenePart]) -> list[Alert]: ...
    def max_late_ms(self) -> int: ...
    def flush_late(self, complete: Callable[[SceneKey], bool] | None = None) -> list[Alert]: ...


# (state bytes or None, role: "vessel" for stage 1, "pairs" for stage 2) → engine
EngineFactory = Callable[[bytes | None, "EngineRole"], EngineLike]


@dataclass(frozen=True, slots=True)
class EngineSettings:
    zones_path: Path | None = None
    params_path: Path | None = None
    grace_ms: int = 60_000

    def max_late_ms(self) -> int:
        """How late a satellite detection may arrive and still be judged (the parameters' default)."""
        from services.detect.params import ParamSet, load_params_file

        doc = load_params_file(self.params_path) if self.params_path else None
        from geo.zones import load_zones

        return int(ParamSet.build(load_zones(self.zones_path), doc).default.sat_max_late_s * 1000)

    def factory(self) -> EngineFactory:
        from geo.ports import load_ports
        from geo.zones import load_zones
        from services.detect.engine import Engine
        from services.detect.params import ParamSet, load_params_file

        zones = load_zones(self.zones_path)
        ports = load_ports()
        params = ParamSet.build(zones, load_params_file(self.params_path) if self.params_path else None)
        grace_ms = self.grace_ms

        def make(state: bytes | None, role: EngineRole = "all") -> EngineLike:
            """A fresh engine, or one restored from ``state`` (``ValueError``: another version's or role's)."""
            g = 0 if role == "pairs" else grace_ms  # stage 2's inputs arrive merged in event-time order
            if state is None:
                return Engine(zones, ports, params, g, role=role)
            return Engine.restore(state, zones, ports, params, g, role=role)

        return make
