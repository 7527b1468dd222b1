"""The store's tables as the API queries them (SQLAlchemy Core): each one the ``__table__`` of its model in
:mod:`msa.store.models`, the one definition (the migrations create them).

``alerts.severity_rank`` (1 low … 3 high), a column PostgreSQL generates (migration 0002), is not modelled:
the queries name it as a literal column.
"""

from __future__ import annotations

from sqlalchemy import Table

from msa.store.models import (
    AlertEventRow,
    AlertFeedRow,
    AlertRow,
    ApiKeyRow,
    Base,
    DetectionRow,
    PartnerSubscriptionRow,
    PositionRow,
    RevokedTokenRow,
    VesselRow,
)

__all__ = ["alert_events", "alert_feed", "alerts", "api_keys", "detections", "partner_subscriptions", "positions",
           "revoked_tokens", "vessels"]



def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)  # a declarative model's table (typed as a FromClause)
    return table


alerts = _table(AlertRow)
alert_events = _table(AlertEventRow)
alert_feed = _table(AlertFeedRow)
positions = _table(PositionRow)
detections = _table(DetectionRow)
vessels = _table(VesselRow)
api_keys = _table(ApiKeyRow)
revoked_tokens = _table(RevokedTokenRow)
partner_subscriptions = _table(PartnerSubscriptionRow)
