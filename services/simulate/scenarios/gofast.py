"""Go-fast runs: a loiter off Morocco then a 40–55 kn sprint across the Alboran Sea to the Spanish coast;
a 38–50 kn run from offshore to the Algarve coast by an unidentified class A craft (no static data); and
a 35–45 kn run far offshore in the Atlantic approaches, heard only by satellite passes.
"""

from __future__ import annotations

from services.simulate.background import fishing_fleet, lane_traffic
from services.simulate.latlon_geodesy import destination
from services.simulate.scenario_context import ScenarioContext
from services.simulate.trajectory import NAV_MOORED, TrackBuilder

__all__ = ["alboran_gofast", "algarve_gofast", "offshore_gofast"]

_MIN_PASSES = 2  # the offshore sprint is overheard by at least this many satellite passes (≥ 5 min each)


def alboran_gofast(ctx: ScenarioContext) -> None:
    lane_traffic(ctx, "strait_eastbound", 3)
    lane_traffic(ctx, "strait_westbound", 3)
    fishing_fleet(ctx, [(36.62, -4.20), (35.40, -3.20), (36.60, -2.90)])
    r = ctx.rng
    spec = ctx.vessel(r.choice((224, 242)), "B", r.choice((None, 37, 0)), r.choice((None, 11.0, 12.0, 14.0)),
                      name=r.choice(("", "SEA RAY", "BRAVO")))
    lat, lon = 35.30 + r.uniform(-0.03, 0.03), -3.60 + r.uniform(-0.15, 0.15)
    b = TrackBuilder(ctx.start_ms - 600_000, lat, lon)
    sprint_at = ctx.at(r.uniform(0.7, 1.5))
    while b.t_ms < sprint_at - 1_800_000:  # loiter off the Moroccan coast, 1–2 kn
        la, lo = destination(lat, lon, r.uniform(0, 360), r.uniform(200, 600))
        b.sail_to(la, lo, r.uniform(1.0, 2.0))
    b.hold(max(60.0, (sprint_at - b.t_ms) / 1000), nav_status=0)
    t0, la0, lo0 = b.t_ms, b.lat, b.lon
    land_lat, land_lon = 36.69 + r.uniform(-0.01, 0.01), -3.38 + r.uniform(-0.12, 0.12)
    b.sail_to(land_lat, land_lon, r.uniform(40.0, 55.0))
    t1 = b.t_ms
    la, lo = destination(land_lat, land_lon, 0.0, 1500.0)
    b.sail_to(la, lo, 6.0).hold(max(600.0, (ctx.end_ms - b.t_ms) / 1000 + 600), nav_status=NAV_MOORED)
    ctx.add("gofast", spec, b.build())
    ctx.event("go_fast", (spec.mmsi,), t0, t1, la0, lo0,
              "loiter off Morocco, sprint across the Alboran Sea (located at the first fast fix)")


def algarve_gofast(ctx: ScenarioContext) -> None:
    lane_traffic(ctx, "portugal_southbound", 3)
    lane_traffic(ctx, "portugal_northbound", 3)
    fishing_fleet(ctx, [(36.98, -8.45), (36.95, -7.30)])
    r = ctx.rng
    spec = ctx.vessel(r.choice((224, 263, 999)), "A", None, None, name="")
    lat, lon = 36.45 + r.uniform(-0.05, 0.05), -8.45 + r.uniform(-0.1, 0.1)
    b = TrackBuilder(ctx.start_ms - 600_000, lat, lon)
    sprint_at = ctx.at(r.uniform(0.8, 2.0))
    while b.t_ms < sprint_at - 1_800_000:
        la, lo = destination(lat, lon, r.uniform(0, 360), r.uniform(300, 900))
        b.sail_to(la, lo, r.uniform(1.5, 3.0))
    b.hold(max(60.0, (sprint_at - b.t_ms) / 1000), nav_status=0)
    t0, la0, lo0 = b.t_ms, b.lat, b.lon
    land_lat, land_lon = 37.07 + r.uniform(-0.01, 0.01), -7.62 + r.uniform(-0.1, 0.1)
    b.sail_to(land_lat, land_lon, r.uniform(38.0, 50.0))
    t1 = b.t_ms
    b.sail_for(0.0, 5.0, 600).hold(max(600.0, (ctx.end_ms - b.t_ms) / 1000 + 600), nav_status=NAV_MOORED)
    ctx.add("gofast", spec, b.build(), sends_static=False)
    ctx.event("go_fast", (spec.mmsi,), t0, t1, (la0 + land_lat) / 2, (lo0 + land_lon) / 2,
              "unidentified class A craft, offshore to the Algarve coast")


def offshore_gofast(ctx: ScenarioContext) -> None:
    """An unidentified class A craft (no static data) waits ~380 km south-west of Cape St Vincent (where a
    mother ship would be), runs east at 35–45 kn for 1.2–1.6 h, then waits again (1–3 kn) for the landing
    window, still ~280 km off the coast: the whole run is heard only by satellite passes (Atlantic
    approaches, a pass every 5–60 min; the sprint is chosen under at least two passes)."""
    lane_traffic(ctx, "strait_atlantic_westbound", 3)
    lane_traffic(ctx, "strait_atlantic_eastbound", 3)
    r = ctx.rng
    spec = ctx.vessel(r.choice((224, 263, 999)), "A", None, None, name="")
    lat, lon = 35.45 + r.uniform(-0.05, 0.05), -13.2 + r.uniform(-0.1, 0.1)
    schedule = ctx.passes_over(lat, lon)
    for _ in range(100):
        sprint_at, sprint_s = ctx.at(r.uniform(0.8, 2.5)), r.uniform(1.2, 1.6) * 3600
        heard = [p for p in schedule.passes_between(sprint_at, sprint_at + int(sprint_s * 1000))
                 if min(p[1], sprint_at + sprint_s * 1000) - max(p[0], sprint_at) >= 300_000]
        if len(heard) >= _MIN_PASSES:
            break
    else:
        raise RuntimeError("no sprint window under two satellite passes")
    b = TrackBuilder(ctx.start_ms - 600_000, lat, lon)
    while b.t_ms < sprint_at - 1_800_000:  # loiter where the mother ship was, 1–3 kn
        la, lo = destination(lat, lon, r.uniform(0, 360), r.uniform(300, 900))
        b.sail_to(la, lo, r.uniform(1.0, 3.0))
    b.hold(max(60.0, (sprint_at - b.t_ms) / 1000), nav_status=0)
    t0, la0, lo0 = b.t_ms, b.lat, b.lon
    b.sail_for(r.uniform(70.0, 85.0), r.uniform(35.0, 45.0), sprint_s)
    t1, la1, lo1 = b.t_ms, b.lat, b.lon
    while b.t_ms < ctx.end_ms + 600_000:  # wait for the landing window
        la, lo = destination(la1, lo1, r.uniform(0, 360), r.uniform(300, 900))
        b.sail_to(la, lo, r.uniform(1.0, 3.0))
    ctx.add("gofast", spec, b.build(), sends_static=False)
    ctx.event("go_fast", (spec.mmsi,), t0, t1, la0, lo0,
              "unidentified craft at 35–45 kn for 1.2–1.6 h, 280–380 km offshore (satellite AIS only)")
