from __future__ import annotations

import dataclasses

from msa.domain import AlertStatus, format_ts
from services.api.evidence_view import extract_detections, extract_fixes
from tests.unit.api.builders import T0_MS, alert, identity_anomaly


def test_positions_list_and_tracks_mapping_and_garbage() -> None:
    ev = {"positions": [{"mmsi": 1, "ts": "2026-01-01T00:00:00Z", "lat": 36.0, "lon": -4.0, "sog_kn": 33.0},
                        {"mmsi": 1, "ts_ms": T0_MS + 60_000, "lat": 95.0, "lon": -4.0},  # bad latitude
                        "garbage"],
          "tracks": {"2": [[T0_MS, 36.1, -4.1, 2.0], {"ts_ms": T0_MS, "lat": 1}]}}
    fixes, skipped = extract_fixes(alert(mmsi=(1, 2), evidence=ev))
    assert [(f.mmsi, f.ts_ms, f.lat, f.lon, f.sog_kn) for f in fixes] == [
        (1, T0_MS, 36.0, -4.0, 33.0), (2, T0_MS, 36.1, -4.1, 2.0)]
    assert skipped == 3


def test_detections() -> None:
    ev = {"detections": [{"detection_id": "d1", "ts": "2026-01-01T00:00:00Z", "lat": 36.0, "lon": -4.0,
                          "confidence": 0.8, "sensor": "SAR", "scene_id": "s1", "length_m": 12},
                         {"detection_id": "d2"}]}
    dets, skipped = extract_detections(alert(evidence=ev))
    assert [(d.detection_id, d.ts_ms, d.length_m) for d in dets] == [("d1", T0_MS, 12.0)] and skipped == 1


def test_a_version_1_identity_anomaly_gives_its_segments_positions_to_the_alert_mmsi() -> None:
    """Records stored before the evidence contract (``segments``, fixes without MMSI) are still read."""
    segments: list[object] = [
        {"segment": i, "positions": [{"ts_ms": T0_MS + (2 * k + i) * 60_000, "lon": lon, "lat": lat}
                                     for k in range(3)]}
        for i, (lon, lat) in enumerate(((-4.5, 36.0), (-15.4, 28.1)))]
    segments.append("garbage")
    segments[1]["positions"].append({"ts": "2026-01-01T01:00:00Z", "lon": -15.4, "lat": 95.0})  # type: ignore[index]
    a = identity_anomaly(mmsi=224000009)
    fixes, skipped = extract_fixes(dataclasses.replace(a, evidence={"segments": segments}))
    assert len(fixes) == 6 and {f.mmsi for f in fixes} == {224000009} and skipped == 2
    assert sorted((f.lon, f.lat) for f in fixes)[0] == (-15.4, 28.1)
    assert min(f.ts_ms for f in fixes) == T0_MS


def test_the_detectors_closed_identity_anomaly_gives_every_clusters_positions() -> None:
    a = identity_anomaly(mmsi=224000009, places=((-4.5, 36.0), (-15.4, 28.1)), status=AlertStatus.CLOSED)
    fixes, skipped = extract_fixes(a)
    clustered = {(p["ts"], p["lon"], p["lat"]) for c in a.evidence["clusters"] for p in c["positions"]}
    assert skipped == 0 and len(a.evidence["clusters"]) == 2
    assert {(format_ts(f.ts_ms), f.lon, f.lat) for f in fixes} == clustered
    assert {f.mmsi for f in fixes} == {224000009}
