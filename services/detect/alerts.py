"""Alert versions: open → updated → closed (or retracted), a new version only when something changed.

Detectors describe the current state of an alert as an ``AlertDraft``; the ``AlertBook`` turns drafts
into numbered ``Alert`` versions, keyed by the content-hash id of ``msa.domain.make_alert_id``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from msa.domain import Alert, AlertKind, AlertStatus, JsonDict, Severity, VesselIdentity, format_ts, make_alert_id

__all__ = ["AlertBook", "AlertDraft", "draft_content", "fix_evidence", "history_track", "line_geometry",
           "point_geometry", "track_fix"]


@dataclass(frozen=True, slots=True)
class AlertDraft:
    kind: AlertKind
    mmsi: tuple[int, ...]
    start_ms: int
    zone: str
    closed: bool
    end_ms: int | None
    updated_ms: int
    severity: Severity
    score: float
    geometry: JsonDict
    vessels: tuple[VesselIdentity, ...] = ()
    detection_ids: tuple[str, ...] = ()
    summary: str = ""
    evidence: JsonDict = field(default_factory=dict)
    extra_id: str = ""

    @property
    def alert_id(self) -> str:
        return make_alert_id(self.kind, self.mmsi, self.start_ms, self.zone, self.extra_id)


def draft_content(d: AlertDraft) -> tuple[Any, ...]:
    """What a version made of ``d`` would show (``_content`` of it, the open/updated distinction aside)."""
    return (d.closed, d.end_ms, d.severity, round(d.score, 4), d.geometry, d.vessels, d.detection_ids, d.summary,
            d.evidence)


def _content(a: Alert) -> tuple[Any, ...]:
    return (a.status, a.end_ms, a.severity, round(a.score, 4), a.geometry, a.vessels, a.detection_ids,
            a.summary, a.evidence)


class AlertBook:
    """The latest version of every live alert. Closed alerts are pruned after a retention period."""

    __slots__ = ("_alerts",)

    def __init__(self) -> None:
        self._alerts: dict[str, Alert] = {}

    def get(self, alert_id: str) -> Alert | None:
        return self._alerts.get(alert_id)

    def __len__(self) -> int:
        return len(self._alerts)

    def publish(self, d: AlertDraft) -> Alert | None:
        aid = d.alert_id
        prev = self._alerts.get(aid)
        if prev is not None and prev.status == AlertStatus.RETRACTED:
            return None  # a retracted alert stays retracted
        status = AlertStatus.CLOSED if d.closed else AlertStatus.OPEN if prev is None else AlertStatus.UPDATED
        alert = Alert(alert_id=aid, kind=d.kind, status=status, version=1 if prev is None else prev.version + 1,
                      mmsi=tuple(sorted(d.mmsi)), start_ms=d.start_ms, end_ms=d.end_ms,
                      updated_ms=d.updated_ms, zone=d.zone, severity=d.severity, score=round(d.score, 4),
                      geometry=d.geometry, vessels=d.vessels, detection_ids=d.detection_ids,
                      summary=d.summary, evidence=d.evidence)
        if prev is not None:
            same = _content(prev) == _content(alert)
            if same or (prev.status == AlertStatus.OPEN and status == AlertStatus.UPDATED
                        and _content(prev)[1:] == _content(alert)[1:]):
                return None
        self._alerts[aid] = alert
        return alert

    def retract(self, alert_id: str, updated_ms: int, reason: str) -> Alert | None:
        prev = self._alerts.get(alert_id)
        if prev is None or prev.status == AlertStatus.RETRACTED:
            return None
        evidence = dict(prev.evidence)
        evidence["retracted_because"] = reason
        alert = Alert(alert_id=prev.alert_id, kind=prev.kind, status=AlertStatus.RETRACTED,
                      version=prev.version + 1, mmsi=prev.mmsi, start_ms=prev.start_ms, end_ms=prev.end_ms,
                      updated_ms=max(updated_ms, prev.updated_ms), zone=prev.zone, severity=prev.severity,
                      score=0.0, geometry=prev.geometry, vessels=prev.vessels,
                      detection_ids=prev.detection_ids, summary=f"retracted: {reason}", evidence=evidence)
        self._alerts[alert_id] = alert
        return alert

    def prune(self, before_ms: int) -> int:
        """Forget closed/retracted alerts last updated before ``before_ms``."""
        old = [k for k, a in self._alerts.items()
               if a.status in (AlertStatus.CLOSED, AlertStatus.RETRACTED) and a.updated_ms < before_ms]
        for k in old:
            del self._alerts[k]
        return len(old)


def point_geometry(lon: float, lat: float) -> JsonDict:
    return {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}


def line_geometry(points: list[tuple[float, float]]) -> JsonDict:
    if len(points) == 1:
        return point_geometry(*points[0])
    return {"type": "LineString", "coordinates": [[round(x, 6), round(y, 6)] for x, y in points]}


def fix_evidence(ts_ms: int, lon: float, lat: float, sog_kn: float | None = None) -> JsonDict:
    d: JsonDict = {"ts": format_ts(ts_ms), "lon": round(lon, 6), "lat": round(lat, 6)}
    if sog_kn is not None and sog_kn >= 0:
        d["sog_kn"] = round(sog_kn, 2)
    return d


def track_fix(mmsi: int, ts_ms: int, lon: float, lat: float, sog_kn: float | None = None,
              cog_deg: float | None = None) -> JsonDict:
    """One fix of ``evidence.track`` (``msa.evidence.EvidenceFix``); unknown SOG/COG (None or < 0) left out."""
    d = fix_evidence(ts_ms, lon, lat, sog_kn)
    d["mmsi"] = mmsi
    if cog_deg is not None and 0 <= cog_deg < 360:
        d["cog_deg"] = round(cog_deg, 1)
    return d


def history_track(mmsi: int, hist: Any, t0_ms: int, t1_ms: int, limit: int = 40) -> list[JsonDict]:
    """A vessel's kept fixes in [t0, t1] (its ``TrackHistory``; None → none) as ``evidence.track`` fixes."""
    if hist is None:
        return []
    return [track_fix(mmsi, k.ts_ms, k.lon, k.lat, k.sog_kn, k.cog_deg) for k in hist.between(t0_ms, t1_ms, limit)]
