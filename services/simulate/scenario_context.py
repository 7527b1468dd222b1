"""The toolkit a scenario is written with: seeded randomness, MMSIs, lanes, and the world it fills.

``ScenarioContext(name, number, seed)`` starts a :class:`World` at the common scenario epoch
(2024-03-12 20:00 UTC) with the shared receiver network and the per-area satellite pass schedules
(the same for every scenario of a seed). MMSIs are ``MID * 10**6 + number * 1000 + n``: the same
scenario always gets the same MMSIs, whatever the seed, and scenarios never collide (block 0,
``MID * 10**6`` exactly, is left to placeholder MMSIs shared on purpose). Every truth item gets the
reception regime of its location (:func:`services.simulate.shore.regime_at`).
"""

from __future__ import annotations

import random
from dataclasses import replace

from msa.domain import parse_ts
from services.simulate.model import Actor, Glitch, SceneSpec, TruthItem, VesselSpec, World
from services.simulate.places import STATIONS
from services.simulate.reception import ReceptionModel
from services.simulate.satcoverage import Blackout, PassSchedule, satellite_coverage
from services.simulate.shore import regime_at
from services.simulate.trajectory import Track

__all__ = ["EPOCH_MS", "NAMES", "SCHEDULE_SPAN_H", "ScenarioContext"]

EPOCH_MS = parse_ts("2024-03-12T20:00:00Z")
SCHEDULE_SPAN_H = (-1.0, 14.0)  # satellite passes are scheduled over [epoch − 1 h, epoch + 14 h)
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
        satellites = satellite_coverage(seed, EPOCH_MS + int(SCHEDULE_SPAN_H[0] * 3_600_000),
                                        EPOCH_MS + int(SCHEDULE_SPAN_H[1] * 3_600_000))
        self.world = World(name, seed, self.start_ms, self.end_ms, ReceptionModel(STATIONS, satellites))
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
            sar_detect_p: float | None = None, shares_mmsi: bool = False, report_interval_s: float | None = None,
            reports_sog: bool = True) -> Actor:
        actor = Actor(f"{self.name}/{key}", spec, track, transmits, sends_static, silences, glitches, sar_detect_p,
                      shares_mmsi, report_interval_s, reports_sog)
        self.world.actors.append(actor)
        return actor

    def event(self, kind: str, mmsi: tuple[int, ...], start_ms: int, end_ms: int, lat: float, lon: float,
              note: str = "", detection_id: str | None = None, decoy: bool = False) -> TruthItem:
        bucket = self.world.decoys if decoy else self.world.events
        item_id = f"{self.name}/{'decoy' if decoy else 'event'}/{kind}/{len(bucket) + 1}"
        item = TruthItem(item_id, kind, tuple(sorted(mmsi)), start_ms, end_ms, lat, lon, self.name, note,
                         detection_id, regime_at(self.world.reception.stations, lat, lon))
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
        assert r.satellites is not None
        self.world.reception = replace(r, satellites=r.satellites.with_blackout(blackout))

    def passes_over(self, lat: float, lon: float) -> PassSchedule:
        """The satellite pass schedule of the area of (lat, lon) (blackouts not applied)."""
        assert self.world.reception.satellites is not None
        return self.world.reception.satellites.schedule_at(lat, lon)
