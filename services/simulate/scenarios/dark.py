"""Dark periods: AIS switched off for 4–5 h offshore west of Portugal, and 80–110 min in the Strait,
both where coverage is good (shore receivers in range, other vessels heard near the last position).
"""

from __future__ import annotations

from services.simulate.background import fishing_fleet, lane_traffic
from services.simulate.context import ScenarioContext
from services.simulate.places import LANES
from services.simulate.track import TrackBuilder

__all__ = ["atlantic_dark", "strait_dark"]


def atlantic_dark(ctx: ScenarioContext) -> None:
    lane_traffic(ctx, "portugal_southbound", 4)
    lane_traffic(ctx, "portugal_northbound", 4)
    fishing_fleet(ctx, [(39.00, -9.55), (38.80, -10.05), (38.30, -9.50), (38.60, -9.75)])
    r = ctx.rng
    spec = ctx.vessel(r.choice((667, 671, 341)), "A", r.choice((70, 30, 79)), float(r.randint(40, 90)))
    b = TrackBuilder(ctx.start_ms - 600_000, 39.30, -9.85 + r.uniform(-0.05, 0.05))
    sog = r.uniform(10.0, 13.0)
    b.sail_to(38.70, -9.85, sog).sail_to(37.90, -9.30, sog).sail_to(37.00, -9.25, sog)
    track = b.build()
    t0 = ctx.at(r.uniform(0.8, 1.3))
    t1 = t0 + int(r.uniform(4.0, 5.0) * 3_600_000)
    st = track.state_at(t0)
    assert st is not None
    ctx.add("dark", spec, track, silences=((t0, t1),))
    ctx.event("dark_period", (spec.mmsi,), t0, t1, st.lat, st.lon, "AIS off 4–5 h, 40–60 km off Portugal")


def strait_dark(ctx: ScenarioContext) -> None:
    lane_traffic(ctx, "strait_eastbound", 5)
    lane_traffic(ctx, "strait_westbound", 5)
    r = ctx.rng
    spec = ctx.vessel(r.choice((352, 620, 667)), "A", r.choice((70, 80, 89)), float(r.randint(60, 140)))
    sog = r.uniform(10.0, 13.0)
    b = TrackBuilder(ctx.start_ms - 600_000, 36.22, -4.40)
    for lat, lon in LANES["strait_westbound"][3:]:
        b.sail_to(lat, lon, sog)
    b.sail_to(36.05, -7.50, sog)
    track = b.build()
    t0 = ctx.at(r.uniform(1.0, 1.5))
    t1 = t0 + int(r.uniform(80.0, 110.0) * 60_000)
    st = track.state_at(t0)
    assert st is not None
    ctx.add("dark", spec, track, silences=((t0, t1),))
    ctx.event("dark_period", (spec.mmsi,), t0, t1, st.lat, st.lon, "AIS off 80–110 min entering the Strait")
