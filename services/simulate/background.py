"""Background traffic: merchant ships on the lanes and fishing vessels working their grounds.

Merchant ships (cargo 70–79, tankers 80–89, class A, 100–300 m) are spread along a lane at the
scenario start and sail it at 10–16 kn for the whole scenario (never ending mid-sea, which would look
like a dark period). Fishing vessels (type 30, status 7) trawl slowly (2.5–4 kn) in zigzags around
their own spot; spots are kept ≥ 6 km apart so that they never look like a rendezvous.
"""

from __future__ import annotations

from services.simulate.context import ScenarioContext
from services.simulate.geodesy import KN_TO_MPS, bearing_deg, destination, distance_m
from services.simulate.model import Actor
from services.simulate.places import LANES
from services.simulate.track import NAV_FISHING, TrackBuilder

__all__ = ["fishing_fleet", "lane_point", "lane_traffic"]

_MERCHANT_MIDS = (352, 636, 538, 248, 229, 255, 477, 563, 224, 263)


def lane_point(lane: tuple[tuple[float, float], ...], along_m: float) -> tuple[int, float, float]:
    """(index of the next waypoint, lat, lon) at ``along_m`` metres along the lane."""
    for i in range(len(lane) - 1):
        (la1, lo1), (la2, lo2) = lane[i], lane[i + 1]
        seg = distance_m(la1, lo1, la2, lo2)
        if along_m <= seg:
            lat, lon = destination(la1, lo1, bearing_deg(la1, lo1, la2, lo2), along_m)
            return i + 1, lat, lon
        along_m -= seg
    return len(lane) - 1, lane[-1][0], lane[-1][1]


def _lane_length_m(lane: tuple[tuple[float, float], ...]) -> float:
    return sum(distance_m(*lane[i], *lane[i + 1]) for i in range(len(lane) - 1))


def lane_traffic(ctx: ScenarioContext, lane_name: str, n: int) -> list[Actor]:
    """``n`` ships (scaled by ``ctx.background_scale``, at least one) sailing the lane."""
    n = max(1, round(n * ctx.background_scale))
    lane = LANES[lane_name]
    total = _lane_length_m(lane)
    hours = (ctx.end_ms - ctx.start_ms) / 3_600_000 + 0.5
    actors = []
    for i in range(n):
        sog = ctx.rng.uniform(10.0, 16.0)
        room = max(0.0, total - sog * KN_TO_MPS * hours * 3600)
        idx, lat, lon = lane_point(lane, ctx.rng.uniform(0.0, room))
        tanker = ctx.rng.random() < 0.35
        spec = ctx.vessel(ctx.rng.choice(_MERCHANT_MIDS), "A", ctx.rng.randint(80, 89) if tanker
                          else ctx.rng.randint(70, 79), float(ctx.rng.randint(100, 300)))
        b = TrackBuilder(ctx.start_ms - 600_000, lat, lon)
        for wlat, wlon in lane[idx:]:
            b.sail_to(wlat + ctx.rng.uniform(-0.01, 0.01), wlon, sog)
        actors.append(ctx.add(f"bg-{lane_name}-{i}", spec, b.build()))
    return actors


def fishing_fleet(ctx: ScenarioContext, spots: list[tuple[float, float]]) -> list[Actor]:
    for i in range(len(spots)):
        for j in range(i + 1, len(spots)):
            if distance_m(*spots[i], *spots[j]) < 6000:
                raise ValueError("fishing spots closer than 6 km")
    actors = []
    for i, (lat, lon) in enumerate(spots):
        spec = ctx.vessel(ctx.rng.choice((224, 263, 242)), "A", 30, float(ctx.rng.randint(15, 35)))
        sog = ctx.rng.uniform(2.5, 4.0)
        heading = ctx.rng.uniform(0, 360)
        b = TrackBuilder(ctx.start_ms - 600_000, lat, lon)
        while b.t_ms < ctx.end_ms + 600_000:
            heading = (heading + 180 + ctx.rng.uniform(-30, 30)) % 360
            la, lo = destination(lat, lon, heading, 1200.0)
            b.sail_to(la, lo, sog, NAV_FISHING)
        actors.append(ctx.add(f"bg-fishing-{i}", spec, b.build()))
    return actors
