"""Small mixed scenarios built from the builders: one of each alert kind plus decoys; a dark period seen by
satellite."""

from __future__ import annotations

from geo.geodesy import MPS_PER_KN, destination_point
from msa.domain import Record
from tests.unit.detect.builders import ALBORAN, ALGECIRAS_ANCHORAGE, OFFSHORE, detection, end_of, static, track

SILENT = 224300001


def mini_scenario() -> list[Record]:
    recs: list[Record] = [static(224000001, -600, ship_type=37, length_m=11.0, name="RAPIDO"),
                          static(224000099, -600, ship_type=40, length_m=35.0, name="FERRY")]
    # go-fast across the Alboran Sea, and a declared fast ferry (decoy)
    fast = track(224000001, 0, 900, 10, *ALBORAN, sog_kn=42.0, cog_deg=0.0)
    recs += fast + track(224000001, 910, 10_000, 10, *end_of(fast), sog_kn=4.0)  # heard until the end
    ferry = track(224000099, 0, 1500, 10, ALBORAN[0] - 0.3, ALBORAN[1] - 1.0, sog_kn=35.0, cog_deg=270.0)
    recs += ferry + track(224000099, 1510, 10_000, 60, *end_of(ferry), sog_kn=0.0, nav_status=5)  # moored
    # dark period in the Strait, with neighbours heard all along
    recs += track(224100001, 0, 1800, 10, ALBORAN[0] - 0.1, ALBORAN[1] + 0.3, sog_kn=1.0)
    recs += track(224100001, 9000, 9600, 10, ALBORAN[0] - 0.05, ALBORAN[1] + 0.3, sog_kn=1.0)
    for i in range(3):
        recs += track(224200001 + i, 0, 10_000, 60, ALBORAN[0] - 0.07 + 0.02 * i, ALBORAN[1] + 0.32, sog_kn=0.5)
    # rendezvous offshore, and ships together in the Algeciras anchorage (decoy)
    a = track(242005001, 0, 2700, 30, *OFFSHORE, sog_kn=1.0, cog_deg=90.0)
    recs += a + track(613005001, 5, 2705, 30, OFFSHORE[0] + 0.0018, OFFSHORE[1], sog_kn=1.0, cog_deg=90.0)
    recs += track(242005001, 2730, 3600, 30, *end_of(a), sog_kn=12.0, cog_deg=180.0)
    for m in (636009002, 636009003):
        recs += track(m, 0, 5400, 60, *ALGECIRAS_ANCHORAGE, sog_kn=0.0)
    # a SAR scene: one vessel with AIS (matched), one without (dark vessel)
    lon, lat = destination_point(OFFSHORE[1], OFFSHORE[0], 90.0, 1.0 * MPS_PER_KN * 1200)
    recs += [detection("scene1-ais", 1200, lat, lon), detection("scene1-dark", 1200, lat - 0.3, lon + 0.2)]
    return recs


def dark_with_sightings() -> list[Record]:
    """A vessel silent 2.6 h in the Alboran Sea (threshold 1 h) with neighbours heard all along; SAR sees it
    50 min into the silence (before its gap opens: kept and attached when it does) and again after 1.5 h."""
    lat, lon = ALBORAN
    before = track(SILENT, 0, 1800, 10, lat, lon, sog_kn=6.0, cog_deg=90.0)
    recs: list[Record] = [static(SILENT, -600, ship_type=70, length_m=60.0, name="SILENT"), *before]
    for i, dlat in enumerate((0.03, -0.03, -0.01)):
        recs += track(224200001 + i, 0, 12_000, 60, lat + dlat, lon + 0.05 * (i == 2), sog_kn=0.5)
    last = before[-1]
    assert last.lat is not None and last.lon is not None
    for det_id, after_s in (("early", 3000), ("seen", 5400)):
        x, y = destination_point(last.lon, last.lat, 90.0, 6.0 * MPS_PER_KN * after_s)
        recs.append(detection(det_id, 1800 + after_s, y, x, scene=f"scene-{det_id}"))
    x, y = destination_point(last.lon, last.lat, 90.0, 6.0 * MPS_PER_KN * 5400)
    return recs + track(SILENT, 11_000, 11_600, 10, y, x + 0.05, sog_kn=6.0, cog_deg=90.0)
