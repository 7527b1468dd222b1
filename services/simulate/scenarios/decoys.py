"""Decoys — real situations that must NOT raise an alert of the named kind.

* ``ferries``: high-speed craft (type 40, 41–60 m) Tarifa ⇄ Tangier at 30–35 kn (not go-fast).
* ``anchorage``: ships at anchor 350–550 m apart off Algeciras, one arriving (not rendezvous).
* ``tug_tow``: a tug and her tow 200–400 m apart at 6–8 kn in the Gulf of Cadiz (not rendezvous).
* ``coverage_gap``: a ship sailing out of shore-receiver range west of Lisbon into an area no satellite
  hears for 5 h; nobody is heard there (not a dark period).
* ``glitch``: a cargo ship whose position jumps 6–20 km for one report (not go-fast, not two ships on one
  MMSI).
* ``port_arrival``: a ship enters the port of Lisbon, moors and switches AIS off for the rest of the
  recording (switching off at a berth is not a dark period).
"""

from __future__ import annotations

from services.simulate.background import lane_traffic
from services.simulate.latlon_geodesy import bearing_deg, destination
from services.simulate.model import Glitch
from services.simulate.places import ANCHORAGE_ALGECIRAS, LANES, PORTS
from services.simulate.satcoverage import Blackout
from services.simulate.scenario_context import ScenarioContext
from services.simulate.trajectory import NAV_ANCHORED, NAV_MOORED, TrackBuilder

__all__ = ["anchorage", "coverage_gap", "ferries", "glitch", "port_arrival", "tug_tow"]


def ferries(ctx: ScenarioContext) -> None:
    lane_traffic(ctx, "strait_eastbound", 4)
    lane_traffic(ctx, "strait_westbound", 4)
    r = ctx.rng
    ports = [PORTS["tarifa"], PORTS["tanger_ville"]]
    for i in range(2):
        spec = ctx.vessel((224, 242)[i], "A", r.randint(40, 49), float(r.randint(41, 60)),
                          destination=("TANGER", "TARIFA")[i])
        here = i
        b = TrackBuilder(ctx.start_ms - 600_000, *ports[here])
        b.hold(r.uniform(10, 50) * 60, nav_status=NAV_MOORED)
        while b.t_ms < ctx.end_ms + 600_000:
            (la0, lo0), (la1, lo1) = ports[here], ports[1 - here]
            brg = bearing_deg(la0, lo0, la1, lo1)
            b.sail_to(*destination(la0, lo0, brg, 1200.0), 8.0)
            b.sail_to(*destination(la1, lo1, (brg + 180) % 360, 1200.0), r.uniform(30.0, 35.0))
            b.sail_to(la1, lo1, 8.0).hold(r.uniform(40, 60) * 60, nav_status=NAV_MOORED)
            here = 1 - here
        ctx.add(f"ferry-{i}", spec, b.build())
        ctx.event("go_fast", (spec.mmsi,), ctx.start_ms, ctx.end_ms, 35.90, -5.70,
                  "high-speed passenger craft on the Tarifa–Tangier run", decoy=True)


def anchorage(ctx: ScenarioContext) -> None:
    lane_traffic(ctx, "strait_eastbound", 3)
    lane_traffic(ctx, "strait_westbound", 3)
    r = ctx.rng
    lat0, lon0 = ANCHORAGE_ALGECIRAS
    mmsis = []
    spots = [(lat0 + dy * 0.0040, lon0 + dx * 0.0050) for dy in (-1, 0, 1) for dx in (-1, 1)]
    r.shuffle(spots)
    for i, (lat, lon) in enumerate(spots[:4]):
        spec = ctx.vessel(r.choice((352, 636, 229)), "A", r.choice((70, 80, 84)), float(r.randint(120, 250)))
        b = TrackBuilder(ctx.start_ms - 600_000, lat + r.uniform(-5e-4, 5e-4), lon + r.uniform(-5e-4, 5e-4))
        b.hold((ctx.end_ms - ctx.start_ms) / 1000 + 1200, nav_status=NAV_ANCHORED)
        ctx.add(f"anchored-{i}", spec, b.build())
        mmsis.append(spec.mmsi)
    spec = ctx.vessel(636, "A", 80, 180.0)
    lat, lon = spots[4]
    arrive = ctx.at(r.uniform(1.0, 2.0))
    b = TrackBuilder(ctx.start_ms - 600_000, 36.02, -5.05)
    b.sail_to(36.08, -5.33, 11.0).sail_to(lat, lon, 4.0)
    b.hold(max(60.0, (arrive - b.t_ms) / 1000), nav_status=0)
    b.hold((ctx.end_ms - b.t_ms) / 1000 + 1200, nav_status=NAV_ANCHORED)
    ctx.add("arriving", spec, b.build())
    mmsis.append(spec.mmsi)
    ctx.event("rendezvous", tuple(mmsis), ctx.start_ms, ctx.end_ms, lat0, lon0,
              "ships at anchor together in the Algeciras anchorage", decoy=True)


