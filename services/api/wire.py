"""Alerts as CloudEvents (binary mode) on Kafka: thin re-export of the shared contract, plus partner events."""

from __future__ import annotations

from collections.abc import Sequence

from msa.contracts.cloudevents import alert_feature, alert_from_cloudevent, alert_to_cloudevent
from msa.contracts.codec import dumps
from msa.domain import Alert, JsonDict

__all__ = ["Headers", "alert_feature", "decode_alert", "encode_alert", "encode_partner_alert"]

Headers = list[tuple[str, bytes]]


def encode_alert(alert: Alert) -> tuple[bytes, Headers, bytes]:
    return alert_to_cloudevent(alert)


def decode_alert(headers: Sequence[tuple[str, bytes]], value: bytes) -> Alert:
    return alert_from_cloudevent(headers, value)


def encode_partner_alert(alert: Alert, partner: str, feature: JsonDict) -> tuple[bytes, Headers, bytes]:
    """Same CloudEvent attributes as ``alerts.v1`` with the partner view of the Feature as data."""
    key, headers, _ = alert_to_cloudevent(alert, source=f"/msa/partner-router/{partner}")
    return key, headers, dumps(feature)
