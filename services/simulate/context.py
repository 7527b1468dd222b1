"""The toolkit a scenario is written with: seeded randomness, MMSIs, lanes, and the world it fills.

``ScenarioContext(name, number, seed)`` starts a :class:`World` at the common scenario epoch
(2024-03-12 20:00 UTC) with the shared receiver network and satellite pass schedule. MMSIs are
``MID * 10**6 + number * 1000 + n``: the same scenario always gets the same MMSIs, whatever the seed,
and scenarios never collide.
"""

from __future__ import annotations

import random

from msa.domain import parse_ts
from services.simulate.model import Actor, Glitch, SceneSpec, TruthItem, VesselSpec, World
from services.simulate.places import STATIONS
from services.simulate.reception import Blackout, ReceptionModel, satellite_passes
from services.simulate.track import Track

__all__ = ["EPOCH_MS", "NAMES", "ScenarioContext"]

EPOCH_MS = parse_ts("2024-03-12T20:00:00Z")
NAMES = ("ATLANTIC STAR", "NORDIC BREEZE", "CAPE TRADER", "SEA PIONEER", "BLUE HORIZON", "OCEAN GRACE",
         "MED SPIRIT", "IBERIA SUN", "AFRICA QUEEN", "SILVER WAVE", "GOLDEN BAY", "POLAR LIGHT",
         "CORAL SEA", "EASTERN DAWN", "WESTERN PRIDE", "LUCKY FORTUNE", "SANTA MARIA", "VIRGEN DEL MAR")


class ScenarioContext:
    def __init__(self, name: str, number: int, seed: int, duration_h: float = 6.0,
                 background_scale: float = 1.0) -> None:
        self.name, self.number, self.seed = name, number, seed
        self.background_scale = background_scale
        self.rng = random.Random(f"{seed}|{name}|scenario")
        self.start_ms = EPOCH_MS
        self.end_ms = EPOCH_MS + int(duration_h * 3_600_000)
        passes = satellite_passes(seed, EPOCH_MS - 3_600_000, EPOCH_MS + 12 * 3_600_000)
        self.world = World(name, seed, self.start_ms, self.end_ms, ReceptionModel(STATIONS, passes))
        self._next: dict[int, int] = {}

    def at(self, hours: float) -> int:
        """Epoch ms ``hours`` after the scenario start."""
        return self.start_ms + round(hours * 3_600_000)

    def mmsi(self, mid: int) -> int:
        n = self._next.get(mid, 0) + 1
        self._next[mid] = n
        return mid * 1_000_000 + self.number * 1000 + n

    def vessel(self, mid: int, ais_class: str = "A", ship_type: int | None = 70, length_m: float | None = 180.0,
               name: str | None = None, destination: str | None = None) -> VesselSpec:
        mmsi = self.mmsi(mid)
        if name is None:
            name = f"{self.rng.choice(NAMES)} {mmsi % 100}"
        call = f"{chr(65 + mmsi % 26)}{chr(65 + (mmsi // 26) % 26)}{mmsi % 10000:04d}"
        imo = 9_000_000 + mmsi % 999_983 if ais_class == "A" and (length_m or 0) >= 40 else None
        return VesselSpec(mmsi, ais_class, name, call, ship_type, length_m,
                          None if length_m is None else round(length_m / 6.5, 1), imo, destination)

    def add(self, key: str, spec: VesselSpec, track: Track, *, transmits: bool = True, sends_static: bool = True,
            silences: tuple[tuple[int, int], ...] = (), glitches: tuple[Glitch, ...] = (),
            sar_detect_p: float | None = None) -> Actor:
        actor = Actor(f"{self.name}/{key}", spec, track, transmits, sends_static, silences, glitches, sar_detect_p)
        self.world.actors.append(actor)
        return actor

    def event(self, kind: str, mmsi: tuple[int, ...], start_ms: int, end_ms: int, lat: float, lon: float,
              note: str = "", detection_id: str | None = None, decoy: bool = False) -> TruthItem:
        bucket = self.world.decoys if decoy else self.world.events
        item_id = f"{self.name}/{'decoy' if decoy else 'event'}/{kind}/{len(bucket) + 1}"
        item = TruthItem(item_id, kind, tuple(sorted(mmsi)), start_ms, end_ms, lat, lon, self.name, note,
                         detection_id)
        bucket.append(item)
        return item

    def scene(self, ts_ms: int, lat_min: float, lat_max: float, lon_min: float, lon_max: float,
              sensor: str = "S1A-IW") -> SceneSpec:
        scene = SceneSpec(f"{self.name}-scene{len(self.world.scenes) + 1}", ts_ms, sensor, lat_min, lat_max,
                          lon_min, lon_max)
        self.world.scenes.append(scene)
        return scene

    def blackout(self, blackout: Blackout) -> None:
        r = self.world.reception
        self.world.reception = ReceptionModel(r.stations, r.passes, (*r.blackouts, blackout), r.p_sat, r.p_late,
                                              r.sat_latency_s)
