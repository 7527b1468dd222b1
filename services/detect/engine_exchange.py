"""What the streaming units ask of an engine beyond records in and alerts out: the coverage exchange (each
stage-1 engine sees only its own vessels, but a dark period needs to know who else was heard nearby), the
scene exchange (a satellite scene is judged over every stage-1 engine's vessels), the rendezvous inputs stage 1
passes on, the clocks a unit publishes, and pair ownership in stage 2.

A base class of ``engine.Engine``, apart so that the event-time loop reads alone; it holds no state of its
own (the attributes below are the engine's).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

from msa.domain import Alert, SatelliteDetection
from services.detect.buffer import NEVER, EventBuffer
from services.detect.coverage import CoverageGrid
from services.detect.dark_vessel import SatMatcher, SceneKey, ScenePart
from services.detect.rendezvous import RENDEZVOUS_GRID_DEG, Cell, IdentityChange, RendezvousDetector, RendezvousInput
from services.detect.track import VesselState
from services.detect.vessel_stage import VesselStage

__all__ = ["StageOutputs", "UnitExchange"]


class StageOutputs(NamedTuple):
    """What a stage-1 engine hands on besides alerts (``take_outputs``), each in event-time order."""

    rendezvous_inputs: list[RendezvousInput | IdentityChange]  # candidate fixes, ends of candidacy, identities
    scene_parts: list[ScenePart]  # its parts of the satellite scenes that became due (to publish)
    heard: list[tuple[int, int, int, int]]  # (cell x, cell y, bucket, MMSI) of own vessels (``record_heard``)



class UnitExchange:
    coverage: CoverageGrid
    sat: SatMatcher
    stage: VesselStage | None
    rendezvous: RendezvousDetector | None
    watermark: int
    _buf: EventBuffer
    _horizon: int | None
    _barrier: int | None

    @property
    def vessels(self) -> dict[int, VesselState]:
        return {} if self.stage is None else self.stage.vessels

    def _drain(self, wm: int) -> list[Alert]:
        raise NotImplementedError

    # ---- coverage exchange (streaming: each engine sees only some of the vessels) ---------------------
    def heard(self, mmsi: int, ts_ms: int, lon: float, lat: float) -> None:
        """Another engine's vessel was heard at (lon, lat): counts for dark-period coverage."""
        self.coverage.heard(mmsi, ts_ms, lon, lat)

    def add_coverage(self, cell: tuple[int, int], bucket: int, mmsis: Iterable[int]) -> None:
        """A coverage summary (another engine's ``take_outputs().heard``): MMSIs heard in a 0.2° cell and bucket."""
        self.coverage.add(cell, bucket, mmsis)

    def set_coverage_complete(self, complete_ms: int | None) -> list[Alert]:
        """Streaming: the coverage of every other engine is known for event times before ``complete_ms`` (a
        bucket boundary; None = no other engine, the default). A dark-period decision at time t reads the
        buckets before t's bucket, so records and scans are then handled only before ``complete_ms`` + one
        bucket, whatever the watermark; returns what a later horizon releases."""
        self._horizon = None if complete_ms is None else complete_ms + self.coverage.bucket_ms
        return self._drain(self.watermark) if self.watermark > NEVER else []

    def heard_complete_ms(self) -> int:
        """Every own fix before this event time has been handled (and logged for ``take_outputs``): the
        earliest buffered record, or the watermark (nothing earlier can still be accepted)."""
        first = self._buf.first_ts()
        return self.watermark if first is None else min(self.watermark, first)

    def buffered(self) -> int:
        """Records waiting for the watermark (or the coverage horizon)."""
        return len(self._buf)

    def record_heard(self) -> None:
        """From now on, remember where this engine's own vessels are heard, for ``take_outputs().heard``."""
        if self.stage is not None and self.stage._heard_log is None:
            self.stage._heard_log = []

    def front_ms(self) -> int:
        """Every record before this event time has been handled and every scan at or before it done (its
        rendezvous inputs and scene parts taken out): nothing this engine emits later is earlier."""
        first = self._buf.first_ts()
        front = self.watermark if first is None else min(self.watermark, first)
        if self._barrier is not None:
            front = min(front, self._barrier)
        if self._horizon is not None:
            front = min(front, self._horizon - 1)
        return front

    def take_outputs(self) -> StageOutputs:
        """What this engine hands on besides alerts, since the last call — everything at once, so no caller
        can take one part before another. Every own fix before the watermark is in ``heard`` (so the coverage
        summary of bucket b is complete once the watermark passes the end of b)."""
        stage = self.stage
        if stage is None:
            return StageOutputs([], [], [])
        rv, heard, parts = stage._rv_out, stage._heard_log, self.sat.parts_out
        stage._rv_out = []
        if heard:
            stage._heard_log = []
        self.sat.parts_out = []
        return StageOutputs(rv, parts, heard or [])

    # ---- scene exchange (streaming: satellite scenes resolved over every stage-1 engine's vessels) ------
    def enable_scene_exchange(self, owns_detection: Callable[[SatelliteDetection], bool]) -> None:
        """Resolve satellite scenes only with the other engines' parts (``resolve_scenes``); alert on the
        detections ``owns_detection`` accepts (exactly one engine must own each)."""
        self.sat.exchange = True
        self.sat.owns = owns_detection

    def awaiting_scenes(self) -> tuple[int, list[SceneKey]] | None:
        """(scan time, scenes) the engine waits at for the other engines' parts, or None."""
        if self._barrier is None:
            return None
        return self._barrier, sorted(self.sat.awaiting)

    def resolve_scenes(self, others: dict[SceneKey, list[ScenePart]]) -> list[Alert]:
        """Resolve the awaiting scenes with the other engines' parts and go on (to the next barrier, if any)."""
        now = self._barrier
        if now is None:
            return []
        self._barrier = None
        out = self.sat.resolve_awaiting(others, self.vessels, now)
        if self.watermark > NEVER:
            out += self._drain(self.watermark)
        return out

    def coverage_bucket_ms(self) -> int:
        return self.coverage.bucket_ms

    def set_owner(self, owns: Callable[[float, float], bool]) -> None:
        """Streaming stage 2: raise rendezvous only for the pairs whose centroid's rendezvous-grid cell has
        its centre at a place ``owns(lon, lat)`` accepts (the cell partition's own cells)."""
        half = RENDEZVOUS_GRID_DEG / 2.0

        def owns_cell(cell: Cell) -> bool:
            return owns(cell[0] * RENDEZVOUS_GRID_DEG + half, cell[1] * RENDEZVOUS_GRID_DEG + half)

        self.set_pair_owner(owns_cell)

    def set_pair_owner(self, owns: Callable[[Cell], bool] | None) -> None:
        """Restrict the rendezvous detector to pairs whose centroid lies in owned 0.02° cells."""
        if self.rendezvous is not None:
            self.rendezvous.owns = owns

    def max_late_ms(self) -> int:
        """How late a satellite detection may arrive and still be judged as if on time."""
        return self.sat.max_late_ms()

    def awaiting_late(self) -> list[tuple[int, SceneKey]]:
        """(resolution scan, key) of the late scenes whose own part was published, waiting for the others'."""
        return sorted((at, key) for key, (at, _) in self.sat.late_awaiting.items())

    def resolve_late(self, key: SceneKey, others: list[ScenePart]) -> list[Alert]:
        """Resolve one late scene with the other engines' parts (as of its on-time resolution scan)."""
        if key not in self.sat.late_awaiting:
            return []
        return self.sat.resolve_late(key, others, self.vessels)
