"""Satellite-only evidence: a dark rendezvous in the Alboran Sea (an AIS fishing vessel loitering with a
boat that has no AIS 300–800 m away, seen by one SAR scene), a dark vessel in the Gulf of Cadiz (a SAR
detection more than 8 km from where any AIS vessel was, ~100 km from the nearest shore receiver) and
one off Peniche, 15–50 km from the coast in shore-receiver range among lane and fishing traffic.
"""

from __future__ import annotations

from services.simulate.background import fishing_fleet, lane_traffic
from services.simulate.latlon_geodesy import destination, distance_m
from services.simulate.model import VesselSpec
from services.simulate.sar import detection_id
from services.simulate.scenario_context import ScenarioContext
from services.simulate.trajectory import NAV_FISHING, TrackBuilder

__all__ = ["coastal_dark_vessel", "dark_rendezvous", "dark_vessel"]


def dark_rendezvous(ctx: ScenarioContext) -> None:
    lane_traffic(ctx, "strait_eastbound", 4)
    lane_traffic(ctx, "strait_westbound", 4)
    r = ctx.rng
    spec = ctx.vessel(r.choice((224, 242)), "A", 30, float(r.randint(20, 30)))
    lat, lon = 36.50 + r.uniform(-0.05, 0.05), -4.00 + r.uniform(-0.08, 0.08)
    b = TrackBuilder(ctx.start_ms - 600_000, lat, lon)
    t_meet = ctx.at(r.uniform(1.5, 2.5))
    t_leave = t_meet + int(r.uniform(1.2, 2.0) * 3_600_000)
    while b.t_ms < t_meet - 600_000:  # loiter, fishing, 1–2.5 kn
        la, lo = destination(lat, lon, r.uniform(0, 360), r.uniform(300, 800))
        b.sail_to(la, lo, r.uniform(1.0, 2.5), NAV_FISHING)
    drift = r.uniform(0, 360)
    b.sail_for(drift, r.uniform(0.5, 1.2), (t_leave - b.t_ms) / 1000 + 600, NAV_FISHING)
    b.sail_for(r.uniform(0, 360), 2.0, max(600.0, (ctx.end_ms - b.t_ms) / 1000 + 600), NAV_FISHING)
    track = b.build()
    ctx.add("loiterer", spec, track, sar_detect_p=1.0)
    pts = track.follow_points(t_meet, t_leave, r.uniform(0, 360), r.uniform(300, 800))
    d = TrackBuilder(t_meet - 1_800_000, *destination(pts[0][1], pts[0][2], r.uniform(150, 210), 15_000.0))
    for t, la, lo in pts:
        d.reach(la, lo, t)
    d.sail_for(r.uniform(150, 210), 18.0, max(600.0, (ctx.end_ms - t_leave) / 1000 + 600))
    dark = ctx.add("dark-boat", VesselSpec(0, "A", length_m=float(r.randint(12, 18))), d.build(),
                   transmits=False, sar_detect_p=1.0)
    t_scene = t_meet + int(r.uniform(0.3, 0.9) * (t_leave - t_meet))
    st = track.state_at(t_scene)
    assert st is not None
    scene = ctx.scene(t_scene, 36.05, 36.90, -4.70, -3.30)
    ctx.event("dark_rendezvous", (spec.mmsi,), t_meet, t_leave, st.lat, st.lon,
              "no-AIS boat 300–800 m from a loitering fishing vessel, one SAR scene",
              detection_id=detection_id(scene.scene_id, dark.key))


def dark_vessel(ctx: ScenarioContext) -> None:
    ais = lane_traffic(ctx, "portugal_southbound", 4) + lane_traffic(ctx, "portugal_northbound", 4)
    r = ctx.rng
    t_scene = ctx.at(r.uniform(2.0, 4.0))
    for _ in range(50):
        lat, lon = 36.05 + r.uniform(-0.3, 0.2), -7.60 + r.uniform(-0.5, 0.5)
        near = min(distance_m(lat, lon, s.lat, s.lon) for a in ais if (s := a.track.state_at(t_scene)))
        if near > 8000:
            break
    else:
        raise RuntimeError("no place for the dark vessel")
    heading, sog = r.uniform(20, 70), r.uniform(8.0, 15.0)
    before = (t_scene - ctx.start_ms) / 1000 + 600
    start = destination(lat, lon, (heading + 180) % 360, sog * 1852 / 3600 * before)
    b = TrackBuilder(ctx.start_ms - 600_000, *start).sail_for(heading, sog, before + 3600)
    dark = ctx.add("dark-vessel", VesselSpec(0, "A", length_m=float(r.randint(15, 35))), b.build(),
                   transmits=False, sar_detect_p=1.0)
    scene = ctx.scene(t_scene, 35.60, 36.80, -8.40, -6.80)
    ctx.event("dark_vessel", (), t_scene, t_scene, lat, lon, "SAR detection > 8 km from any AIS vessel",
              detection_id=detection_id(scene.scene_id, dark.key))


def coastal_dark_vessel(ctx: ScenarioContext) -> None:
    ais = lane_traffic(ctx, "portugal_southbound", 4) + lane_traffic(ctx, "portugal_northbound", 4)
    ais += fishing_fleet(ctx, [(39.25, -9.55), (39.78, -9.45)])
    r = ctx.rng
    t_scene = ctx.at(r.uniform(2.0, 4.0))
    for _ in range(100):
        lat, lon = 39.55 + r.uniform(-0.15, 0.15), -9.65 + r.uniform(-0.08, 0.08)
        near = min(distance_m(lat, lon, s.lat, s.lon) for a in ais if (s := a.track.state_at(t_scene)))
        if near > 9000 and ctx.world.reception.in_terrestrial_range(lat, lon):
            break
    else:
        raise RuntimeError("no place for the coastal dark vessel")
    heading, sog = (r.uniform(-20, 20) + r.choice((0, 180))) % 360, r.uniform(15.0, 25.0)  # along the coast
    start = destination(lat, lon, (heading + 180) % 360, sog * 1852 / 3600 * 2400)
    b = TrackBuilder(t_scene - 2_400_000, *start).sail_for(heading, sog, 2400 + 3600)
    dark = ctx.add("dark-vessel", VesselSpec(0, "A", length_m=float(r.randint(10, 16))), b.build(),
                   transmits=False, sar_detect_p=1.0)
    scene = ctx.scene(t_scene, 38.90, 40.10, -10.40, -9.10)
    ctx.event("dark_vessel", (), t_scene, t_scene, lat, lon,
              "fast boat without AIS off Peniche, > 8 km from any AIS vessel, in shore-receiver range",
              detection_id=detection_id(scene.scene_id, dark.key))
