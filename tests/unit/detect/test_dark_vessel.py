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
    assert a.evidence["satellite_detections"][0]["detection_id"] == "seen"
