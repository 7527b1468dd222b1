"""Satellite-only evidence far offshore: a dark rendezvous west of the Azores–Madeira line (a longliner
known only from sparse satellite fixes, a pass every 30–60 min, loitering with a boat that has no AIS
300–800 m away, seen by one SAR scene) and a dark vessel in the open western Mediterranean (a SAR
detection 12–25 km from the nearest AIS ship, whose own fixes come only from satellite passes).
"""

from __future__ import annotations

from services.simulate.background import fishing_fleet, lane_length_m, lane_track, lane_traffic
from services.simulate.latlon_coast import distance_to_land_m
from services.simulate.latlon_geodesy import KN_TO_MPS, destination, distance_m
from services.simulate.model import VesselSpec
from services.simulate.places import LANES
from services.simulate.sar import detection_id
from services.simulate.scenario_context import ScenarioContext
from services.simulate.trajectory import NAV_FISHING, TrackBuilder

__all__ = ["offshore_dark_rendezvous", "offshore_dark_vessel"]


def offshore_dark_rendezvous(ctx: ScenarioContext) -> None:
    r = ctx.rng
    lat, lon = 38.5 + r.uniform(-0.2, 0.2), -21.5 + r.uniform(-0.3, 0.3)
    fishing_fleet(ctx, [(lat + 0.2, lon - 0.25), (lat - 0.25, lon + 0.2)])
    spec = ctx.vessel(r.choice((224, 263, 620)), "A", 30, float(r.randint(25, 40)))
    b = TrackBuilder(ctx.start_ms - 600_000, lat, lon)
    t_meet = ctx.at(r.uniform(1.5, 2.5))
    t_leave = t_meet + int(r.uniform(1.5, 2.5) * 3_600_000)
    while b.t_ms < t_meet - 600_000:  # loiter, working the line, 1–2.5 kn
        la, lo = destination(lat, lon, r.uniform(0, 360), r.uniform(300, 800))
        b.sail_to(la, lo, r.uniform(1.0, 2.5), NAV_FISHING)
    b.sail_for(r.uniform(0, 360), r.uniform(0.5, 1.2), (t_leave - b.t_ms) / 1000 + 600, NAV_FISHING)
    b.sail_for(r.uniform(0, 360), 2.0, max(600.0, (ctx.end_ms - b.t_ms) / 1000 + 600), NAV_FISHING)
    track = b.build()
    ctx.add("loiterer", spec, track, sar_detect_p=1.0)
    pts = track.follow_points(t_meet, t_leave, r.uniform(0, 360), r.uniform(300, 800))
    d = TrackBuilder(t_meet - 3_600_000, *destination(pts[0][1], pts[0][2], r.uniform(0, 360), 25_000.0))
    for t, la, lo in pts:
        d.reach(la, lo, t)
    d.sail_for(r.uniform(0, 360), 16.0, max(600.0, (ctx.end_ms - t_leave) / 1000 + 600))
    dark = ctx.add("dark-boat", VesselSpec(0, "A", length_m=float(r.randint(14, 22))), d.build(),
                   transmits=False, sar_detect_p=1.0)
    t_scene = t_meet + int(r.uniform(0.3, 0.8) * (t_leave - t_meet))
    st = track.state_at(t_scene)
    assert st is not None
    scene = ctx.scene(t_scene, st.lat - 0.3, st.lat + 0.3, st.lon - 0.4, st.lon + 0.4)
    ctx.event("dark_rendezvous", (spec.mmsi,), t_meet, t_leave, st.lat, st.lon,
              "no-AIS boat 300–800 m from a longliner known only by satellite AIS, one SAR scene",
              detection_id=detection_id(scene.scene_id, dark.key))


def offshore_dark_vessel(ctx: ScenarioContext) -> None:
    ais = lane_traffic(ctx, "med_eastbound", 4) + lane_traffic(ctx, "med_westbound", 4)
    r = ctx.rng
    t_scene = ctx.at(r.uniform(2.0, 4.0))
    lane = LANES["med_eastbound"]
    sog = r.uniform(11.0, 14.0)
    at_scene_m = lane_length_m(lane[:2]) + r.uniform(-60_000, 60_000)  # near 5° E at the scene time
    along_m = at_scene_m - sog * KN_TO_MPS * (t_scene - ctx.start_ms + 600_000) / 1000
    spec = ctx.vessel(r.choice((636, 538, 229)), "A", r.choice((70, 80)), float(r.randint(120, 280)))
    ais.append(ctx.add("witness", spec, lane_track(ctx, "med_eastbound", along_m, sog).build()))
    witness = ais[-1].track.state_at(t_scene)
    assert witness is not None
    for _ in range(100):
        lat, lon = destination(witness.lat, witness.lon, r.uniform(-40, 40) % 360, r.uniform(12_000, 25_000))
        near = min(distance_m(lat, lon, s.lat, s.lon) for a in ais if (s := a.track.state_at(t_scene)))
        if near > 11_000 and distance_to_land_m(lat, lon) > 90_000:
            break
    else:
        raise RuntimeError("no place for the offshore dark vessel")
    heading, dsog = r.uniform(0, 360), r.uniform(8.0, 15.0)
    before = (t_scene - ctx.start_ms) / 1000 + 600
    start = destination(lat, lon, (heading + 180) % 360, dsog * KN_TO_MPS * before)
    b = TrackBuilder(ctx.start_ms - 600_000, *start).sail_for(heading, dsog, before + 3600)
    dark = ctx.add("dark-vessel", VesselSpec(0, "A", length_m=float(r.randint(15, 35))), b.build(),
                   transmits=False, sar_detect_p=1.0)
    scene = ctx.scene(t_scene, lat - 0.6, lat + 0.6, lon - 0.8, lon + 0.8)
    ctx.event("dark_vessel", (), t_scene, t_scene, lat, lon,
              "SAR detection in the open western Mediterranean, > 10 km from any AIS vessel (satellite AIS only)",
              detection_id=detection_id(scene.scene_id, dark.key))
