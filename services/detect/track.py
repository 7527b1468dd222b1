"""Compact per-vessel state shared by the per-vessel detectors (go-fast, dark period, satellite match).

One slotted object per tracked vessel holding scalars only; detector-specific sub-states (a go-fast run,
a dark gap) exist only while something is happening. This keeps the steady-state footprint to a few
hundred bytes per vessel and makes the whole engine state picklable for checkpoints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from geo.mid import flag_from_mmsi
from msa.domain import StaticVesselData, VesselIdentity

if TYPE_CHECKING:
    from services.detect.history import TrackHistory
    from services.detect.identity import Identity

__all__ = ["IdentityBook", "SlowSpell", "VesselState", "VesselStatic"]


class SlowSpell:
    """The loitering bookkeeping go-fast's loiter-then-sprint profile reads (``VesselState``, and the fast lane's
    ``LaneTrack``, which keep the same fields)."""

    __slots__ = ()
    last_sog: float
    loiter_start_ts: int
    loiter_last_ts: int

    def note_slow(self, ts_ms: int, implied_kn: float, loiter_max_kn: float, fix_gap_ms: float,
                  bridge_ms: float) -> None:
        """A slow fix (≤ ``loiter_max_kn``): extend the slow spell, or start one (after a fast fix, or a gap the
        positions do not bridge at loitering speed)."""
        gap_ms = ts_ms - self.loiter_last_ts
        if self.loiter_start_ts < 0 or self.last_sog > loiter_max_kn or (
                gap_ms > fix_gap_ms and not (gap_ms <= bridge_ms and implied_kn <= loiter_max_kn)):
            self.loiter_start_ts = ts_ms  # type: ignore[misc]  # a slot of every subclass
        self.loiter_last_ts = ts_ms  # type: ignore[misc]

    def loiter_duration_s(self, ts_ms: int, gap_tolerance_s: float) -> float:
        """How long the vessel has been slow as of ``ts_ms`` (0 when not loitering)."""
        if self.loiter_start_ts < 0 or ts_ms - self.loiter_last_ts > gap_tolerance_s * 1000.0:
            return 0.0
        return (self.loiter_last_ts - self.loiter_start_ts) / 1000.0


class VesselState(SlowSpell):
    """The last accepted fix, reception record and detector sub-states of one MMSI."""

    __slots__ = (
        "class_b", "cov_key", "dark", "dark_closed", "gofast", "gofast_closed_id", "hist", "ident", "last_cog",
        "last_hop", "last_lat", "last_lon", "last_nav", "last_sog", "last_ts", "last_zone", "loiter_last_ts",
        "loiter_start_ts", "mmsi", "n_reports", "prev_lat", "prev_lon", "prev_ts", "rv", "rx_bucket", "rx_heard",
        "rx_missed", "rx_run", "sat_early",
    )

    def __init__(self, mmsi: int) -> None:
        self.mmsi = mmsi
        self.last_ts = -1  # ms; -1 = no fix yet
        self.last_lon = 0.0
        self.last_lat = 0.0
        self.last_sog = -1.0  # kn; -1 = unknown
        self.last_cog = -1.0  # deg; -1 = unknown
        self.last_nav = -1  # navigation status of the last fix; -1 = not given
        self.last_zone: str | None = None
        self.class_b = False  # class B transponder (its reception prior is lower)
        self.n_reports = 0
        self.rx_heard = 0.0  # reception model: buckets the vessel was heard in (decayed) …
        self.rx_missed = 0.0  # … and opportunities it missed between its reports (silence.count_reception)
        self.rx_bucket = -1  # bucket of the last fix
        self.rx_run = 0  # consecutive buckets heard up to rx_bucket
        self.hist: TrackHistory | None = None  # the recent track (satellite matching, evidence)
        self.ident: Identity | None = None  # once a fix the main track cannot take was seen (identity.py)
        self.prev_ts = -1  # the main track's fix before the last one (the identity filter's return test)
        self.prev_lon = 0.0
        self.prev_lat = 0.0
        self.last_hop = False  # the last fix was a hop (≥ id_hop_min_kn over ≥ id_hop_min_m)
        self.loiter_start_ts = -1  # first slow fix of the current slow spell
        self.loiter_last_ts = -1  # last slow fix
        self.gofast: object | None = None  # go_fast.Run while a fast run is under way
        self.gofast_closed_id: str | None = None
        # dark_period.Gap while the vessel is silent past its threshold; False: this silence is settled (port)
        self.dark: object | None = None
        self.dark_closed: list[tuple[str, int, int, str]] | None = None  # (alert_id, start, end, zone) recent
        self.sat_early: list[dict[str, object]] | None = None  # detections matched in a not yet alerted silence
        self.cov_key = -1  # coverage (cell, bucket) last recorded for this vessel
        self.rv = False  # the last fix passed on to the rendezvous stage was a candidate (streaming stage 1)

    def __getstate__(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state: dict[str, object]) -> None:
        for k, v in state.items():
            setattr(self, k, v)

    def flagged(self, ts_ms: int) -> bool:
        """The MMSI has an identity anomaly (shared by several transmitters): it raises nothing else."""
        ident = self.ident
        return ident is not None and ident.flagged(ts_ms)



@dataclass(frozen=True, slots=True)
class VesselStatic:
    """A vessel's static data merged so far (immutable: a change is a new object)."""

    name: str | None = None
    call_sign: str | None = None
    imo: int | None = None
    ship_type: int | None = None
    length_m: float | None = None


