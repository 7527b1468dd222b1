"""A meeting hidden by a joint silence ~370 km from land, west of Madeira and the Canaries (satellite
AIS only).

A reefer drifting at 0.4–0.9 kn is joined by a fishing boat that comes alongside (100–400 m); 40–60 min
later both switch AIS off together for 5–6 h while drifting together, then reappear together, stay
30–45 min and part. Truth, as Global Fishing Watch would publish it: ONE rendezvous spanning the whole
meeting (from coming alongside to parting), and a dark period for each vessel.
"""

from __future__ import annotations

from services.simulate.background import fishing_fleet
from services.simulate.latlon_geodesy import KN_TO_MPS, destination
from services.simulate.scenario_context import ScenarioContext
from services.simulate.trajectory import TrackBuilder

__all__ = ["joint_silence"]


def joint_silence(ctx: ScenarioContext) -> None:
    r = ctx.rng
    lat, lon = 31.8 + r.uniform(-0.2, 0.2), -21.0 + r.uniform(-0.2, 0.2)
    fishing_fleet(ctx, [(lat + 0.15, lon - 0.2), (lat - 0.2, lon + 0.1), (lat + 0.05, lon + 0.3)])
    carrier = ctx.vessel(r.choice((667, 613, 620)), "A", r.choice((70, 79)), float(r.randint(60, 100)))
    boat = ctx.vessel(r.choice((224, 242, 263)), "A", r.choice((30, 37)), float(r.randint(18, 30)))
    t_meet = ctx.at(r.uniform(0.7, 1.0))
    t_off = t_meet + int(r.uniform(40.0, 60.0) * 60_000)
    t_on = t_off + int(r.uniform(5.0, 6.0) * 3_600_000)
    t_part = t_on + int(r.uniform(30.0, 45.0) * 60_000)
    c = TrackBuilder(ctx.start_ms - 600_000, lat, lon)
    c.sail_for(r.uniform(0, 360), r.uniform(0.4, 0.9), (t_part - c.t_ms) / 1000)
    away = r.uniform(0, 360)  # they part in roughly opposite directions
    c.sail_for(away, r.uniform(9.0, 11.0), max(600.0, (ctx.end_ms - t_part) / 1000 + 600))
    ctrack = c.build()
    pts = ctrack.follow_points(t_meet, t_part, r.uniform(0, 360), r.uniform(100, 400))
    sog_in = r.uniform(8.0, 11.0)
    t0 = ctx.start_ms - 600_000
    d = TrackBuilder(t0, *destination(pts[0][1], pts[0][2], r.uniform(0, 360),
                                      sog_in * KN_TO_MPS * (t_meet - t0) / 1000))
    for t, la, lo in pts:
        d.reach(la, lo, t)
    d.sail_for((away + 180 + r.uniform(-60, 60)) % 360, r.uniform(8.0, 12.0),
               max(600.0, (ctx.end_ms - t_part) / 1000 + 600))
    silence = ((t_off, t_on),)
    ctx.add("carrier", carrier, ctrack, silences=silence)
    ctx.add("boat", boat, d.build(), silences=silence)
    mid = ctrack.state_at((t_meet + t_part) // 2)
    st = ctrack.state_at(t_off)
    assert mid is not None and st is not None
    ctx.event("rendezvous", (carrier.mmsi, boat.mmsi), t_meet, t_part, mid.lat, mid.lon,
              "one meeting 100–400 m apart, both < 1 kn, AIS off together 5–6 h in the middle (satellite AIS only)")
    for spec in (carrier, boat):
        ctx.event("dark_period", (spec.mmsi,), t_off, t_on, st.lat, st.lon,
                  "AIS off 5–6 h together with the vessel alongside")
