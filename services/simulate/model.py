"""What a scenario is made of: vessels (actors) with tracks, satellite scenes, and the truth.

A :class:`World` is pure data; :mod:`services.simulate.world_files` turns it into ``ais.nmea``,
``sat.geojson`` and ``truth.json``. Worlds of several scenarios merge into one (``msa simulate --scenario all``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.simulate.reception import ReceptionModel
from services.simulate.trajectory import Track

__all__ = ["Actor", "Glitch", "SceneSpec", "TruthItem", "VesselSpec", "World", "check_mmsis", "merge_worlds"]


@dataclass(frozen=True, slots=True)
class VesselSpec:
    mmsi: int
    ais_class: str = "A"  # "A" or "B"
    name: str | None = None
    call_sign: str | None = None
    ship_type: int | None = None
    length_m: float | None = None
    beam_m: float | None = None
    imo: int | None = None
    destination: str | None = None


@dataclass(frozen=True, slots=True)
class Glitch:
    """A single report displaced by ``dist_m`` metres along ``bearing_deg`` (first report at or after ``at_ms``)."""

    at_ms: int
    dist_m: float
    bearing_deg: float


@dataclass(frozen=True, slots=True)
class Actor:
    """A physical vessel. ``transmits=False`` is a vessel without AIS (only a satellite can see it).

    ``shares_mmsi=True`` declares that another actor transmits the same MMSI on purpose (a cloned or
    placeholder MMSI); :func:`merge_worlds` refuses any other duplicate. ``report_interval_s`` replaces the
    ITU-R M.1371 rate by a fixed interval (reports at track start + k·interval, ±1 s); ``reports_sog=False``
    sends "SOG not available" (102.3 kn).
    """

    key: str
    spec: VesselSpec
    track: Track
    transmits: bool = True
    sends_static: bool = True
    silences: tuple[tuple[int, int], ...] = ()  # AIS switched off in [t0, t1)
    glitches: tuple[Glitch, ...] = ()
    sar_detect_p: float | None = None  # None: by length
    shares_mmsi: bool = False
    report_interval_s: float | None = None
    reports_sog: bool = True

    def silent_at(self, ts_ms: int) -> bool:
        return any(t0 <= ts_ms < t1 for t0, t1 in self.silences)


@dataclass(frozen=True, slots=True)
class SceneSpec:
    """A SAR scene: a rectangle acquired at one instant; every vessel inside may be detected."""

    scene_id: str
    ts_ms: int
    sensor: str
    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float


@dataclass(frozen=True, slots=True)
class TruthItem:
    """A ground-truth event (or, in ``World.decoys``, a situation that must NOT raise ``kind``)."""

    item_id: str
    kind: str
    mmsi: tuple[int, ...]
    start_ms: int
    end_ms: int
    lat: float
    lon: float
    scenario: str
    note: str = ""
    detection_id: str | None = None
    regime: str = ""  # "coast" | "offshore" (services.simulate.shore); "" when unknown (old truth files)


@dataclass(slots=True)
class World:
    name: str
    seed: int
    start_ms: int
    end_ms: int
    reception: ReceptionModel
    actors: list[Actor] = field(default_factory=list)
    scenes: list[SceneSpec] = field(default_factory=list)
    events: list[TruthItem] = field(default_factory=list)
    decoys: list[TruthItem] = field(default_factory=list)


def merge_worlds(name: str, worlds: list[World]) -> World:
    """One world holding every actor, scene and truth item; the time span is the union."""
    if not worlds:
        raise ValueError("nothing to merge")
    reception = worlds[0].reception
    for w in worlds[1:]:
        reception = reception.merged(w.reception)
    merged = World(name, worlds[0].seed, min(w.start_ms for w in worlds), max(w.end_ms for w in worlds), reception)
    for w in worlds:
        merged.actors.extend(w.actors)
        merged.scenes.extend(w.scenes)
        merged.events.extend(w.events)
        merged.decoys.extend(w.decoys)
    check_mmsis(merged.actors)
    return merged


def check_mmsis(actors: list[Actor]) -> None:
    """Raise ``ValueError`` when two transmitting actors share an MMSI without both declaring it."""
    seen: dict[int, Actor] = {}
    for a in actors:
        if not a.transmits:
            continue
        other = seen.setdefault(a.spec.mmsi, a)
        if other is not a and not (a.shares_mmsi and other.shares_mmsi):
            raise ValueError(f"actors {other.key} and {a.key} share MMSI {a.spec.mmsi}")
