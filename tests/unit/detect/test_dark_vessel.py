"""Dark vessels and dark rendezvous from satellite detections."""

from __future__ import annotations

from geo.geodesy import MPS_PER_KN, destination_point
from msa.domain import AlertKind
from tests.unit.detect.builders import ALBORAN, NOWHERE, OFFSHORE, detection, live, make_engine, run, track

A, L = 224300001, 224300002


def moving(at: tuple[float, float] = OFFSHORE) -> list:  # type: ignore[type-arg]
    return track(A, 0, 1800, 10, *at, sog_kn=10.0, cog_deg=45.0)


def where_a(t: float, at: tuple[float, float] = OFFSHORE) -> tuple[float, float]:
    lon, lat = destination_point(at[1], at[0], 45.0, 10.0 * MPS_PER_KN * t)
    return lat, lon


def test_detection_where_ais_says_a_vessel_is_matches_it() -> None:
    assert live(run([*moving(), detection("d1", 905, *where_a(905))])) == []


def test_detection_far_from_any_ais_vessel_is_a_dark_vessel() -> None:
    lat, lon = where_a(900)
    (a,) = live(run([*moving(), detection("d2", 900, lat + 0.2, lon)]))
    assert a.kind == AlertKind.DARK_VESSEL and a.mmsi == () and a.detection_ids == ("d2",)
    assert a.zone == "MAOC-N Atlantic approaches"
    assert a.evidence["nearest_ais"] == [] or a.evidence["nearest_ais"][0]["distance_m"] > 1500
    assert a.evidence["thresholds"]["sat_match_radius_m"] == 1500.0


def test_detection_1_km_off_the_track_still_matches() -> None:
    lat, lon = where_a(900)
    assert live(run([*moving(), detection("d3", 900, lat + 0.009, lon)])) == []


def test_unmatched_detection_next_to_a_loitering_vessel_is_a_dark_rendezvous() -> None:
    loiter = track(L, 0, 3600, 10, *ALBORAN, sog_kn=0.5, cog_deg=0.0)
    lat, lon = destination_point(ALBORAN[1], ALBORAN[0], 0.0, 0.5 * MPS_PER_KN * 2400)[::-1]
    dets = [detection("own", 2400, lat, lon), detection("boat", 2400, lat + 0.005, lon)]  # 550 m north
    (a,) = live(run([*loiter, *dets]))
    assert a.kind == AlertKind.DARK_RENDEZVOUS and a.mmsi == (L,) and a.detection_ids == ("boat",)
    assert a.evidence["loitering_s"] >= 900


def test_unmatched_detection_3_km_from_the_loiterer_is_just_a_dark_vessel() -> None:
    loiter = track(L, 0, 3600, 10, *ALBORAN, sog_kn=0.5, cog_deg=0.0)
    lat, lon = destination_point(ALBORAN[1], ALBORAN[0], 0.0, 0.5 * MPS_PER_KN * 2400)[::-1]
    dets = [detection("own", 2400, lat, lon), detection("boat", 2400, lat + 0.027, lon)]
    (a,) = live(run([*loiter, *dets]))
    assert a.kind == AlertKind.DARK_VESSEL and a.detection_ids == ("boat",)


def test_low_confidence_detection_is_ignored() -> None:
    eng = make_engine()
    assert live(run([*moving(), detection("d4", 900, 40.0, -14.0, confidence=0.2)], engine=eng)) == []
    assert eng.counters["sat_low_confidence"] == 1


def test_detection_outside_every_zone_is_not_alerted() -> None:
    assert live(run([detection("d5", 900, *NOWHERE)])) == []


def test_detection_of_a_vessel_in_its_dark_period_is_evidence_on_that_alert() -> None:
    lat, lon = ALBORAN
    before = track(A, 0, 1800, 10, lat, lon, sog_kn=6.0, cog_deg=90.0)
    others = [*track(224200001, 0, 12_000, 60, lat + 0.03, lon, sog_kn=0.5),
              *track(224200002, 0, 12_000, 60, lat - 0.03, lon, sog_kn=0.5)]
    last = before[-1]
    assert last.lat is not None and last.lon is not None
    x, y = destination_point(last.lon, last.lat, 90.0, 6.0 * MPS_PER_KN * 5400)  # 1.5 h into the silence
    (a,) = live(run([*before, *others, detection("seen", 1800 + 5400, y, x)]))
    assert a.kind == AlertKind.DARK_PERIOD and a.detection_ids == ("seen",)
    assert a.evidence["detections"][0]["detection_id"] == "seen"


# ---- sparse fixes (satellite AIS offshore) -------------------------------------------------------------
def test_a_loiterer_known_from_fixes_an_hour_apart_makes_a_dark_rendezvous() -> None:
    # heard by satellite passes only: one fix an hour, drifting at 0.5 kn; the scene 40 min after the last fix
    loiter = track(L, 0, 4 * 3600, 3600, *OFFSHORE, sog_kn=0.5, cog_deg=90.0)
    t_scene = 3 * 3600 + 2400
    lon, lat = destination_point(OFFSHORE[1], OFFSHORE[0], 90.0, 0.5 * MPS_PER_KN * t_scene)
    dets = [detection("own", t_scene, lat, lon), detection("boat", t_scene, lat + 0.005, lon)]
    got = live(run([*loiter, *dets]))
    (a,) = [x for x in got if x.kind == AlertKind.DARK_RENDEZVOUS]
    assert a.mmsi == (L,) and a.detection_ids == ("boat",)
    assert a.evidence["loitering_s"] >= 900 and a.evidence["position_method"] == "dead_reckoned"
    assert not [x for x in got if x.kind == AlertKind.DARK_VESSEL]


