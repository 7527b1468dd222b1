"""What the detectors share: the alert book, vessel identities, zones, ports, coastline and the parameters per zone."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from geo.coast import CoastDistance
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
    coast: CoastDistance
    # decisions explained, for reviews (``msa review``): None in production (nothing recorded, no cost)
    trace: list[dict[str, Any]] | None = None

    def landing_distance_m(self, lon: float, lat: float) -> float:
        """Metres to the nearest port or anchorage at any range (curated, world or inferred): where a go-fast
        runs to. Rarely called (a sprint's start and end)."""
        port, d = self.ports.nearest(lon, lat)
        if port is not None:
            return d
        return min((p.distance_m(lon, lat) for p in self.ports.ports), default=math.inf)
