"""Compact per-vessel state shared by the per-vessel detectors (go-fast, dark period, satellite match).

One slotted object per tracked vessel holding scalars only; detector-specific sub-states (a go-fast run,
a dark gap) exist only while something is happening. This keeps the steady-state footprint to a few
hundred bytes per vessel and makes the whole engine state picklable for checkpoints.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.mid import flag_from_mmsi
from msa.domain import StaticVesselData, VesselIdentity

__all__ = ["IdentityBook", "VesselState", "VesselStatic", "nominal_interval_s"]


def nominal_interval_s(ais_class: str, sog_kn: float | None, nav_status: int | None) -> float:
    """The reporting interval ITU-R M.1371 prescribes (Class A by speed and status; Class B "CS" 30 s
    above 2 kn, 3 min below; long-range 3 min). Unknown speed counts as underway (10 s)."""
    if ais_class == "LR":
        return 180.0
    sog = 5.0 if sog_kn is None else sog_kn
    if ais_class == "B":
        return 180.0 if sog < 2.0 else 30.0
    if nav_status in (1, 5) and sog <= 3.0:
        return 180.0
    if sog <= 14.0:
        return 10.0
    return 6.0 if sog <= 23.0 else 2.0


class VesselState:
    """The last accepted fix, reporting regularity and detector sub-states of one MMSI."""

    __slots__ = (
        "cov_key", "dark", "dark_closed", "ewma_interval_s", "ewma_nominal_s", "glitch", "gofast",
        "gofast_closed_id", "last_cog", "last_lat", "last_lon", "last_sog", "last_ts", "last_zone",
        "loiter_last_ts", "loiter_start_ts", "mmsi", "n_reports", "rv",
    )

    def __init__(self, mmsi: int) -> None:
        self.mmsi = mmsi
        self.last_ts = -1  # ms; -1 = no fix yet
        self.last_lon = 0.0
        self.last_lat = 0.0
        self.last_sog = -1.0  # kn; -1 = unknown
        self.last_cog = -1.0  # deg; -1 = unknown
        self.last_zone: str | None = None
        self.n_reports = 0
        self.ewma_interval_s = 0.0
        self.ewma_nominal_s = 0.0  # what the vessel should have been heard at, per ITU-R M.1371
        self.glitch: tuple[int, float, float] | None = None  # a rejected jump (ts, lon, lat) kept to confirm
        self.loiter_start_ts = -1  # first slow fix of the current slow spell
        self.loiter_last_ts = -1  # last slow fix
        self.gofast: object | None = None  # go_fast.Run while a fast run is under way
        self.gofast_closed_id: str | None = None
        self.dark: object | None = None  # dark_period.Gap while the vessel is silent past its threshold
        self.dark_closed: tuple[str, int, int, str] | None = None  # (alert_id, start, end, zone) last closed
        self.cov_key = -1  # coverage (cell, bucket) last recorded for this vessel
        self.rv = False  # the last fix passed on to the rendezvous stage was a candidate (streaming stage 1)

    def __getstate__(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state: dict[str, object]) -> None:
        for k, v in state.items():
            setattr(self, k, v)

    def loiter_duration_s(self, ts_ms: int, gap_tolerance_s: float) -> float:
        """How long the vessel has been slow as of ``ts_ms`` (0 when not loitering)."""
        if self.loiter_start_ts < 0 or ts_ms - self.loiter_last_ts > gap_tolerance_s * 1000.0:
            return 0.0
        return (self.loiter_last_ts - self.loiter_start_ts) / 1000.0


@dataclass(frozen=True, slots=True)
class VesselStatic:
    """A vessel's static data merged so far (immutable: a change is a new object)."""

    name: str | None = None
    call_sign: str | None = None
    imo: int | None = None
    ship_type: int | None = None
    length_m: float | None = None


class IdentityBook:
    """Static data per MMSI merged across types 5 / 24A / 24B (later non-empty values win)."""

    __slots__ = ("_by_mmsi",)

    def __init__(self) -> None:
        self._by_mmsi: dict[int, VesselStatic] = {}

    def update(self, s: StaticVesselData) -> bool:
        """Merge; returns True when something changed."""
        old = self._by_mmsi.get(s.mmsi) or VesselStatic()
        length = s.length_m if s.length_m else old.length_m
        new = VesselStatic(
            name=(s.name or "").strip() or old.name, call_sign=(s.call_sign or "").strip() or old.call_sign,
            imo=s.imo or old.imo, ship_type=s.ship_type if s.ship_type else old.ship_type, length_m=length)
        if new == old and s.mmsi in self._by_mmsi:
            return False
        self._by_mmsi[s.mmsi] = new
        return True

    def known(self, mmsi: int) -> bool:
        """Static data has been seen for this MMSI."""
        return mmsi in self._by_mmsi

    def static(self, mmsi: int) -> VesselStatic | None:
        return self._by_mmsi.get(mmsi)

    def set(self, mmsi: int, static: VesselStatic) -> None:
        """Take a merged identity as it is (another stage merged it)."""
        self._by_mmsi[mmsi] = static

    def ship_type(self, mmsi: int) -> int | None:
        s = self._by_mmsi.get(mmsi)
        return None if s is None else s.ship_type

    def length_m(self, mmsi: int) -> float | None:
        s = self._by_mmsi.get(mmsi)
        return None if s is None else s.length_m

    def identity(self, mmsi: int) -> VesselIdentity:
        s = self._by_mmsi.get(mmsi) or VesselStatic()
        return VesselIdentity(mmsi=mmsi, name=s.name, call_sign=s.call_sign, imo=s.imo,
                              flag=flag_from_mmsi(mmsi), ship_type=s.ship_type, length_m=s.length_m)
