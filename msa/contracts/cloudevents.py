"""Alerts as CloudEvents 1.0 in Kafka binary content mode.

Attributes travel as ``ce_*`` headers, the data (a GeoJSON Feature, RFC 7946) is the record value and
``content-type`` is ``application/geo+json``. The record key is the alert id, so every version of one alert
lands on one partition, in order.
"""

from __future__ import annotations

from collections.abc import Sequence

from msa.contracts.codec import alert_from_dict, alert_to_dict, dumps, loads
from msa.domain import Alert, JsonDict, format_ts

__all__ = [
    "ALERT_DATASCHEMA",
    "ALERT_EVENT_TYPE",
    "CONTENT_TYPE",
    "alert_feature",
    "alert_from_cloudevent",
    "alert_from_feature",
    "alert_to_cloudevent",
]

CONTENT_TYPE = "application/geo+json"
ALERT_EVENT_TYPE = "eu.msa.alert.v1"
ALERT_DATASCHEMA = "https://msa.example.org/schemas/alert.schema.json"

Headers = list[tuple[str, bytes]]


def alert_feature(alert: Alert) -> JsonDict:
    props = alert_to_dict(alert)
    geometry = props.pop("geometry")
    return {"type": "Feature", "id": alert.alert_id, "geometry": geometry, "properties": props}


def alert_from_feature(feature: JsonDict) -> Alert:
    props = dict(feature["properties"])
    props["geometry"] = feature["geometry"]
    props.setdefault("alert_id", feature.get("id"))
    return alert_from_dict(props)


def alert_to_cloudevent(alert: Alert, source: str = "/msa/detector") -> tuple[bytes, Headers, bytes]:
    headers: Headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", f"{alert.alert_id}:{alert.version}".encode()),
        ("ce_source", source.encode()),
        ("ce_type", f"{ALERT_EVENT_TYPE}.{alert.status}".encode()),
        ("ce_time", format_ts(alert.updated_ms).encode()),
        ("ce_subject", alert.alert_id.encode()),
        ("ce_dataschema", ALERT_DATASCHEMA.encode()),
        ("content-type", CONTENT_TYPE.encode()),
    ]
    return alert.alert_id.encode(), headers, dumps(alert_feature(alert))


def alert_from_cloudevent(headers: Sequence[tuple[str, bytes]], value: bytes) -> Alert:
    attrs = {k: v.decode() for k, v in headers}
    if attrs.get("ce_specversion") != "1.0":
        raise ValueError("not a CloudEvents 1.0 record (missing ce_specversion)")
    ctype = attrs.get("content-type", CONTENT_TYPE)
    if ctype != CONTENT_TYPE:
        raise ValueError(f"unexpected content-type {ctype!r}")
    return alert_from_feature(loads(value))
