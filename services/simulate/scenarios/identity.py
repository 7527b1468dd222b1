"""Identity anomalies: one MMSI, two vessels transmitting at the same time.

(a) The placeholder MMSI 224000000 (``MID·10⁶`` exactly: what an unconfigured Spanish transponder sends)
is used by two real ships: a cargo ship off the Spanish Mediterranean coast (shore receivers) and another
~1,000 km away between Madeira and Morocco (satellite AIS only). Each sends her own type 5, so the static
data of the MMSI comes from either ship. It lies outside every scenario's MMSI block (block 0), so it is
listed in :data:`SHARED_MMSIS` for attribution in merged runs.

(b) Two small class B boats 0.8–1.2 km apart at anchor in the approach to Huelva share one MMSI of this
scenario's block; each reports every 60 s, half a minute after the other, without SOG (102.3 = not
available). Their positions alternate every ~30 s: an identity anomaly, and never a go-fast (a decoy),
although the implied speed between consecutive reports is ~65 kn. Likewise (a) is no go-fast.
"""

from __future__ import annotations

from dataclasses import replace

from services.simulate.background import lane_track, lane_traffic
from services.simulate.latlon_geodesy import destination
from services.simulate.scenario_context import ScenarioContext
from services.simulate.trajectory import NAV_ANCHORED, TrackBuilder

__all__ = ["PLACEHOLDER_MMSI", "SHARED_MMSIS", "identity_shared"]

PLACEHOLDER_MMSI = 224_000_000
SHARED_MMSIS: dict[int, str] = {PLACEHOLDER_MMSI: "identity_shared"}  # MMSI → scenario, outside the blocks
_ALTERNATE_S = 60.0


def identity_shared(ctx: ScenarioContext) -> None:
    lane_traffic(ctx, "strait_eastbound", 3)
    lane_traffic(ctx, "strait_westbound", 3)
    lane_traffic(ctx, "portugal_southbound", 2)
    lane_traffic(ctx, "portugal_northbound", 2)
    r = ctx.rng
    span_s = (ctx.end_ms - ctx.start_ms) / 1000 + 1200
    near = replace(ctx.vessel(r.choice((224, 352)), "A", r.choice((70, 79)), float(r.randint(90, 160))),
                   mmsi=PLACEHOLDER_MMSI)
    far = replace(ctx.vessel(r.choice((224, 636)), "A", r.choice((80, 70)), float(r.randint(120, 220))),
                  mmsi=PLACEHOLDER_MMSI)
    ctx.add("placeholder-coast", near, lane_track(ctx, "strait_eastbound", 100_000 + r.uniform(0, 40_000),
                                                   r.uniform(10.0, 13.0)).build(), shares_mmsi=True)
    ftrack = TrackBuilder(ctx.start_ms - 600_000, 33.8 + r.uniform(-0.1, 0.1), -14.0 + r.uniform(-0.1, 0.1))
    ftrack.sail_for(r.uniform(175.0, 190.0), r.uniform(10.0, 13.0), span_s)
    far_track = ftrack.build()
    ctx.add("placeholder-offshore", far, far_track, shares_mmsi=True)
    mid = far_track.state_at((ctx.start_ms + ctx.end_ms) // 2)
    assert mid is not None
    ctx.event("identity_anomaly", (PLACEHOLDER_MMSI,), ctx.start_ms, ctx.end_ms, mid.lat, mid.lon,
              "placeholder MMSI 224000000 on two ships ~1,000 km apart (one near the Spanish coast, one offshore)")
    ctx.event("go_fast", (PLACEHOLDER_MMSI,), ctx.start_ms, ctx.end_ms, mid.lat, mid.lon,
              "two ships on one MMSI, positions far apart: not a go-fast", decoy=True)

    mmsi = ctx.mmsi(224)
    lat, lon = 37.08 + r.uniform(-0.01, 0.01), -6.88 + r.uniform(-0.01, 0.01)
    spots = [(lat, lon), destination(lat, lon, r.uniform(0, 360), r.uniform(800, 1200))]
    for i, (la, lo) in enumerate(spots):
        spec = replace(ctx.vessel(224, "B", 30, float(r.randint(8, 12))), mmsi=mmsi)
        t0 = ctx.start_ms - 660_000 + int(i * _ALTERNATE_S / 2 * 1000)  # the second reports half a period later
        track = TrackBuilder(t0, la, lo).hold((ctx.end_ms - t0) / 1000 + 600, nav_status=NAV_ANCHORED).build()
        ctx.add(f"clone-{i}", spec, track, shares_mmsi=True, report_interval_s=_ALTERNATE_S, reports_sog=False)
    ctx.event("identity_anomaly", (mmsi,), ctx.start_ms, ctx.end_ms, lat, lon,
              "one MMSI on two boats ~1 km apart at anchor off Huelva, reports alternating every ~30 s, no SOG")
    ctx.event("go_fast", (mmsi,), ctx.start_ms, ctx.end_ms, lat, lon,
              "alternating positions of two boats on one MMSI (no SOG) are not speed", decoy=True)
