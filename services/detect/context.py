"""What the detectors share: the alert book, vessel identities, ports and the parameters per zone."""

from __future__ import annotations

import math
from dataclasses import dataclass

from geo.ports import PortIndex
from geo.zones import ZoneIndex
from services.detect.alerts import AlertBook
from services.detect.params import ParamSet
from services.detect.track import IdentityBook

__all__ = ["DetectContext"]


@dataclass(slots=True)
class DetectContext:
    zones: ZoneIndex
    ports: PortIndex
    params: ParamSet
    book: AlertBook
    identities: IdentityBook

    def coast_distance_m(self, lon: float, lat: float) -> float:
        """Metres to the nearest curated port/anchorage at any range (a coastline proxy, rarely called)."""
        best = math.inf
        for p in self.ports.ports:
            best = min(best, p.distance_m(lon, lat))
        return best