_IDENTITY_HISTORY = 4  # identity changes remembered per MMSI (a late satellite scene names vessels as they were)


class IdentityBook:
    """Static data per MMSI merged across types 5 / 24A / 24B (later non-empty values win), with the last few
    changes and when they happened (``identity_as_of``)."""

    __slots__ = ("_by_mmsi", "_changes")

    def __init__(self) -> None:
        self._by_mmsi: dict[int, VesselStatic] = {}
        self._changes: dict[int, list[tuple[int, VesselStatic]]] = {}

    def update(self, s: StaticVesselData, at_ms: int | None = None) -> bool:
        """Merge (``at_ms``: when it applies, default its own time); returns True when something changed."""
        old = self._by_mmsi.get(s.mmsi) or VesselStatic()
        length = s.length_m if s.length_m else old.length_m
        new = VesselStatic(
            name=(s.name or "").strip() or old.name, call_sign=(s.call_sign or "").strip() or old.call_sign,
            imo=s.imo or old.imo, ship_type=s.ship_type if s.ship_type else old.ship_type, length_m=length)
        if new == old and s.mmsi in self._by_mmsi:
            return False
        self._by_mmsi[s.mmsi] = new
        changes = self._changes.setdefault(s.mmsi, [])
        changes.append((s.ts_ms if at_ms is None else at_ms, new))
        if len(changes) > _IDENTITY_HISTORY:
            del changes[0]
        return True

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
        return self._identity(mmsi, self._by_mmsi.get(mmsi))

    def identity_as_of(self, mmsi: int, t_ms: int) -> VesselIdentity:
        """The identity the vessel had declared before ``t_ms`` (as far as the last few changes tell)."""
        changes = self._changes.get(mmsi)
        if not changes:
            return self.identity(mmsi)
        known = [s for at, s in changes if at < t_ms]
        return self._identity(mmsi, known[-1] if known else None)

    @staticmethod
    def _identity(mmsi: int, s: VesselStatic | None) -> VesselIdentity:
        s = s or VesselStatic()
        return VesselIdentity(mmsi=mmsi, name=s.name, call_sign=s.call_sign, imo=s.imo,
                              flag=flag_from_mmsi(mmsi), ship_type=s.ship_type, length_m=s.length_m)
