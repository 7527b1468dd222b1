"""A minimal AsyncAPI 3 document for ``alerts.v1`` and the partner topics, used when schemas/ has none."""

from __future__ import annotations

from typing import Any

from msa.contracts.topics import ALERTS, PARTNER_PREFIX

__all__ = ["fallback_asyncapi"]


def fallback_asyncapi() -> dict[str, Any]:
    headers = {"type": "object", "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject"],
               "properties": {h: {"type": "string"} for h in
                              ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject",
                               "ce_dataschema", "content-type")}}
    message = {"name": "Alert", "contentType": "application/geo+json", "headers": headers,
               "payload": {"type": "object", "description": "GeoJSON Feature: id = alert_id, properties = the "
                           "alert fields (officer-only fields never appear)",
                           "required": ["type", "id", "geometry", "properties"]}}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "MSA alerts", "version": "1.0.0",
                 "description": "Alerts as CloudEvents 1.0 (Kafka binary mode)."},
        "channels": {
            "alerts": {"address": ALERTS, "messages": {"alert": {"$ref": "#/components/messages/alert"}}},
            "partner": {"address": PARTNER_PREFIX + "{partner}",
                        "parameters": {"partner": {"description": "partner name"}},
                        "messages": {"alert": {"$ref": "#/components/messages/alert"}}},
        },
        "operations": {
            "receiveAlerts": {"action": "receive", "channel": {"$ref": "#/channels/alerts"}},
            "receivePartnerAlerts": {"action": "receive", "channel": {"$ref": "#/channels/partner"}},
        },
        "components": {"messages": {"alert": message}},
    }
