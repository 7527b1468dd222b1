"""Alerts as the detector writes them, for the alert service's tests: never hand-built evidence.

``detected(kind)`` runs the real detection engine (``services.detect.engine``) on small scenarios
(``tests/unit/detect/scenario.py`` and the like) once per test session and keeps the final alert of each kind,
evidence and all. ``relocated`` moves such an alert to where and when a test needs it (its zone, MMSIs, start
time, first position, detection ids): every time, position, MMSI and detection id of the evidence moves with
it, so the evidence keeps the detector's exact shape — and is checked against the evidence contract
(``msa.evidence.parse_evidence``) before a test sees it. ``identity_anomaly_at`` runs the engine on one MMSI
heard at the given places, so its clusters are where the test wants them.
"""

from __future__ import annotations

import dataclasses
import re
from functools import cache
from typing import Any

from msa.domain import (
    Alert,
    AlertKind,
    AlertStatus,
    SceneFootprint,
    Severity,
    VesselIdentity,
    format_ts,
    make_alert_id,
    parse_ts,
)
from msa.evidence import parse_evidence
from tests.unit.detect.builders import ALBORAN, T0, WORLD, box_zones, detection, live, make_engine, run, track
from tests.unit.detect.scenario import dark_with_sightings, mini_scenario

__all__ = ["detected", "identity_anomaly_at", "relocated"]

_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
_LONLAT_LISTS = ("coordinates", "centroid", "last_centroid")


def _scenes() -> list[Any]:
    """Footprints of the scenes in the scenarios (a dark vessel carries its scene's)."""
    ring = ((-15.0, 37.5), (-13.0, 37.5), (-13.0, 39.0), (-15.0, 39.0), (-15.0, 37.5))
    return [SceneFootprint("scene-1", T0 + 1_200_000, "SAR", (ring,))]


def _dark_rendezvous() -> list[Any]:
    """An unidentified boat 550 m from a vessel loitering in the Alboran Sea (as ``test_dark_vessel``)."""
    from geo.geodesy import MPS_PER_KN, destination_point

    loiter = track(224300002, 0, 3600, 10, *ALBORAN, sog_kn=0.5, cog_deg=0.0)
    lon, lat = destination_point(ALBORAN[1], ALBORAN[0], 0.0, 0.5 * MPS_PER_KN * 2400)
    return [*loiter, detection("own", 2400, lat, lon, scene="scene-dr"),
            detection("boat", 2400, lat + 0.005, lon, scene="scene-dr")]


@cache
def _all_detected() -> dict[AlertKind, Alert]:
    out: dict[AlertKind, Alert] = {}
    for recs in (mini_scenario() + _scenes(), dark_with_sightings(), _dark_rendezvous()):
        for a in live(run(recs)):
            have = out.get(a.kind)
            # prefer a closed alert, then one with satellite detections (the dark period seen by SAR)
            rank = (a.status == AlertStatus.CLOSED, bool(a.detection_ids))
            if have is None or rank > (have.status == AlertStatus.CLOSED, bool(have.detection_ids)):
                out[a.kind] = a
    out[AlertKind.IDENTITY_ANOMALY] = identity_anomaly_at(224000009, ((-4.5, 36.0), (-15.4, 28.1)), "detector",
                                                          closed=True)
    missing = set(AlertKind) - set(out)
    assert not missing, f"the sample scenarios no longer give {missing}"
    return out


def detected(kind: AlertKind | str) -> Alert:
    """The detector's final alert of ``kind`` on the sample scenarios."""
    return _all_detected()[AlertKind(kind)]