def tug_tow(ctx: ScenarioContext) -> None:
    lane_traffic(ctx, "portugal_southbound", 3)
    lane_traffic(ctx, "portugal_northbound", 3)
    r = ctx.rng
    tug = ctx.vessel(224, "A", 52, float(r.randint(25, 35)))
    tow = ctx.vessel(224, "A", r.choice((31, 90, 33)), float(r.randint(60, 110)))
    sog = r.uniform(6.0, 8.0)
    b = TrackBuilder(ctx.start_ms - 900_000, 36.95, -7.05 + r.uniform(-0.05, 0.05))  # −15 min: the tow too by −10
    b.sail_to(36.62, -6.75, sog).sail_to(36.35, -6.42, sog).sail_to(36.10, -6.30, sog)
    b.sail_to(35.70, -6.60, sog).sail_to(34.80, -7.20, sog)  # then on towards Casablanca, past the recording's end
    track = b.build()
    sep_m = r.uniform(200, 400)
    ctx.add("tug", tug, track)
    ctx.add("tow", tow, track.shifted(int(sep_m / (sog * 1852 / 3600) * 1000)))
    ctx.event("rendezvous", (tug.mmsi, tow.mmsi), ctx.start_ms, ctx.end_ms, 36.62, -6.75,
              "tug and tow moving together at 6–8 kn", decoy=True)


def coverage_gap(ctx: ScenarioContext) -> None:
    lane_traffic(ctx, "portugal_southbound", 3)
    lane_traffic(ctx, "portugal_northbound", 3)
    r = ctx.rng
    ctx.blackout(Blackout(37.0, 40.5, -16.0, -10.2, ctx.at(0.5), ctx.at(6.0)))
    for i, lat in enumerate((38.55 + r.uniform(-0.05, 0.05), 38.95 + r.uniform(-0.05, 0.05))):
        spec = ctx.vessel(r.choice((255, 263, 636)), "A", r.choice((70, 71, 80)), float(r.randint(120, 250)),
                          destination="PONTA DELGADA")
        b = TrackBuilder(ctx.start_ms - 600_000, lat, -9.90 + r.uniform(-0.05, 0.05) - 0.15 * i)
        b.sail_for(270.0 + r.uniform(-5, 5), r.uniform(11.0, 14.0), (ctx.end_ms - ctx.start_ms) / 1000 + 1200)
        ctx.add(f"outbound-{i}", spec, b.build())
        ctx.event("dark_period", (spec.mmsi,), ctx.at(0.5), ctx.at(6.0), lat, -11.0,
                  "leaves shore-receiver range into a satellite-coverage gap; nobody is heard there", decoy=True)


def glitch(ctx: ScenarioContext) -> None:
    lane_traffic(ctx, "strait_eastbound", 3)
    lane_traffic(ctx, "strait_westbound", 3)
    r = ctx.rng
    spec = ctx.vessel(r.choice((636, 538)), "A", 70, float(r.randint(150, 300)))
    sog = r.uniform(11.0, 14.0)
    b = TrackBuilder(ctx.start_ms - 600_000, *LANES["strait_eastbound"][2])
    for lat, lon in LANES["strait_eastbound"][3:]:
        b.sail_to(lat, lon, sog)
    at = ctx.at(r.uniform(1.0, 3.0))
    ctx.add("glitch", spec, b.build(), glitches=(Glitch(at, r.uniform(6000, 20000), r.uniform(0, 360)),))
    ctx.event("go_fast", (spec.mmsi,), ctx.start_ms, ctx.end_ms, 36.1, -4.6,
              "one report displaced 6–20 km, then back on track", decoy=True)
    ctx.event("identity_anomaly", (spec.mmsi,), ctx.start_ms, ctx.end_ms, 36.1, -4.6,
              "one displaced report is a GPS glitch, not a second ship on the MMSI", decoy=True)


def port_arrival(ctx: ScenarioContext) -> None:
    lane_traffic(ctx, "portugal_southbound", 3)
    lane_traffic(ctx, "portugal_northbound", 3)
    r = ctx.rng
    spec = ctx.vessel(r.choice((255, 263, 636)), "A", r.choice((70, 71, 80)), float(r.randint(90, 180)),
                      destination="LISBOA")
    b = TrackBuilder(ctx.start_ms - 600_000, 38.35 + r.uniform(-0.05, 0.05), -9.55 + r.uniform(-0.05, 0.05))
    b.sail_to(38.62, -9.32, r.uniform(10.0, 12.0)).sail_to(38.675, -9.22, 7.0)
    b.sail_to(*PORTS["lisbon_alcantara"], 4.0)
    berth, moored = PORTS["lisbon_alcantara"], b.t_ms
    b.hold((ctx.end_ms - b.t_ms) / 1000 + 600, nav_status=NAV_MOORED)
    off = moored + int(r.uniform(20.0, 40.0) * 60_000)
    ctx.add("arrival", spec, b.build(), silences=((off, ctx.end_ms + 600_000),))
    ctx.event("dark_period", (spec.mmsi,), off, ctx.end_ms, *berth,
              "moored in the port of Lisbon, AIS switched off for the rest of the recording", decoy=True)
