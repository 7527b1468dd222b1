"""Rendezvous at sea: a mother ship far offshore between Madeira and the Canaries (satellite AIS only) — a
fish carrier drifting at ~1 kn joined by a smaller vessel that stays 120–300 m off her for 2.5–3.5 h; and
a meeting 20–35 km off the Algarve in shore-receiver range — a fishing vessel and a boat out of Portimão
drifting 100–400 m apart for 1–2 h, seen by a SAR scene (two AIS vessels: not a dark rendezvous).
"""

from __future__ import annotations

from services.simulate.background import fishing_fleet, lane_traffic
from services.simulate.latlon_geodesy import KN_TO_MPS, destination, distance_m
from services.simulate.places import PORTS
from services.simulate.scenario_context import ScenarioContext
from services.simulate.trajectory import NAV_FISHING, NAV_MOORED, TrackBuilder

__all__ = ["coastal_rendezvous", "offshore_rendezvous"]


def offshore_rendezvous(ctx: ScenarioContext) -> None:
    lane_traffic(ctx, "canaries_southbound", 3)
    lane_traffic(ctx, "canaries_northbound", 3)
    fishing_fleet(ctx, [(31.60, -14.80), (30.40, -16.20)])
    r = ctx.rng
    mother = ctx.vessel(r.choice((667, 671, 613)), "A", r.choice((70, 30, 79)), float(r.randint(70, 110)))
    daughter = ctx.vessel(r.choice((242, 224, 999)), "A", r.choice((30, 37, None)), float(r.randint(14, 24)))
    lat, lon = 31.15 + r.uniform(-0.25, 0.25), -15.50 + r.uniform(-0.3, 0.3)  # > 74 km from land (Selvagens)
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
    t0 = ctx.start_ms - 600_000  # she is heard from the start, sailing in from afar
    start_lat, start_lon = destination(pts[0][1], pts[0][2], approach_bearing,
                                       sog_in * KN_TO_MPS * (t_meet - t0) / 1000)
    d = TrackBuilder(t0, start_lat, start_lon)
    for t, la, lo in pts:
        if t > d.t_ms:
            d.reach(la, lo, t)
    d.sail_for(r.uniform(0, 360), r.uniform(9.0, 14.0), max(600.0, (ctx.end_ms - t_leave) / 1000 + 600))
    ctx.add("daughter", daughter, d.build())
    mid = mtrack.state_at((t_meet + t_leave) // 2)
    assert mid is not None
    ctx.event("rendezvous", (mother.mmsi, daughter.mmsi), t_meet, t_leave, mid.lat, mid.lon,
              "mother ship and daughter 120–300 m apart, both < 3 kn, 300 km offshore (satellite AIS only)")


def coastal_rendezvous(ctx: ScenarioContext) -> None:
    lane_traffic(ctx, "portugal_southbound", 3)
    lane_traffic(ctx, "portugal_northbound", 3)
    fishing_fleet(ctx, [(37.00, -8.80), (36.95, -7.68)])
    r = ctx.rng
    fisher = ctx.vessel(r.choice((263, 224)), "A", 30, float(r.randint(18, 28)))
    visitor = ctx.vessel(r.choice((263, 224, 255)), "A", r.choice((37, 31, 52)), float(r.randint(15, 30)))
    lat, lon = 36.80 + r.uniform(-0.03, 0.03), -8.17 + r.uniform(-0.07, 0.07)
    t_meet = ctx.at(r.uniform(2.0, 2.5))
    t_part = t_meet + int(r.uniform(1.0, 2.0) * 3_600_000)
    f = TrackBuilder(ctx.start_ms - 600_000, lat, lon)
    heading = r.uniform(0, 360)
    while f.t_ms < t_meet - 3_600_000:  # trawling around the spot, 2.5–3.5 kn (a leg takes ≤ 40 min)
        heading = (heading + 180 + r.uniform(-30, 30)) % 360
        f.sail_to(*destination(lat, lon, heading, 1500.0), r.uniform(2.5, 3.5), NAV_FISHING)
    f.sail_to(lat, lon, 3.0, NAV_FISHING)
    f.hold((t_meet - f.t_ms) / 1000, nav_status=0)
    f.sail_for(r.uniform(0, 360), r.uniform(0.3, 1.2), (t_part - f.t_ms) / 1000 + 600)
    while f.t_ms < ctx.end_ms + 600_000:
        heading = (heading + 180 + r.uniform(-30, 30)) % 360
        f.sail_to(*destination(f.lat, f.lon, heading, 1500.0), r.uniform(2.5, 3.5), NAV_FISHING)
    ftrack = f.build()
    ctx.add("fisher", fisher, ftrack, sar_detect_p=1.0)
    pts = ftrack.follow_points(t_meet, t_part, r.uniform(0, 360), r.uniform(140, 360))  # ±35 m of swing: 100–400
    port = PORTS["portimao"]
    sog = r.uniform(9.0, 11.0)
    out_s = distance_m(*port, pts[0][1], pts[0][2]) / (sog * KN_TO_MPS)
    v = TrackBuilder(ctx.start_ms - 600_000, *port)
    v.hold((t_meet - out_s * 1000 - v.t_ms) / 1000, nav_status=NAV_MOORED)
    for t, la, lo in pts:
        v.reach(la, lo, t)
    v.sail_to(*port, sog).hold(max(600.0, (ctx.end_ms - v.t_ms) / 1000 + 600), nav_status=NAV_MOORED)
    ctx.add("visitor", visitor, v.build(), sar_detect_p=1.0)
    mid = ftrack.state_at((t_meet + t_part) // 2)
    assert mid is not None
    ctx.event("rendezvous", (fisher.mmsi, visitor.mmsi), t_meet, t_part, mid.lat, mid.lon,
              "fishing vessel and a boat out of Portimão drifting 100–400 m apart, 20–35 km off the Algarve")
    t_scene = t_meet + int(r.uniform(0.3, 0.7) * (t_part - t_meet))
    ctx.scene(t_scene, mid.lat - 0.2, mid.lat + 0.2, mid.lon - 0.25, mid.lon + 0.25)
    ctx.event("dark_rendezvous", (fisher.mmsi, visitor.mmsi), t_meet, t_part, mid.lat, mid.lon,
              "a SAR scene sees both vessels of the meeting, and both transmit AIS: not a dark rendezvous",
              decoy=True)
