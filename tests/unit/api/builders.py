"""Test-data builders for the alert service (alerts, tokens, principals). Used by unit and integration tests."""

from __future__ import annotations

import math
from itertools import pairwise

from msa.domain import (
    Alert,
    AlertKind,
    AlertStatus,
    JsonDict,
    Severity,
    VesselIdentity,
    format_ts,
    make_alert_id,
)
from services.api.principal import Principal, Role
from services.api.tokens import issue_token

T0_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
SECRET = "unit-test-secret-that-is-long-enough-for-hs256"


def alert(*, kind: AlertKind = AlertKind.GO_FAST, zone: str = "alboran", mmsi: tuple[int, ...] = (224000001,),
          start_ms: int = T0_MS, version: int = 1, status: AlertStatus = AlertStatus.OPEN,
          severity: Severity = Severity.HIGH, lon: float = -4.5, lat: float = 36.0, score: float = 0.9,
          evidence: JsonDict | None = None, detection_ids: tuple[str, ...] = (), extra: str = "",
          summary: str = "") -> Alert:
    """An alert whose id is the content hash, like the detector's; ``version`` bumps ``updated``."""
    fixes = [{"mmsi": m, "ts_ms": start_ms + i * 60_000, "lat": lat + i * 0.01, "lon": lon + i * 0.01,
              "sog_kn": 35.0} for m in mmsi for i in range(3)]
    return Alert(
        alert_id=make_alert_id(kind, mmsi, start_ms, zone, extra),
        kind=kind, status=status, version=version, mmsi=mmsi, start_ms=start_ms,
        end_ms=None if status is AlertStatus.OPEN else start_ms + 600_000,
        updated_ms=start_ms + version * 60_000, zone=zone, severity=severity, score=score,
        geometry={"type": "LineString", "coordinates": [[lon, lat], [lon + 0.02, lat + 0.02]]},
        vessels=tuple(VesselIdentity(mmsi=m, name=f"VESSEL {m}", flag="ES") for m in mmsi),
        detection_ids=detection_ids, summary=summary or f"{kind} in {zone}",
        evidence={"positions": fixes} if evidence is None else evidence,
    )


def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle metres between (lon, lat) points (enough for test data)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def identity_anomaly(*, zone: str = "alboran", mmsi: int = 224000009, start_ms: int = T0_MS, version: int = 1,
                     status: AlertStatus = AlertStatus.OPEN, severity: Severity = Severity.MEDIUM,
                     places: tuple[tuple[float, float], ...] = ((-4.5, 36.0), (-15.4, 28.1)),
                     fixes_per_segment: int = 4, placeholder: bool = False) -> Alert:
    """An ``identity_anomaly`` shaped like the detector's: one MMSI heard round each of ``places`` (lon, lat),
    one fix a minute taking turns (segment 0, 1, …, 0, 1, …), so every fix after the first is a hop.
    Geometry = MultiPoint of the segment centroids (segment 0 first); evidence = segments with their
    positions, hops with distance and implied speed, transitions, pattern, thresholds."""
    kind = AlertKind.IDENTITY_ANOMALY
    n = len(places)
    fixes: list[tuple[int, int, float, float]] = []  # (segment, ts_ms, lon, lat) in time order
    for k in range(fixes_per_segment):
        for i, (lon, lat) in enumerate(places):
            fixes.append((i, start_ms + (k * n + i) * 60_000, round(lon + k * 0.001, 6), round(lat + k * 0.001, 6)))
    segments: list[JsonDict] = []
    for i in range(n):
        own = [f for f in fixes if f[0] == i]
        centroid = [round(sum(f[2] for f in own) / len(own), 6), round(sum(f[3] for f in own) / len(own), 6)]
        segments.append({"segment": i, "fixes": len(own), "first": format_ts(own[0][1]), "last": format_ts(own[-1][1]),
                         "centroid": centroid,
                         "positions": [{"ts": format_ts(t), "lon": lon, "lat": lat} for _, t, lon, lat in own]})
    hops: list[JsonDict] = []
    for a, b in pairwise(fixes):
        dist = _distance_m((a[2], a[3]), (b[2], b[3]))
        hops.append({"ts": format_ts(b[1]), "from_segment": a[0], "to_segment": b[0], "distance_m": round(dist),
                     "implied_speed_kn": round(dist / ((b[1] - a[1]) / 1000) * 3600 / 1852, 1)})
    end_ms = None if status is AlertStatus.OPEN else fixes[-1][1]
    return Alert(
        alert_id=make_alert_id(kind, (mmsi,), start_ms, zone), kind=kind, status=status, version=version,
        mmsi=(mmsi,), start_ms=start_ms, end_ms=end_ms, updated_ms=fixes[-1][1] + version * 60_000, zone=zone,
        severity=severity, score=0.8,
        geometry={"type": "MultiPoint", "coordinates": [s["centroid"] for s in segments]},
        vessels=(VesselIdentity(mmsi=mmsi, name=f"VESSEL {mmsi}", flag="ES"),), detection_ids=(),
        summary=f"MMSI {mmsi} heard in {n} places no vessel could connect",
        evidence={"segments": segments, "hops": hops, "transitions": len(hops),
                  "max_implied_speed_kn": max((h["implied_speed_kn"] for h in hops), default=0.0),
                  "placeholder_mmsi": placeholder, "pattern": "alternating" if len(hops) >= n else "far_apart",
                  "thresholds": {"identity_max_plausible_kn": 80.0, "identity_min_fixes_per_segment": 3}},
    )


def principal(role: Role = Role.OFFICER, zones: tuple[str, ...] = ("alboran",), name: str = "alice") -> Principal:
    return Principal(name=name, role=role, zones=frozenset(zones))


def token(role: Role | str = Role.OFFICER, zones: tuple[str, ...] = ("alboran",), name: str = "alice",
          secret: str = SECRET, ttl_s: int = 3600, now_s: int | None = None) -> str:
    return issue_token(secret, name=name, role=Role(role), zones=list(zones), ttl_s=ttl_s, now_s=now_s)
