"""A mother-ship rendezvous far offshore between Madeira and the Canaries (satellite AIS only): a fish
carrier drifting at ~1 kn is joined by a smaller vessel that stays 120–300 m off her for 2.5–3.5 h.
"""

from __future__ import annotations

from services.simulate.background import fishing_fleet, lane_traffic
from services.simulate.context import ScenarioContext
from services.simulate.geodesy import destination
from services.simulate.track import TrackBuilder

__all__ = ["offshore_rendezvous"]


def offshore_rendezvous(ctx: ScenarioContext) -> None:
    lane_traffic(ctx, "canaries_southbound", 3)
    lane_traffic(ctx, "canaries_northbound", 3)
    fishing_fleet(ctx, [(31.60, -14.80), (30.40, -16.20)])
    r = ctx.rng
    mother = ctx.vessel(r.choice((667, 671, 613)), "A", r.choice((70, 30, 79)), float(r.randint(70, 110)))
    daughter = ctx.vessel(r.choice((242, 224, 999)), "A", r.choice((30, 37, None)), float(r.randint(14, 24)))
    lat, lon = 31.00 + r.uniform(-0.3, 0.3), -15.50 + r.uniform(-0.3, 0.3)
    drift = r.uniform(0, 360)
    m = TrackBuilder(ctx.start_ms - 600_000, lat, lon).sail_for(drift, r.uniform(0.6, 1.4),
                                                                (ctx.end_ms - ctx.start_ms) / 1000 + 1200)
    mtrack = m.build()
    ctx.add("mother", mother, mtrack)
    t_meet = ctx.at(r.uniform(1.2, 1.8))
    t_leave = t_meet + int(r.uniform(2.5, 3.5) * 3_600_000)
    side, offset = r.uniform(0, 360), r.uniform(120, 300)
    pts = mtrack.follow_points(t_meet, t_leave, side, offset)
    approach_bearing = r.uniform(0, 360)
    sog_in = r.uniform(9.0, 12.0)
    start_lat, start_lon = destination(pts[0][1], pts[0][2], approach_bearing, 30_000.0)
    d = TrackBuilder(t_meet - int(30_000.0 / (sog_in * 1852 / 3600) * 1000), start_lat, start_lon)
    for t, la, lo in pts:
        if t > d.t_ms:
            d.reach(la, lo, t)
    d.sail_for(r.uniform(0, 360), r.uniform(9.0, 14.0), max(600.0, (ctx.end_ms - t_leave) / 1000 + 600))
    ctx.add("daughter", daughter, d.build())
    mid = mtrack.state_at((t_meet + t_leave) // 2)
    assert mid is not None
    ctx.event("rendezvous", (mother.mmsi, daughter.mmsi), t_meet, t_leave, mid.lat, mid.lon,
              "mother ship and daughter 120–300 m apart, both < 3 kn, 300 km offshore (satellite AIS only)")
