"""Dark periods: AIS switched off for 4–5 h offshore west of Portugal, 80–110 min in the Strait, and 2–2.5 h in
the eastern Alboran Sea with a SAR scene seeing the silent ship on her course; all where coverage is good
(shore receivers in range, other vessels heard near where she should be).
"""

from __future__ import annotations

from services.simulate.background import fishing_fleet, lane_traffic
from services.simulate.places import LANES
from services.simulate.sar import detection_id
from services.simulate.scenario_context import ScenarioContext
from services.simulate.trajectory import TrackBuilder

__all__ = ["atlantic_dark", "dark_sar", "strait_dark"]


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


def dark_sar(ctx: ScenarioContext) -> None:
    """A ship heading south-west from off Almería switches AIS off for 2–2.5 h (threshold 1 h there); a SAR
    scene 1.5 h into the silence sees her where dead reckoning puts her. The detection is evidence on the
    dark period — not an unidentified (dark) vessel."""
    lane_traffic(ctx, "strait_eastbound", 4)
    lane_traffic(ctx, "strait_westbound", 4)
    fishing_fleet(ctx, [(36.55, -2.45), (36.40, -2.75), (36.22, -2.55), (36.35, -3.05)])
    r = ctx.rng
    spec = ctx.vessel(r.choice((620, 667, 352)), "A", r.choice((30, 70, 79)), float(r.randint(30, 70)))
    b = TrackBuilder(ctx.start_ms - 600_000, 36.62 + r.uniform(-0.04, 0.04), -2.05 + r.uniform(-0.04, 0.04))
    b.sail_for(r.uniform(240.0, 250.0), r.uniform(9.0, 11.0), (ctx.end_ms - ctx.start_ms) / 1000 + 1200)
    track = b.build()
    t0 = ctx.at(r.uniform(0.8, 1.2))
    t1 = t0 + int(r.uniform(2.0, 2.5) * 3_600_000)
    t_scene = t0 + int(1.5 * 3_600_000)
    st0, seen = track.state_at(t0), track.state_at(t_scene)
    assert st0 is not None and seen is not None
    ship = ctx.add("dark-seen", spec, track, silences=((t0, t1),), sar_detect_p=1.0)
    scene = ctx.scene(t_scene, seen.lat - 0.25, seen.lat + 0.25, seen.lon - 0.3, seen.lon + 0.3)
    det = detection_id(scene.scene_id, ship.key)
    ctx.event("dark_period", (spec.mmsi,), t0, t1, st0.lat, st0.lon,
              "AIS off 2–2.5 h east of the Alboran Sea; a SAR scene sees her on her course", detection_id=det)
    ctx.event("dark_vessel", (), t_scene, t_scene, seen.lat, seen.lon,
              "the silent ship seen by SAR is a known vessel in its dark period, not a dark vessel",
              detection_id=det, decoy=True)