# ---- late satellite products -----------------------------------------------------------------------------
def late(records: list, delay_s: float) -> list:  # type: ignore[type-arg]
    """Feed order: AIS in event order, each satellite product (footprint first) only once AIS is ``delay_s``
    past it."""
    from msa.domain import SatelliteDetection, SceneFootprint

    sat = (SatelliteDetection, SceneFootprint)
    ais = sorted((r for r in records if not isinstance(r, sat)), key=lambda r: r.ts_ms)
    dets = sorted((r for r in records if isinstance(r, sat)),
                  key=lambda r: (r.ts_ms, isinstance(r, SatelliteDetection)))
    out: list = []  # type: ignore[type-arg]
    for r in ais:
        while dets and dets[0].ts_ms + delay_s * 1000 <= r.ts_ms:
            out.append(dets.pop(0))
        out.append(r)
    return out + dets


def test_detections_six_hours_late_are_judged_exactly_as_on_time() -> None:
    from msa.contracts.codec import alert_to_dict
    from tests.unit.detect.scenario import dark_with_sightings, mini_scenario

    tail = track(224200101, 12_000, 40_000, 120, 36.05, -3.4, sog_kn=0.5)
    for recs in (mini_scenario() + tail, dark_with_sightings() + tail):
        want = [alert_to_dict(a) for a in run(recs)]
        for delay_h in (1, 3, 6):
            eng = make_engine()
            got = [alert_to_dict(a) for a in run(late(recs, delay_h * 3600), sort=False, engine=eng)]
            assert eng.counters.get("sat_late", 0) > 0
            assert got == want, delay_h


def test_a_detection_more_than_six_hours_late_is_counted_not_judged() -> None:
    recs = [*moving(), *track(224200101, 0, 40_000, 600, *OFFSHORE, sog_kn=0.5),
            detection("d", 900, OFFSHORE[0] + 0.3, OFFSHORE[1])]
    eng = make_engine()
    assert live(run(late(recs, 7 * 3600), sort=False, engine=eng), "dark_vessel") == []
    assert eng.counters["sat_too_late"] == 1
    assert [a.kind for a in live(run(late(recs, 5 * 3600), sort=False))] == [AlertKind.DARK_VESSEL]


def scene(t: float, lat: float, lon: float, half_deg: float = 0.5, scene_id: str = "scene-1"):  # type: ignore[no-untyped-def]
    from msa.domain import SceneFootprint
    from tests.unit.detect.builders import T0

    ring = ((lon - half_deg, lat - half_deg), (lon + half_deg, lat - half_deg), (lon + half_deg, lat + half_deg),
            (lon - half_deg, lat + half_deg), (lon - half_deg, lat - half_deg))
    return SceneFootprint(scene_id=scene_id, ts_ms=T0 + int(t * 1000), sensor="SAR", rings=(ring,))


def test_a_dark_vessel_carries_its_scenes_footprint_on_time_or_late() -> None:
    from msa.evidence import parse_evidence

    lat, lon = where_a(900)
    recs = [*moving(), *track(224200101, 0, 40_000, 600, *OFFSHORE, sog_kn=0.5),
            scene(900, lat, lon), detection("d", 900, lat + 0.2, lon)]
    (a,) = live(run(recs), "dark_vessel")
    fp = a.evidence["footprint"]
    assert fp["type"] == "Polygon" and fp["coordinates"][0][0] == [round(lon - 0.5, 5), round(lat - 0.5, 5)]
    parse_evidence("dark_vessel", a.evidence)
    # the product (footprint, then detection) 5 h late: judged as on time, footprint included
    eng = make_engine()
    (b,) = live(run(late(recs, 5 * 3600), sort=False, engine=eng), "dark_vessel")
    assert eng.counters["sat_late"] == 1 and b.evidence == a.evidence
    # another scene's footprint is not this one's
    (c,) = live(run([*recs[:-2], scene(900, lat, lon, scene_id="other"), detection("d", 900, lat + 0.2, lon)]),
                "dark_vessel")
    assert "footprint" not in c.evidence


def test_a_footprint_of_many_vertices_is_simplified_for_evidence() -> None:
    import math

    from shapely.geometry import Point, shape

    from msa.domain import SceneFootprint
    from msa.evidence import FOOTPRINT_MAX_VERTICES
    from services.detect.scenes import footprint_geometry

    ring = tuple((-20 + 2 * math.cos(2 * math.pi * i / 3000), 40 + 1.5 * math.sin(2 * math.pi * i / 3000))
                 for i in range(3000))
    fp = footprint_geometry(SceneFootprint("s", 0, "SAR", ((*ring, ring[0]),)))
    g = shape(fp)
    assert len(fp["coordinates"][0]) <= FOOTPRINT_MAX_VERTICES and g.is_valid
    assert g.covers(Point(-20, 40)) and abs(g.area - math.pi * 2 * 1.5) / (math.pi * 3) < 0.01
    tri = ((0.123456789, 1.0), (1.0, 1.0), (1.0, 2.0), (0.123456789, 1.0))
    small = footprint_geometry(SceneFootprint("s", 0, "SAR", (tri,)))
    assert small["coordinates"] == [[[0.12346, 1.0], [1, 1], [1, 2], [0.12346, 1.0]]]
