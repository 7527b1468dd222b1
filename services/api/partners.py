"""Partner subscriptions: which alerts go to which partner topic, and the partner view. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from msa.domain import Alert, AlertKind, JsonDict
from services.api.principal import ALL_ZONES
from services.api.rows import partner_view
from services.api.wire import alert_feature

__all__ = ["PARTNER_NAME", "Subscription", "check_subscription", "partner_feature", "route"]

PARTNER_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


@dataclass(frozen=True, slots=True)
class Subscription:
    partner: str
    zones: frozenset[str]  # "*" = every zone
    kinds: frozenset[str]  # empty = every kind
    enabled: bool = True

    def wants(self, alert: Alert) -> bool:
        if not self.enabled:
            return False
        if ALL_ZONES not in self.zones and alert.zone not in self.zones:
            return False
        return not self.kinds or str(alert.kind) in self.kinds


def check_subscription(sub: Subscription) -> None:
    """Refuse a subscription that could never be what was meant: a bad name or an alert kind that does not
    exist (a misspelt kind would otherwise silently route nothing). Raises ValueError."""
    if not PARTNER_NAME.match(sub.partner):
        raise ValueError("partner name: lower-case letters, digits, '-' and '_' (max 63)")
    unknown = sorted(sub.kinds - {str(k) for k in AlertKind})
    if unknown:
        raise ValueError(f"unknown alert kind(s) {', '.join(unknown)}; "
                         f"kinds are {', '.join(str(k) for k in AlertKind)}")


def route(subs: list[Subscription], alert: Alert) -> list[str]:
    """Partners that receive this alert, sorted (deterministic produce order)."""
    return sorted(s.partner for s in subs if s.wants(alert))


def partner_feature(alert: Alert) -> JsonDict:
    """The GeoJSON Feature a partner receives: no officer-only field, whatever the alert carries."""
    feat = alert_feature(alert)
    feat["properties"] = partner_view(feat["properties"])
    return feat