def identity_anomaly_at(mmsi: int, places: tuple[tuple[float, float], ...], zone: str, *, closed: bool = True,
                        rounds: int = 8, start_ms: int = T0) -> Alert:
    """The engine's identity anomaly for ``mmsi`` heard at each of ``places`` (lon, lat) in turn, one report a
    minute for ``rounds`` rounds, in a zone named ``zone`` covering the world; ``closed``: then only the
    first place for seven more hours (the anomaly closes after six quiet ones)."""
    from msa.domain import PositionReport

    n = len(places)
    recs: list[PositionReport] = []
    for k in range(rounds):
        for i, (lon, lat) in enumerate(places):
            recs.append(PositionReport(mmsi=mmsi, ts_ms=start_ms + (k * n + i) * 60_000, lat=lat + k * 0.001,
                                       lon=lon + k * 0.001, sog_kn=10.0, cog_deg=45.0))
    if closed:
        lon, lat = places[0]
        t0 = start_ms + rounds * n * 60_000
        recs += [PositionReport(mmsi=mmsi, ts_ms=t0 + j * 600_000, lat=lat + rounds * 0.001, lon=lon + rounds * 0.001,
                                sog_kn=0.0, cog_deg=0.0) for j in range(7 * 6 + 1)]
    engine = make_engine(zone_index=box_zones(WORLD, name=zone))
    (a,) = [x for x in live(run(recs, engine=engine)) if x.kind == AlertKind.IDENTITY_ANOMALY]
    assert (a.status == AlertStatus.CLOSED) == closed, a.status
    parse_evidence(a.kind.value, a.evidence)
    return a


def _first_lonlat(a: Alert) -> tuple[float, float]:
    """The alert's place: its geometry's first point (a run's start, a meeting, a detection...)."""
    c: Any = a.geometry["coordinates"]
    while isinstance(c[0], list):
        c = c[0]
    return float(c[0]), float(c[1])


def relocated(a: Alert, *, zone: str, mmsi: tuple[int, ...], start_ms: int, lon: float, lat: float,
              version: int = 1, status: AlertStatus = AlertStatus.OPEN, severity: Severity = Severity.HIGH,
              score: float = 0.9, detection_ids: tuple[str, ...] = (), extra: str = "",
              summary: str = "") -> Alert:
    """``a`` moved to ``zone``/``mmsi``/``start_ms``, its geometry's first point to (lon, lat)."""
    x0, y0 = _first_lonlat(a)
    dlon, dlat, dt_ms = lon - x0, lat - y0, start_ms - a.start_ms
    mmsi_map = dict(zip(a.mmsi, mmsi, strict=False))
    det_map = dict(zip(a.detection_ids, detection_ids, strict=False))

    def pos(p: list[Any]) -> list[Any]:
        if p and isinstance(p[0], list):
            return [pos(q) for q in p]
        return [round(p[0] + dlon, 6), round(p[1] + dlat, 6), *p[2:]]

    def move(v: Any, key: str = "") -> Any:
        if isinstance(v, dict):
            return {k: move(x, k) for k, x in v.items()}
        if isinstance(v, list):
            return pos(v) if key in _LONLAT_LISTS and v else [move(x, key) for x in v]
        if isinstance(v, bool):
            return v
        if key == "lon" and isinstance(v, int | float):
            return round(v + dlon, 6)
        if key == "lat" and isinstance(v, int | float):
            return round(v + dlat, 6)
        if key == "mmsi" and isinstance(v, int):
            return mmsi_map.get(v, v)
        if key == "detection_id" and isinstance(v, str):
            return det_map.get(v, v)
        if isinstance(v, str) and _TS.match(v):
            return format_ts(parse_ts(v) + dt_ms)
        return v

    evidence = move(a.evidence)
    parse_evidence(a.kind.value, evidence)
    dur_ms = (a.end_ms if a.end_ms is not None else a.updated_ms) - a.start_ms
    ids = tuple(det_map.get(d, d) for d in a.detection_ids) + detection_ids[len(a.detection_ids):]
    return dataclasses.replace(
        a, alert_id=make_alert_id(a.kind, mmsi, start_ms, zone, extra), status=status, version=version, mmsi=mmsi,
        start_ms=start_ms, end_ms=None if status is AlertStatus.OPEN else start_ms + max(dur_ms, 60_000),
        updated_ms=start_ms + version * 60_000, zone=zone, severity=severity, score=score,
        geometry=move(a.geometry), vessels=tuple(VesselIdentity(mmsi=m, name=f"VESSEL {m}", flag="ES") for m in mmsi),
        detection_ids=ids, summary=summary or f"{a.kind} in {zone}", evidence=evidence)
