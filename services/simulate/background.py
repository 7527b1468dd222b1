"""Background traffic: merchant ships on the lanes and fishing vessels working their grounds.

Merchant ships (cargo 70–79, tankers 80–89, class A, 100–300 m) are spread along a lane at the
scenario start and sail it at 10–16 kn for the whole scenario (never ending mid-sea, which would look
like a dark period). Fishing vessels (type 30, status 7) trawl slowly (2.5–4 kn) in zigzags around
their own spot; spots are kept ≥ 6 km apart so that they never look like a rendezvous.
"""

from __future__ import annotations

from services.simulate.latlon_geodesy import KN_TO_MPS, bearing_deg, destination, distance_m
from services.simulate.model import Actor
from services.simulate.places import LANES
from services.simulate.scenario_context import ScenarioContext
from services.simulate.trajectory import NAV_FISHING, TrackBuilder

__all__ = ["fishing_fleet", "lane_length_m", "lane_point", "lane_track", "lane_traffic"]

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


def lane_length_m(lane: tuple[tuple[float, float], ...]) -> float:
    return sum(distance_m(*lane[i], *lane[i + 1]) for i in range(len(lane) - 1))


def lane_track(ctx: ScenarioContext, lane_name: str, along_m: float, sog_kn: float) -> TrackBuilder:
    """A track sailing the lane from ``along_m`` metres along it (at the scenario start − 10 min) to its end."""
    lane = LANES[lane_name]
    idx, lat, lon = lane_point(lane, along_m)
    b = TrackBuilder(ctx.start_ms - 600_000, lat, lon)
    for wlat, wlon in lane[idx:]:
        b.sail_to(wlat, wlon, sog_kn)
    return b


def lane_traffic(ctx: ScenarioContext, lane_name: str, n: int) -> list[Actor]:
    """``n`` ships (scaled by ``ctx.background_scale``, at least one) sailing the lane."""
    n = max(1, round(n * ctx.background_scale))
    lane = LANES[lane_name]
    total = lane_length_m(lane)
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


def fishing_fleet(ctx: ScenarioContext, spots: list[tuple[float, float]], *, radius_m: float = 1200.0,
                  min_spacing_m: float = 6000.0, class_b: tuple[int, ...] = (), key: str = "bg-fishing") -> list[Actor]:
    """One vessel per spot, trawling within ``radius_m`` of it; those whose index is in ``class_b`` are
    small class B boats (12–15 m). Spots closer than ``min_spacing_m`` are refused (two vessels are then
    always ≥ ``min_spacing_m − 2·radius_m`` apart)."""
    for i in range(len(spots)):
        for j in range(i + 1, len(spots)):
            if distance_m(*spots[i], *spots[j]) < min_spacing_m:
                raise ValueError(f"fishing spots closer than {min_spacing_m:.0f} m")
    actors = []
    for i, (lat, lon) in enumerate(spots):
        if i in class_b:
            spec = ctx.vessel(ctx.rng.choice((224, 263, 242)), "B", 30, float(ctx.rng.randint(12, 15)))
        else:
            spec = ctx.vessel(ctx.rng.choice((224, 263, 242)), "A", 30, float(ctx.rng.randint(15, 35)))
        sog = ctx.rng.uniform(2.5, 4.0)
        heading = ctx.rng.uniform(0, 360)
        b = TrackBuilder(ctx.start_ms - 600_000, lat, lon)
        while b.t_ms < ctx.end_ms + 600_000:
            heading = (heading + 180 + ctx.rng.uniform(-30, 30)) % 360
            la, lo = destination(lat, lon, heading, radius_m)
            b.sail_to(la, lo, sog, NAV_FISHING)
        actors.append(ctx.add(f"{key}-{i}", spec, b.build()))
    return actors
