"""Database rows → public dicts (officer view) and the partner view that omits officer-only fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column

from msa.contracts.codec import loads
from msa.domain import JsonDict, format_ts
from services.api.tables import alerts

__all__ = [
    "ALERT_COLUMNS",
    "LIST_COLUMNS",
    "OFFICER_ONLY_FIELDS",
    "TRACK_EVIDENCE_KEYS",
    "alert_row_to_dict",
    "ms",
    "partner_view",
    "ts_text",
]

OFFICER_ONLY_FIELDS = ("workflow", "comments", "assignee")

ALERT_COLUMNS: tuple[ColumnElement[Any], ...] = (
    alerts.c.alert_id, alerts.c.kind, alerts.c.status, alerts.c.version, alerts.c.mmsi, alerts.c.start_ts,
    alerts.c.end_ts, alerts.c.updated_ts, alerts.c.zone, alerts.c.severity, alerts.c.score,
    func.ST_AsGeoJSON(alerts.c.geom, 6).label("geojson"), alerts.c.summary, alerts.c.vessels,
    alerts.c.detection_ids, alerts.c.workflow_state, alerts.c.assignee, alerts.c.closed_reason,
    alerts.c.row_version, literal_column("alerts.severity_rank").label("severity_rank"), alerts.c.evidence,
)
LIST_COLUMNS = ALERT_COLUMNS[:-1]  # lists and the feed leave the (possibly large) evidence out


def ms(dt: datetime) -> int:
    return round(dt.timestamp() * 1000)


def ts_text(dt: datetime | None) -> str | None:
    return None if dt is None else format_ts(ms(dt))


def alert_row_to_dict(r: Any) -> JsonDict:
    geometry = loads(r.geojson) if r.geojson else None
    return {
        "alert_id": r.alert_id, "kind": r.kind, "status": r.status, "version": r.version,
        "mmsi": list(r.mmsi), "start": ts_text(r.start_ts), "end": ts_text(r.end_ts),
        "updated": ts_text(r.updated_ts), "zone": r.zone, "severity": r.severity, "score": round(r.score, 4),
        "geometry": geometry, "vessels": list(r.vessels or []), "detection_ids": list(r.detection_ids or []),
        "summary": r.summary, **({"evidence": dict(r.evidence or {})} if "evidence" in r._fields else {}),
        "workflow": {"state": r.workflow_state, "assignee": r.assignee, "closed_reason": r.closed_reason,
                     "version": r.row_version},
    }


# evidence that is a track (AIS positions over time, the alert's vessels' or others'): partners have no track
# permission, so the partner view leaves these out (the alert's geometry, figures and detections stay)
TRACK_EVIDENCE_KEYS = frozenset({"track", "nearby", "positions"})


def _partner_evidence(ev: JsonDict) -> JsonDict:
    out = {k: v for k, v in ev.items() if k not in TRACK_EVIDENCE_KEYS}
    clusters = out.get("clusters")
    if isinstance(clusters, list):
        out["clusters"] = [{k: v for k, v in c.items() if k not in TRACK_EVIDENCE_KEYS} if isinstance(c, dict)
                           else c for c in clusters]
    segments = out.get("segments")  # alerts stored before the evidence contract
    if isinstance(segments, list):
        out["segments"] = [{k: v for k, v in c.items() if k not in TRACK_EVIDENCE_KEYS} if isinstance(c, dict)
                           else c for c in segments]
    return out


def partner_view(d: JsonDict) -> JsonDict:
    """Drop officer-only fields (workflow state, assignee, comments) and the evidence's tracks, at every level
    we produce (REST, live feed, partner topics, CISE)."""
    out = {k: v for k, v in d.items() if k not in OFFICER_ONLY_FIELDS}
    if isinstance(out.get("evidence"), dict):
        out["evidence"] = _partner_evidence(out["evidence"])
    if "track" in out:
        out["track"] = []
    return out
