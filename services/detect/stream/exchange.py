"""What the stage-1 units of every detector instance tell each other (topic ``detect.exchange.v1``).

One partition, key = the source unit (``p<n>``); every instance reads all of it (its own consumer, no group,
from the beginning, before joining the group) into one ``ExchangeBook``. Three kinds of message (JSON):

* ``{"t": "cov", …}`` — a coverage summary (``coverage_exchange.py``): dark-period coverage across MMSI partitions;
* ``{"t": "clock", "src", "clock", "front", "idle"}`` — a unit's progress: ``clock`` = event time up to
  which its inputs are complete (its merge clock), ``front`` = its engine's front (``Engine.front_ms``: every
  scan at or before it done, every record before it handled), ``idle`` = all its inputs idle. Sent when a
  value crosses a scan step (60 s of event time) or ``idle`` changes; an idle unit's clock is exact. The
  cluster-wide clock (``floor_ms``) advances idle units everywhere, so that silent vessels time out even
  on an instance whose own partitions are all idle;
* ``{"t": "scene", "src", "key", "dets", "cands"}`` — a unit's ``ScenePart`` of a satellite scene (on time,
  or — a detection that arrived after that scan — computed from its track histories as of the scan that
  would have resolved it): a unit resolves a scene when every other unit has sent its part or shown a
  ``front`` past that scan + the satellite lateness limit (``late_ms``: it counted the detection as too late).

Merging is idempotent (a restarted unit re-publishes the same messages).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from msa.contracts.codec import dumps, loads, record_from_dict, record_to_dict
from msa.domain import SatelliteDetection, VesselIdentity
from services.detect.buffer import NEVER
from services.detect.dark_vessel import SceneCandidate, SceneKey, ScenePart
from services.detect.stream.coverage_exchange import CoverageBook, CoverageSummary, summary_from_dict, summary_to_dict

__all__ = ["ExchangeBook", "ScenePartMsg", "UnitClock", "decode", "encode_clock", "encode_part"]


@dataclass(frozen=True, slots=True)
class UnitClock:
    src: str
    clock_ms: int
    front_ms: int
    idle: bool


@dataclass(frozen=True, slots=True)
class ScenePartMsg:
    src: str
    part: ScenePart


Message = CoverageSummary | UnitClock | ScenePartMsg


def encode_clock(c: UnitClock) -> bytes:
    return dumps({"t": "clock", "src": c.src, "clock": c.clock_ms, "front": c.front_ms, "idle": c.idle})


def _identity_from(d: Any, mmsi: int) -> VesselIdentity | None:
    if d is None:
        return None
    if not isinstance(d, dict):
        raise TypeError("identity is an object")
    return VesselIdentity(mmsi=mmsi, name=d.get("name"), call_sign=d.get("call_sign"), imo=d.get("imo"),
                          flag=d.get("flag"), ship_type=d.get("ship_type"), length_m=d.get("length_m"))


def encode_part(src: str, part: ScenePart) -> bytes:
    cands = [[c.mmsi, c.lon, c.lat, c.method, c.dark, c.loiter_s,
              None if c.identity is None else {k: v for k, v in asdict(c.identity).items() if k != "mmsi"},
              c.uncertainty_m]
             for c in part.candidates]
    return dumps({"t": "scene", "src": src, "key": [part.key[0], part.key[1]],
                  "dets": [record_to_dict(d) for d in part.detections], "cands": cands})


def _part_from(d: dict[str, Any]) -> ScenePartMsg:
    ts, scene_id = d["key"]
    dets = tuple(record_from_dict(x) for x in d["dets"])
    if not all(isinstance(x, SatelliteDetection) for x in dets):
        raise ValueError("a scene part's detections must be detections")
    cands = []
    for mmsi, lon, lat, method, dark, loiter_s, ident, uncertainty_m in d["cands"]:
        m = int(mmsi)
        cands.append(SceneCandidate(m, float(lon), float(lat), str(method), bool(dark), float(loiter_s),
                                    _identity_from(ident, m), float(uncertainty_m)))
    key: SceneKey = (int(ts), str(scene_id))
    return ScenePartMsg(str(d["src"]), ScenePart(key, dets, tuple(cands)))  # type: ignore[arg-type]


def decode(value: bytes) -> Message:
    """Raises ``ValueError``/``KeyError``/``TypeError`` on a malformed value (the caller counts a reject)."""
    d: Any = loads(value)
    if not isinstance(d, dict):
        raise TypeError("not an object")
    t = d.get("t", "cov")
    if t == "cov":
        return summary_from_dict(d)
    if t == "clock":
        return UnitClock(str(d["src"]), int(d["clock"]), int(d["front"]), bool(d["idle"]))
    if t == "scene":
        return _part_from(d)
    raise ValueError(f"unknown exchange message {t!r}")


def encode(msg: Message) -> bytes:
    if isinstance(msg, CoverageSummary):
        return dumps(summary_to_dict(msg))
    if isinstance(msg, UnitClock):
        return encode_clock(msg)
    return encode_part(msg.src, msg.part)


class ExchangeBook:
    """Everything one instance knows of the units: coverage, clocks and fronts, scene parts."""

    def __init__(self, units: list[str], late_ms: int = 6 * 3_600_000) -> None:
        self.units = list(units)
        self.late_ms = late_ms
        self.coverage = CoverageBook(units)
        self.clocks: dict[str, UnitClock] = {}
        self.parts: dict[SceneKey, dict[str, ScenePart]] = {}

    def add(self, msg: Message) -> None:
        if isinstance(msg, CoverageSummary):
            self.coverage.add(msg)
        elif isinstance(msg, UnitClock):
            old = self.clocks.get(msg.src)
            if old is not None and old.front_ms > msg.front_ms:  # a restarted unit: keep what it had promised
                msg = UnitClock(msg.src, msg.clock_ms, old.front_ms, msg.idle)
            self.clocks[msg.src] = msg
        else:
            self.parts.setdefault(msg.part.key, {})[msg.src] = msg.part

    def floor_ms(self, grace_ms: int, local: Mapping[str, tuple[int, bool]]) -> int:
        """The cluster-wide clock that advances idle units: min over the active units' clocks − grace; when
        every unit is idle, the latest event time any unit has seen + 1 (as ``msa detect`` at the end of its
        input). ``local``: this instance's units, live (src → (clock, idle)). Units never heard of hold it."""
        clocks: list[tuple[int, bool]] = []
        for src in self.units:
            if src in local:
                clocks.append(local[src])
            else:
                c = self.clocks.get(src)
                clocks.append((NEVER, False) if c is None else (c.clock_ms, c.idle))
        active = [clock for clock, idle in clocks if not idle]
        if active:
            low = min(active)
            return NEVER if low <= NEVER else low - grace_ms
        high = max((clock for clock, _ in clocks), default=NEVER)
        return NEVER if high <= NEVER else high + 1

    def front_of(self, src: str) -> int:
        c = self.clocks.get(src)
        return NEVER if c is None else c.front_ms

    def waiting_for(self, src: str, keys: list[SceneKey], scan_ms: int) -> list[str]:
        """The other units that have neither sent their part of each scene nor a front past ``scan_ms`` +
        ``late_ms`` (beyond which they count a detection as too late and send nothing)."""
        missing = []
        for other in self.units:
            if other == src or self.front_of(other) >= scan_ms + self.late_ms:
                continue
            if any(other not in self.parts.get(key, {}) for key in keys):
                missing.append(other)
        return missing

    def scenes_ready(self, src: str, keys: list[SceneKey], scan_ms: int) -> bool:
        """Every other unit has sent its part of each scene, or a front past ``scan_ms`` + ``late_ms``."""
        return not self.waiting_for(src, keys, scan_ms)

    def others_parts(self, src: str, keys: list[SceneKey]) -> dict[SceneKey, list[ScenePart]]:
        return {key: [p for s, p in sorted(self.parts.get(key, {}).items()) if s != src] for key in keys}

    def newest_front_ms(self) -> int:
        return max((c.front_ms for c in self.clocks.values()), default=NEVER)

    def prune(self, before_ms: int, bucket_ms: int) -> None:
        """Forget coverage buckets and scenes older than ``before_ms`` (event time)."""
        self.coverage.prune(before_ms // bucket_ms)
        for key in [k for k in self.parts if k[0] < before_ms]:
            del self.parts[key]
