"""The state of one pair of vessels for the rendezvous detector: a series of meetings (one alert)."""

from __future__ import annotations

import math

__all__ = ["Pair"]


EVIDENCE_CAP = 120


class Pair:
    """A series of meetings of two vessels (one alert); ``m_start < 0`` between meetings."""

    __slots__ = ("alert_id", "c_first", "c_last", "c_series", "closest_m", "dists", "fixes", "foreign", "joint",
                 "joint_s", "last_a", "last_b", "m_last", "m_start", "meetings", "open_track", "series_start", "sogs_a",
                 "sogs_b", "zone")

    def __init__(self, ts: int, zone: str, centroid: tuple[float, float]) -> None:
        self.zone = zone
        self.series_start = ts
        self.alert_id: str | None = None
        self.c_series = centroid
        self.meetings: list[tuple[int, int]] = []  # finished meetings of the series (start, end)
        self.foreign = False  # followed, but another partition owns and publishes it (streaming stage 2)
        self.joint_s = 0  # longest joint silence bridged in the series (both vessels unheard), seconds
        # evidence: both vessels' fixes while together (ts, mmsi, lon, lat, sog) and the distance between them
        self.fixes: list[tuple[int, int, float, float, float]] = []
        self.dists: list[tuple[int, float]] = []
        self.open_track: list[dict[str, object]] | None = None  # evidence of the open alert: as when raised
        self.begin(ts, centroid)

    def begin(self, ts: int, centroid: tuple[float, float]) -> None:
        self.m_start = self.m_last = ts
        self.c_first = self.c_last = centroid
        self.sogs_a: list[float] = []
        self.sogs_b: list[float] = []
        self.closest_m = math.inf
        self.last_a: tuple[float, float] = centroid
        self.last_b: tuple[float, float] = centroid
        self.joint = False  # both silent since m_last, past the bridge gap: waiting for them to reappear

    def __getstate__(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state: dict[str, object]) -> None:
        for k, v in state.items():
            setattr(self, k, v)

    def record(self, fix: tuple[int, int, float, float, float], d_m: float,
               other: tuple[int, int, float, float, float] | None) -> None:
        """Keep a fix of the meeting (and the other vessel's, at a meeting's start) and the distance then;
        each list thinned to every other item beyond ``EVIDENCE_CAP``."""
        if other is not None:
            self.fixes.append(other)
        self.fixes.append(fix)
        self.dists.append((fix[0], d_m))
        if len(self.fixes) > EVIDENCE_CAP:
            del self.fixes[1::2]
        if len(self.dists) > EVIDENCE_CAP:
            del self.dists[1::2]

    @property
    def active(self) -> bool:
        return self.m_start >= 0
