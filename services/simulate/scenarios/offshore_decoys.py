"""Offshore decoys — situations in the satellite-only regime that must NOT raise an alert of the named kind.

* ``offshore_sparse``: vessels heard only by satellite passes, transmitting all along — no dark period and
  no identity anomaly. Off West Africa (a pass every 60–110 min) a class A cargo ship and a class B yacht
  (heard on a twentieth of her transmissions); west of the Canaries a ship zigzagging in and out of a
  satellite blackout (never more than ~1 h inside at a time), among ships just outside it, and fishing
  vessels inside it that nobody hears for 5.5 h (a coverage gap, like ``coverage_gap``).
* ``offshore_convoy``: a tug towing a barge 200–400 m astern at 6–9 kn between Madeira and Morocco, and two
  class B yachts sailing together 200–400 m apart at 6–7 kn towards the Canaries (not rendezvous).
* ``offshore_fishing``: a fleet working the Gorringe Bank 230 km off Cape St Vincent, vessels about 1–5 km
  apart and never within 500 m of each other (one a class B), heard by satellite passes (not dark periods, not
  rendezvous); a SAR scene sees them all (every detection is an AIS vessel: no dark vessel, no dark
  rendezvous).
"""

from __future__ import annotations

from services.simulate.background import fishing_fleet, lane_traffic
from services.simulate.latlon_geodesy import KN_TO_MPS, destination
from services.simulate.satcoverage import Blackout
from services.simulate.scenario_context import ScenarioContext
from services.simulate.trajectory import TrackBuilder

__all__ = ["offshore_convoy", "offshore_fishing", "offshore_sparse"]


