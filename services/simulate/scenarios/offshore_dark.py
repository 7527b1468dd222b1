"""Dark periods far offshore (satellite AIS only): two ships and a class B boat 250–350 km west of
Portugal (Atlantic approaches, a satellite pass every 5–60 min) switch AIS off.

The class A ships go silent for 2–3.5 h (a class A ship is heard on nearly every pass there, so that is
improbable); the class B boat, heard by a satellite on a twentieth of her transmissions, for 5.5–6 h after
3–3.5 h of being heard (at 5–7 kn she sends every 30 s: a pass misses her about one time in three, nine
misses in a row about once in 30,000 — but a detector must first learn that from the passes it heard her
on). Lane traffic and fishing vessels around them are heard by the same passes. A SAR scene 1–1.5 h
into the second ship's silence sees her where dead reckoning puts her: the detection is evidence on her
dark period, not a dark vessel (a decoy).
"""

from __future__ import annotations

from services.simulate.background import fishing_fleet, lane_traffic
from services.simulate.sar import detection_id
from services.simulate.scenario_context import ScenarioContext
from services.simulate.trajectory import TrackBuilder

__all__ = ["offshore_dark"]


def offshore_dark(ctx: ScenarioContext) -> None:
    lane_traffic(ctx, "iberia_offshore_northbound", 4)
    lane_traffic(ctx, "iberia_offshore_southbound", 4)
    fishing_fleet(ctx, [(41.30, -12.40), (41.60, -13.30), (41.90, -12.75), (42.25, -13.10)])
    r = ctx.rng
    span_s = (ctx.end_ms - ctx.start_ms) / 1000 + 1200
    for i in range(2):
        spec = ctx.vessel(r.choice((667, 352, 636)), "A", r.choice((70, 79, 30)), float(r.randint(40, 120)))
        b = TrackBuilder(ctx.start_ms - 600_000, 40.85 + 0.3 * i + r.uniform(0.0, 0.1), -12.85 + r.uniform(-0.1, 0.1))
        track = b.sail_for(r.uniform(-8.0, 8.0) % 360, r.uniform(10.0, 12.5), span_s).build()
        t0 = ctx.at(r.uniform(1.0, 2.0) if i == 0 else r.uniform(2.0, 3.0))
        t1 = t0 + int(r.uniform(2.0, 3.5) * 3_600_000)
        st = track.state_at(t0)
        assert st is not None
        if i == 0:
            ctx.add(f"dark-{i}", spec, track, silences=((t0, t1),))
            ctx.event("dark_period", (spec.mmsi,), t0, t1, st.lat, st.lon,
                      "class A AIS off 2–3.5 h, 300 km west of Portugal (satellite AIS only)")
            continue
        ship = ctx.add(f"dark-{i}", spec, track, silences=((t0, t1),), sar_detect_p=1.0)
        t_scene = t0 + int(r.uniform(1.0, 1.5) * 3_600_000)
        seen = track.state_at(t_scene)
        assert seen is not None
        scene = ctx.scene(t_scene, seen.lat - 0.25, seen.lat + 0.25, seen.lon - 0.3, seen.lon + 0.3)
        det = detection_id(scene.scene_id, ship.key)
        ctx.event("dark_period", (spec.mmsi,), t0, t1, st.lat, st.lon,
                  "class A AIS off 2–3.5 h offshore; a SAR scene sees her on her course", detection_id=det)
        ctx.event("dark_vessel", (), t_scene, t_scene, seen.lat, seen.lon,
                  "the silent ship seen by SAR offshore is a known vessel in its dark period, not a dark vessel",
                  detection_id=det, decoy=True)
    spec = ctx.vessel(r.choice((224, 263, 235)), "B", r.choice((36, 37, 30)), float(r.randint(11, 14)))
    b = TrackBuilder(ctx.start_ms - 600_000, 42.05 + r.uniform(-0.05, 0.05), -12.05 + r.uniform(-0.1, 0.1))
    track = b.sail_for(r.uniform(200.0, 220.0), r.uniform(5.0, 7.0), span_s).build()
    t0 = ctx.at(r.uniform(3.0, 3.5))  # heard for hours first: a silence says little of a vessel barely known
    t1 = t0 + int(r.uniform(5.5, 6.0) * 3_600_000)
    st = track.state_at(t0)
    assert st is not None
    ctx.add("dark-b", spec, track, silences=((t0, t1),))
    ctx.event("dark_period", (spec.mmsi,), t0, t1, st.lat, st.lon,
              "class B AIS off 5.5–6 h at 5–7 kn after 3 h heard by satellites, 250 km west of Galicia")
