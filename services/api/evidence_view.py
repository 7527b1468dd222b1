"""Pull evidence positions and satellite detections out of an alert's ``evidence`` (lenient, pure).

Evidence of the contract (``msa.evidence``, ``evidence_version`` 2): ``track`` and ``detections``, read as
they are. Alerts stored before it (version 1) are read leniently: a list under ``positions``,
``track``, ``fixes`` or ``points``, a mapping MMSI → list under ``tracks``, or (``identity_anomaly``) a list
of position clusters under ``segments``, each with its own ``positions`` list; each fix a dict with
``mmsi``, ``ts`` (ISO 8601) or ``ts_ms``, ``lat``, ``lon`` and optional ``sog_kn`` / ``cog_deg``, or a
list ``[ts_ms, lat, lon(, sog)]``. Detections: dicts under ``detections`` in the record wire format.
Anything else is skipped and counted, never raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from msa.domain import Alert, SatelliteDetection, parse_ts

__all__ = ["EvidenceFix", "extract_detections", "extract_fixes"]


@dataclass(frozen=True, slots=True)
class EvidenceFix:
    mmsi: int
    ts_ms: int
    lat: float
    lon: float
    sog_kn: float | None = None
    cog_deg: float | None = None


def _ts(v: Any) -> int:
    if isinstance(v, int | float):
        return int(v)
    return parse_ts(str(v))


def _fix(item: Any, default_mmsi: int | None) -> EvidenceFix | None:
    try:
        if isinstance(item, dict):
            mmsi = int(item.get("mmsi", default_mmsi))  # type: ignore[arg-type]
            ts = _ts(item["ts_ms"]) if "ts_ms" in item else _ts(item.get("ts", item.get("time")))
            lat, lon = float(item["lat"]), float(item["lon"])
            sog = item.get("sog_kn")
            cog = item.get("cog_deg")
            fix = EvidenceFix(mmsi, ts, lat, lon, None if sog is None else float(sog),
                              None if cog is None else float(cog))
        elif isinstance(item, list | tuple) and len(item) >= 3 and default_mmsi is not None:
            sog = float(item[3]) if len(item) > 3 and item[3] is not None else None
            fix = EvidenceFix(default_mmsi, _ts(item[0]), float(item[1]), float(item[2]), sog)
        else:
            return None
    except (KeyError, TypeError, ValueError):
        return None
    if not (-90 <= fix.lat <= 90 and -180 <= fix.lon <= 180):
        return None
    return fix


def extract_fixes(alert: Alert) -> tuple[list[EvidenceFix], int]:
    """(fixes, number of items skipped)."""
    ev = alert.evidence
    default = alert.mmsi[0] if len(alert.mmsi) == 1 else None
    items: list[tuple[Any, int | None]] = []
    if "evidence_version" in ev:  # the contract: one list
        track = ev.get("track")
        items = [(it, default) for it in track] if isinstance(track, list) else []
        return _fixes(items)
    for key in ("positions", "track", "fixes", "points"):
        val = ev.get(key)
        if isinstance(val, list):
            items.extend((it, default) for it in val)
    segments = ev.get("segments")
    if isinstance(segments, list):
        for seg in segments:
            val = seg.get("positions") if isinstance(seg, dict) else None
            if isinstance(val, list):
                items.extend((it, default) for it in val)
            elif not isinstance(seg, dict):
                items.append((seg, None))  # garbage: skipped and counted below
    tracks = ev.get("tracks")
    if isinstance(tracks, dict):
        for k, val in tracks.items():
            if isinstance(val, list):
                m = int(k) if str(k).isdigit() else default
                items.extend((it, m) for it in val)
    return _fixes(items)


def _fixes(items: list[tuple[Any, int | None]]) -> tuple[list[EvidenceFix], int]:
    fixes: list[EvidenceFix] = []
    skipped = 0
    for it, m in items:
        f = _fix(it, m)
        if f is None:
            skipped += 1
        else:
            fixes.append(f)
    return fixes, skipped


def extract_detections(alert: Alert) -> tuple[list[SatelliteDetection], int]:
    val = alert.evidence.get("detections")
    if val is None:  # version 1 dark periods
        val = alert.evidence.get("satellite_detections")
    out: list[SatelliteDetection] = []
    skipped = 0
    for item in val if isinstance(val, list) else []:
        try:
            out.append(SatelliteDetection(
                detection_id=str(item["detection_id"]),
                ts_ms=_ts(item["ts_ms"]) if "ts_ms" in item else _ts(item["ts"]),
                lat=float(item["lat"]), lon=float(item["lon"]),
                confidence=float(item.get("confidence", 0.0)), sensor=str(item.get("sensor", "")),
                scene_id=str(item.get("scene_id", "")),
                length_m=None if item.get("length_m") is None else float(item["length_m"])))
        except (KeyError, TypeError, ValueError):
            skipped += 1
    return out, skipped
