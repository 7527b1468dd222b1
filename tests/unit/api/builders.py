"""Test-data builders for the alert service (alerts, tokens, principals). Used by unit and integration tests.

Alerts are the detector's own output (``samples.py``), moved to the zone, vessels and time a test needs."""

from __future__ import annotations

import dataclasses

from msa.domain import Alert, AlertKind, AlertStatus, JsonDict, Severity
from services.api.principal import Principal, Role
from services.api.tokens import issue_token
from tests.unit.api.samples import detected, identity_anomaly_at, relocated

T0_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
SECRET = "unit-test-secret-that-is-long-enough-for-hs256"


def alert(*, kind: AlertKind = AlertKind.GO_FAST, zone: str = "alboran", mmsi: tuple[int, ...] = (224000001,),
          start_ms: int = T0_MS, version: int = 1, status: AlertStatus = AlertStatus.OPEN,
          severity: Severity = Severity.HIGH, lon: float = -4.5, lat: float = 36.0, score: float = 0.9,
          evidence: JsonDict | None = None, detection_ids: tuple[str, ...] = (), extra: str = "",
          summary: str = "") -> Alert:
    """The detector's alert of ``kind`` (``samples.detected``) moved to this zone, MMSIs, start and first
    position; ``version`` bumps ``updated``. ``evidence`` replaces the detector's — only for tests of what the
    service does with evidence that is not the detector's (old records, damaged ones)."""
    a = relocated(detected(kind), zone=zone, mmsi=mmsi, start_ms=start_ms, lon=lon, lat=lat, version=version,
                  status=status, severity=severity, score=score, detection_ids=detection_ids, extra=extra,
                  summary=summary)
    return a if evidence is None else dataclasses.replace(a, evidence=evidence)


def identity_anomaly(*, zone: str = "alboran", mmsi: int = 224000009, start_ms: int = T0_MS, version: int = 1,
                     status: AlertStatus = AlertStatus.OPEN, severity: Severity | None = None,
                     places: tuple[tuple[float, float], ...] = ((-4.5, 36.0), (-15.4, 28.1)),
                     fixes_per_segment: int = 4) -> Alert:
    """The detector's ``identity_anomaly`` for one MMSI heard round each of ``places`` (lon, lat) in turn,
    one report a minute, ``fixes_per_segment`` rounds (``samples.identity_anomaly_at``); closed unless
    ``status`` is open. ``version`` and ``severity`` (when given) are the test's."""
    a = identity_anomaly_at(mmsi, places, zone, closed=status is not AlertStatus.OPEN, rounds=fixes_per_segment,
                            start_ms=start_ms)
    return dataclasses.replace(a, version=version, status=status, severity=severity or a.severity,
                               updated_ms=a.updated_ms + (version - 1) * 60_000)


def principal(role: Role = Role.OFFICER, zones: tuple[str, ...] = ("alboran",), name: str = "alice") -> Principal:
    return Principal(name=name, role=role, zones=frozenset(zones))


def token(role: Role | str = Role.OFFICER, zones: tuple[str, ...] = ("alboran",), name: str = "alice",
          secret: str = SECRET, ttl_s: int = 3600, now_s: int | None = None) -> str:
    return issue_token(secret, name=name, role=Role(role), zones=list(zones), ttl_s=ttl_s, now_s=now_s)
