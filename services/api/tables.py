"""Tables the API uses: the lead's store (``msa.store.models``) plus what migration 0002 adds.

0002 adds ``alert_feed.action``, the stored column ``alerts.severity_rank`` (1 low … 3 high) and the
sort indexes, ``api_keys`` (hashed partner keys) and ``partner_subscriptions``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY

from msa.store.models import AlertEventRow, AlertRow, DetectionRow, PositionRow, VesselRow

__all__ = ["alert_events", "alert_feed", "alerts", "api_keys", "api_metadata", "detections",
           "partner_subscriptions", "positions", "revoked_tokens", "severity_rank", "vessels"]

alerts = AlertRow.__table__
alert_events = AlertEventRow.__table__
positions = PositionRow.__table__
detections = DetectionRow.__table__
vessels = VesselRow.__table__

api_metadata = MetaData()

# the lead's alert_feed with the column 0002 adds
alert_feed = Table(
    "alert_feed", api_metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=True),
    Column("alert_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("action", String(32), nullable=False, server_default="version"),
)

severity_rank = Column("severity_rank", SmallInteger)  # generated, stored (0002)

api_keys = Table(
    "api_keys", api_metadata,
    Column("prefix", Text, primary_key=True),
    Column("key_hash", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("zones", ARRAY(Text), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("revoked", Boolean, nullable=False, server_default="false"),
    Column("expires_ts", DateTime(timezone=True)),  # 0004; NULL only for keys made before it (then set)
    Column("revoked_at", DateTime(timezone=True)),  # 0004
)

revoked_tokens = Table(  # 0006: bearer tokens refused before their expiry (msa tokens revoke)
    "revoked_tokens", api_metadata,
    Column("jti", Text, primary_key=True),
    Column("name", Text),
    Column("reason", Text, nullable=False, server_default=""),
    Column("revoked_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_ts", DateTime(timezone=True)),
)

partner_subscriptions = Table(
    "partner_subscriptions", api_metadata,
    Column("partner", Text, primary_key=True),
    Column("zones", ARRAY(Text), nullable=False),  # "*" = every zone
    Column("kinds", ARRAY(Text), nullable=False),  # empty = every kind
    Column("enabled", Boolean, nullable=False, server_default="true"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
