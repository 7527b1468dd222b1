"""Test-data builders for the alert service (alerts, tokens, principals). Used by unit and integration tests."""

from __future__ import annotations

from msa.domain import Alert, AlertKind, AlertStatus, JsonDict, Severity, VesselIdentity, make_alert_id
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


def principal(role: Role = Role.OFFICER, zones: tuple[str, ...] = ("alboran",), name: str = "alice") -> Principal:
    return Principal(name=name, role=role, zones=frozenset(zones))


def token(role: Role | str = Role.OFFICER, zones: tuple[str, ...] = ("alboran",), name: str = "alice",
          secret: str = SECRET, ttl_s: int = 3600, now_s: int | None = None) -> str:
    return issue_token(secret, name=name, role=Role(role), zones=list(zones), ttl_s=ttl_s, now_s=now_s)