def offshore_sparse(ctx: ScenarioContext) -> None:
    r = ctx.rng
    span_s = (ctx.end_ms - ctx.start_ms) / 1000 + 1200
    heard: list[int] = []
    sparse = (("cargo", ctx.vessel(r.choice((636, 538, 352)), "A", r.choice((70, 71)), float(r.randint(150, 230))),
               (9.5, -19.5), (325.0, 340.0), (11.0, 13.0)),
              ("yacht", ctx.vessel(r.choice((235, 227, 211)), "B", 36, float(r.randint(12, 14))),
               (8.5, -21.0), (215.0, 230.0), (5.5, 7.0)))
    for key, spec, (lat, lon), course, speed in sparse:
        b = TrackBuilder(ctx.start_ms - 600_000, lat + r.uniform(-0.2, 0.2), lon + r.uniform(-0.2, 0.2))
        track = b.sail_for(r.uniform(*course), r.uniform(*speed), span_s).build()
        ctx.add(key, spec, track)
        heard.append(spec.mmsi)
        at = track.state_at((ctx.start_ms + ctx.end_ms) // 2)
        assert at is not None
        ctx.event("dark_period", (spec.mmsi,), ctx.start_ms, ctx.end_ms, at.lat, at.lon,
                  f"class {spec.ais_class} transmitting all along, heard only by satellite passes every 60–110 min",
                  decoy=True)
    # west of the Canaries: a blackout over a box whose east edge is 19.5° W
    edge_lon = -19.5
    ctx.blackout(Blackout(24.0, 27.0, -23.0, edge_lon, ctx.at(0.5), ctx.at(6.0)))
    edge = ctx.vessel(r.choice((636, 255, 229)), "A", 70, float(r.randint(120, 200)))
    sog = r.uniform(10.0, 12.0)
    b = TrackBuilder(ctx.start_ms - 600_000, 24.3 + r.uniform(0.0, 0.1), edge_lon + 0.12)
    inside = True
    while b.t_ms < ctx.end_ms + 600_000:  # legs of ~45 min, alternately 12 km inside and outside the edge
        inside = not inside
        lat = b.lat + sog * KN_TO_MPS * 2700 / 111_000
        b.sail_to(lat, edge_lon + (-0.12 if inside else 0.12), sog)
    edge_track = b.build()
    ctx.add("edge", edge, edge_track)
    heard.append(edge.mmsi)
    mid = edge_track.state_at(ctx.at(3.0))
    assert mid is not None
    ctx.event("dark_period", (edge.mmsi,), ctx.at(0.5), ctx.at(6.0), mid.lat, mid.lon,
              "in and out of a satellite blackout, never ~1 h inside at a time: not a dark period", decoy=True)
    for i in range(2):
        spec = ctx.vessel(r.choice((352, 538)), "A", 70, float(r.randint(120, 250)))
        b = TrackBuilder(ctx.start_ms - 600_000, 24.2 + 0.5 * i + r.uniform(0.0, 0.2), edge_lon + 0.3)
        ctx.add(f"outside-{i}", spec, b.sail_for(r.uniform(-5.0, 5.0) % 360, r.uniform(10.0, 13.0), span_s).build())
    inside_fleet = fishing_fleet(ctx, [(25.2, edge_lon - 0.5), (25.6, edge_lon - 0.8)], key="inside-fishing")
    ctx.event("dark_period", tuple(a.spec.mmsi for a in inside_fleet), ctx.at(0.5), ctx.at(6.0), 25.4, edge_lon - 0.65,
              "fishing inside a satellite blackout, transmitting all along; nobody inside is heard", decoy=True)
    ctx.event("identity_anomaly", tuple(heard), ctx.start_ms, ctx.end_ms, mid.lat, mid.lon,
              "sparse satellite fixes far apart in time, lines delivered late and out of order: one vessel each",
              decoy=True)


def offshore_convoy(ctx: ScenarioContext) -> None:
    lane_traffic(ctx, "canaries_southbound", 2)
    lane_traffic(ctx, "canaries_northbound", 2)
    r = ctx.rng
    span_s = (ctx.end_ms - ctx.start_ms) / 1000 + 1500
    tug = ctx.vessel(r.choice((224, 263)), "A", 52, float(r.randint(30, 45)))
    tow = ctx.vessel(r.choice((224, 263)), "A", r.choice((31, 90)), float(r.randint(70, 120)))
    sog = r.uniform(6.0, 9.0)
    b = TrackBuilder(ctx.start_ms - 900_000, 32.9 + r.uniform(-0.1, 0.1), -14.8 + r.uniform(-0.1, 0.1))
    track = b.sail_for(r.uniform(5.0, 20.0), sog, span_s).build()
    ctx.add("tug", tug, track)
    ctx.add("tow", tow, track.shifted(int(r.uniform(200, 400) / (sog * KN_TO_MPS) * 1000)))
    mid = track.state_at((ctx.start_ms + ctx.end_ms) // 2)
    assert mid is not None
    ctx.event("rendezvous", (tug.mmsi, tow.mmsi), ctx.start_ms, ctx.end_ms, mid.lat, mid.lon,
              "tug and tow 200–400 m apart at 6–9 kn, 200 km off Morocco", decoy=True)
    lead = ctx.vessel(r.choice((235, 227, 244)), "B", 36, float(r.randint(11, 14)))
    mate = ctx.vessel(r.choice((235, 227, 244)), "B", 36, float(r.randint(11, 14)))
    ysog = r.uniform(6.0, 7.0)
    b = TrackBuilder(ctx.start_ms - 900_000, 31.8 + r.uniform(-0.1, 0.1), -18.5 + r.uniform(-0.1, 0.1))
    ytrack = b.sail_for(r.uniform(210.0, 225.0), ysog, span_s).build()
    ctx.add("yacht-lead", lead, ytrack)
    ctx.add("yacht-mate", mate, ytrack.shifted(int(r.uniform(200, 400) / (ysog * KN_TO_MPS) * 1000)))
    ymid = ytrack.state_at((ctx.start_ms + ctx.end_ms) // 2)
    assert ymid is not None
    ctx.event("rendezvous", (lead.mmsi, mate.mmsi), ctx.start_ms, ctx.end_ms, ymid.lat, ymid.lon,
              "two class B yachts sailing together 200–400 m apart at 6–7 kn", decoy=True)


def offshore_fishing(ctx: ScenarioContext) -> None:
    r = ctx.rng
    lat0, lon0 = 36.55 + r.uniform(-0.03, 0.03), -11.55 + r.uniform(-0.03, 0.03)
    spots = [destination(*destination(lat0, lon0, 0.0, dy * 2400.0), 90.0, dx * 2400.0)
             for dy, dx in ((-1, -1), (-1, 0.2), (0, -0.4), (0.1, 0.9), (1, -0.1))]
    fleet = fishing_fleet(ctx, spots, radius_m=800.0, min_spacing_m=2300.0, class_b=(4,), key="gorringe")
    mmsis = tuple(a.spec.mmsi for a in fleet)
    ctx.event("dark_period", mmsis, ctx.start_ms, ctx.end_ms, lat0, lon0,
              "fishing fleet heard only by satellite passes, transmitting all along", decoy=True)
    ctx.event("rendezvous", mmsis, ctx.start_ms, ctx.end_ms, lat0, lon0,
              "fishing vessels working 1–5 km apart, never within 500 m: not a rendezvous", decoy=True)
    t_scene = ctx.at(r.uniform(2.0, 4.0))
    ctx.scene(t_scene, lat0 - 0.2, lat0 + 0.2, lon0 - 0.25, lon0 + 0.25)
    ctx.event("dark_vessel", (), t_scene, t_scene, lat0, lon0,
              "SAR detections of a fishing fleet known only by sparse satellite AIS: no dark vessel", decoy=True)
    ctx.event("dark_rendezvous", mmsis, ctx.start_ms, ctx.end_ms, lat0, lon0,
              "SAR sees the fleet working together, every detection an AIS vessel: no dark rendezvous", decoy=True)
