"""Identity anomalies: one MMSI heard from places no vessel could connect — split, never merged into the
other detectors; glitches, track jumps and out-of-order satellite fixes are not anomalies."""

from __future__ import annotations

import random

from msa.domain import AlertKind, AlertStatus, PositionReport
from services.detect.identity import is_placeholder_mmsi
from tests.unit.detect.builders import ALBORAN, COASTAL, OFFSHORE, T0, end_of, live, make_engine, ping, run, track

SHARED = 224000000


def interleave(*tracks: list[PositionReport]) -> list[PositionReport]:
    return sorted((r for t in tracks for r in t), key=lambda r: r.ts_ms)


def test_a_placeholder_mmsi_on_two_ships_far_apart_is_an_identity_anomaly_and_nothing_else() -> None:
    near = track(SHARED, 0, 4 * 3600, 60, *COASTAL, sog_kn=11.0, cog_deg=180.0)
    far = track(SHARED, 30, 4 * 3600 + 30, 60, *OFFSHORE, sog_kn=12.0, cog_deg=0.0)  # 380 km away
    alerts = live(run(interleave(near, far)))
    (a,) = alerts
    assert a.kind == AlertKind.IDENTITY_ANOMALY and a.mmsi == (SHARED,)
    assert a.evidence["pattern"] == "far_apart" and a.evidence["placeholder_mmsi"] is True
    assert a.severity == "high" and a.geometry["type"] == "MultiPoint"


def test_one_mmsi_alternating_every_30_s_between_two_spots_1_km_apart_without_sog_is_no_go_fast() -> None:
    a_spot = track(224555001, 0, 3 * 3600, 60, *ALBORAN, sog_kn=0.0, report_sog=False)
    b_spot = track(224555001, 30, 3 * 3600 + 30, 60, ALBORAN[0] + 0.009, ALBORAN[1], sog_kn=0.0, report_sog=False)
    eng = make_engine()
    alerts = live(run(interleave(a_spot, b_spot), engine=eng))
    assert [a.kind for a in alerts] == [AlertKind.IDENTITY_ANOMALY]
    assert alerts[0].evidence["pattern"] == "alternating"
    assert eng.counters["identity_returns"] >= 1


def test_a_single_displaced_report_is_a_glitch_not_an_anomaly() -> None:
    recs = track(224555002, 0, 3600, 10, *ALBORAN, sog_kn=12.0, cog_deg=90.0)
    r = recs[180]
    assert r.lat is not None and r.lon is not None
    recs[180] = ping(224555002, (r.ts_ms - T0) / 1000, r.lat + 0.1, r.lon, 12.0, 90.0)  # 11 km off, once
    eng = make_engine()
    assert live(run(recs, engine=eng)) == []
    assert eng.counters["position_glitches"] == 1


def test_a_track_that_jumps_once_and_goes_on_from_there_is_followed() -> None:
    recs = track(224555003, 0, 1800, 10, *ALBORAN, sog_kn=12.0, cog_deg=90.0)
    recs += track(224555003, 1810, 5400, 10, ALBORAN[0] + 0.3, ALBORAN[1], sog_kn=12.0, cog_deg=90.0)
    eng = make_engine()
    assert live(run(recs, engine=eng)) == []
    assert eng.counters["track_jumps"] == 1


def test_satellite_fixes_of_a_moving_ship_out_of_order_are_not_an_anomaly() -> None:
    """Downlink times instead of transmission times: fixes of one pass arrive minutes out of order."""
    rng = random.Random(3)
    recs = []
    for r in track(224555004, 0, 6 * 3600, 30, *OFFSHORE, sog_kn=14.0, cog_deg=45.0):
        if rng.random() < 0.2:
            recs.append(PositionReport(**{**{f: getattr(r, f) for f in r.__slots__},  # type: ignore[arg-type]
                                          "ts_ms": r.ts_ms + rng.randint(-240, 240) * 1000}))
    eng = make_engine()
    assert [a.kind for a in live(run(recs, engine=eng))] == []


def test_the_anomaly_closes_after_six_quiet_hours_and_the_mmsi_raises_nothing_else() -> None:
    near = track(SHARED, 0, 3600, 60, *COASTAL, sog_kn=11.0, cog_deg=180.0)
    far = track(SHARED, 30, 3630, 60, *OFFSHORE, sog_kn=12.0, cog_deg=0.0)
    later = track(SHARED, 3660, 8 * 3600, 60, *end_of(near), sog_kn=11.0, cog_deg=180.0)  # only one, later
    (a,) = live(run(interleave(near, far) + later))
    assert a.kind == AlertKind.IDENTITY_ANOMALY and a.status == AlertStatus.CLOSED
    assert a.evidence["transitions"] >= 4 and len(a.evidence["clusters"]) == 2
    assert a.evidence["max_implied_speed_kn"] > 1000


def test_placeholder_mmsis() -> None:
    assert [is_placeholder_mmsi(m) for m in (412000000, 111111111, 123456789, 224123456)] == [True, True, True,
                                                                                            False]
