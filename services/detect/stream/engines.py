"""The engine as the streaming units see it: a small protocol, and the adapter over ``services.detect``.

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

from msa.domain import Alert, AlertKind, Record, SatelliteDetection

if TYPE_CHECKING:
    from services.detect.dark_vessel import SceneKey, ScenePart
    from services.detect.engine import EngineRole
    from services.detect.rendezvous import IdentityChange, RendezvousInput

__all__ = ["CELL_KINDS", "VESSEL_KINDS", "DetectEngine", "EngineFactory", "EngineLike", "EngineSettings"]

VESSEL_KINDS = frozenset({AlertKind.GO_FAST, AlertKind.DARK_PERIOD, AlertKind.DARK_VESSEL,
                          AlertKind.DARK_RENDEZVOUS, AlertKind.IDENTITY_ANOMALY})
CELL_KINDS = frozenset({AlertKind.RENDEZVOUS})


class EngineLike(Protocol):
    def process(self, rec: Record | RendezvousInput | IdentityChange) -> list[Alert]: ...
    def advance_watermark(self, wm_ms: int) -> list[Alert]: ...
    def snapshot(self) -> bytes: ...
    def set_owner(self, owns: Callable[[float, float], bool]) -> None: ...
    def stats(self) -> dict[str, int]: ...
    # coverage exchange between vessel units (see ``coverage.py``)
    def record_heard(self) -> None: ...
    def take_heard(self) -> list[tuple[int, int, int, int]]: ...
    def add_coverage(self, cell: tuple[int, int], bucket: int, mmsis: Iterable[int]) -> None: ...
    def set_coverage_complete(self, complete_ms: int | None) -> list[Alert]: ...
    def heard_complete_ms(self) -> int: ...
    def buffered(self) -> int: ...
    def coverage_bucket_ms(self) -> int: ...
    # stage 1 → stage 2, and the scene exchange between stage-1 units
    def front_ms(self) -> int: ...
    def take_rendezvous_inputs(self) -> list[RendezvousInput | IdentityChange]: ...
    def enable_scene_exchange(self, owns_detection: Callable[[SatelliteDetection], bool]) -> None: ...
    def take_scene_parts(self) -> list[ScenePart]: ...
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
        from services.detect.params import ParamSet, load_params_file

        zones = load_zones(self.zones_path)
        ports = load_ports()
        params = ParamSet.build(zones, load_params_file(self.params_path) if self.params_path else None)
        grace_ms = self.grace_ms

        def make(state: bytes | None, role: EngineRole = "all") -> EngineLike:
            return DetectEngine(zones, ports, params, 0 if role == "pairs" else grace_ms, state, role)

        return make


class DetectEngine:
    """``services.detect.engine.Engine`` plus what the stream needs (pair ownership by cell).
    Raises ``ValueError`` for a state it cannot restore (another version, another role)."""

    def __init__(self, zones: object, ports: object, params: object, grace_ms: int,
                 state: bytes | None, role: EngineRole = "all") -> None:
        from services.detect.engine import Engine

        if state is None:
            self.engine = Engine(zones, ports, params, grace_ms, role=role)  # type: ignore[arg-type]
        else:
            self.engine = Engine.restore(state, zones, ports, params, grace_ms, role=role)  # type: ignore[arg-type]
        self._owns: Callable[[float, float], bool] | None = None

    def process(self, rec: Record | RendezvousInput | IdentityChange) -> list[Alert]:
        return self.engine.process(rec)

    def advance_watermark(self, wm_ms: int) -> list[Alert]:
        return self.engine.advance_watermark(wm_ms)

    def snapshot(self) -> bytes:
        return self.engine.snapshot()

    def stats(self) -> dict[str, int]:
        return self.engine.stats()

    def record_heard(self) -> None:
        self.engine.record_heard()

    def take_heard(self) -> list[tuple[int, int, int, int]]:
        return self.engine.take_heard()

    def add_coverage(self, cell: tuple[int, int], bucket: int, mmsis: Iterable[int]) -> None:
        self.engine.add_coverage(cell, bucket, mmsis)

    def set_coverage_complete(self, complete_ms: int | None) -> list[Alert]:
        return self.engine.set_coverage_complete(complete_ms)

    def heard_complete_ms(self) -> int:
        return self.engine.heard_complete_ms()

    def buffered(self) -> int:
        return self.engine.buffered()

    def coverage_bucket_ms(self) -> int:
        return self.engine.coverage.bucket_ms

    def front_ms(self) -> int:
        return self.engine.front_ms()

    def take_rendezvous_inputs(self) -> list[RendezvousInput | IdentityChange]:
        return self.engine.take_rendezvous_inputs()

    def enable_scene_exchange(self, owns_detection: Callable[[SatelliteDetection], bool]) -> None:
        self.engine.enable_scene_exchange(owns_detection)

    def take_scene_parts(self) -> list[ScenePart]:
        return self.engine.take_scene_parts()

    def awaiting_scenes(self) -> tuple[int, list[SceneKey]] | None:
        return self.engine.awaiting_scenes()

    def resolve_scenes(self, others: dict[SceneKey, list[ScenePart]]) -> list[Alert]:
        return self.engine.resolve_scenes(others)

    def awaiting_late(self) -> list[tuple[int, SceneKey]]:
        return self.engine.awaiting_late()

    def resolve_late(self, key: SceneKey, others: list[ScenePart]) -> list[Alert]:
        return self.engine.resolve_late(key, others)

    def max_late_ms(self) -> int:
        return self.engine.max_late_ms()

    def flush_late(self, complete: Callable[[SceneKey], bool] | None = None) -> list[Alert]:
        return self.engine.flush_late(complete)

    def set_owner(self, owns: Callable[[float, float], bool]) -> None:
        from services.detect import rendezvous

        half = rendezvous.CELL_DEG / 2.0

        def owns_cell(cell: tuple[int, int]) -> bool:
            return owns(cell[0] * rendezvous.CELL_DEG + half, cell[1] * rendezvous.CELL_DEG + half)

        self._owns = owns
        self.engine.set_pair_owner(owns_cell)
