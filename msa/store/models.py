"""Tables of the alert store (SQLAlchemy 2 + GeoAlchemy2), the one definition of each: the sink and the API
query them (``services/api/tables.py`` names their ``__table__``), the migrations (``migrations/versions``)
create them. Geometries are WGS84 (SRID 4326), lon/lat.

Not modelled: ``alerts.severity_rank``, a column PostgreSQL generates (migration 0002); the API reads it as
a literal column and nothing writes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["AlertEventRow", "AlertFeedRow", "AlertRow", "ApiKeyRow", "Base", "DetectionRow", "PartnerSubscriptionRow",
           "PositionRow", "RevokedTokenRow", "VesselRow"]


class Base(DeclarativeBase):
    pass


class AlertRow(Base):
    """Latest version of each alert, plus its coordinator workflow state."""

    __tablename__ = "alerts"

    alert_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    mmsi: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), nullable=False)
    start_ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    end_ts: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    zone: Mapped[str] = mapped_column(String(128), nullable=False)
    severity: Mapped[str] = mapped_column(String(16), nullable=False)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    geom: Mapped[Any] = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    vessels: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    detection_ids: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, default=list)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    # coordinator workflow
    workflow_state: Mapped[str] = mapped_column(String(16), nullable=False, server_default="new")
    assignee: Mapped[str | None] = mapped_column(String(128))
    closed_reason: Mapped[str | None] = mapped_column(String(32))
    row_version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                  server_default=func.now())

    __table_args__ = (
        Index("ix_alerts_geom", "geom", postgresql_using="gist"),
        Index("ix_alerts_kind_start", "kind", "start_ts"),
        Index("ix_alerts_zone_start", "zone", "start_ts"),
        Index("ix_alerts_status", "status"),
        Index("ix_alerts_start", "start_ts"),
        Index("ix_alerts_mmsi", "mmsi", postgresql_using="gin"),
    )


class AlertEventRow(Base):
    """Append-only audit trail: every alert version received and every coordinator action."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(String(64), ForeignKey("alerts.alert_id", ondelete="CASCADE"),
                                          nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    actor: Mapped[str] = mapped_column(String(128), nullable=False)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)

    __table_args__ = (Index("ix_alert_events_alert", "alert_id", "id"),)


class AlertFeedRow(Base):
    """Monotonic sequence of alert changes: the live feed's event ids (resumable with Last-Event-ID)."""

    __tablename__ = "alert_feed"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(String(64), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    # what changed (0002): "version" (a new alert version) or a coordinator action
    action: Mapped[str] = mapped_column(String(32), nullable=False, server_default="version")


class VesselRow(Base):
    __tablename__ = "vessels"

    mmsi: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(64))
    call_sign: Mapped[str | None] = mapped_column(String(16))
    imo: Mapped[int | None] = mapped_column(BigInteger)
    flag: Mapped[str | None] = mapped_column(String(2))
    ship_type: Mapped[int | None] = mapped_column(Integer)
    length_m: Mapped[float | None] = mapped_column(Float)
    last_ts: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_geom: Mapped[Any] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                 server_default=func.now())


class PositionRow(Base):
    """Positions kept for alert evidence tracks and vessel pages."""

    __tablename__ = "positions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    mmsi: Mapped[int] = mapped_column(BigInteger, nullable=False)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    geom: Mapped[Any] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    sog_kn: Mapped[float | None] = mapped_column(Float)
    cog_deg: Mapped[float | None] = mapped_column(Float)
    alert_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("uq_positions_mmsi_ts", "mmsi", "ts", unique=True),
        Index("ix_positions_geom", "geom", postgresql_using="gist"),
        Index("ix_positions_alert", "alert_id"),
    )


class DetectionRow(Base):
    """Satellite vessel detections referenced by alerts."""

    __tablename__ = "detections"

    detection_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    geom: Mapped[Any] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    confidence: Mapped[float] = mapped_column(Float, nullable=False)
    sensor: Mapped[str] = mapped_column(String(64), nullable=False)
    scene_id: Mapped[str] = mapped_column(String(128), nullable=False)
    length_m: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (Index("ix_detections_geom", "geom", postgresql_using="gist"),)


class ApiKeyRow(Base):
    """Partner API keys, stored hashed (0002; expiry and revocation time 0004)."""

    __tablename__ = "api_keys"

    prefix: Mapped[str] = mapped_column(Text, primary_key=True)
    key_hash: Mapped[str] = mapped_column(Text, nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(Text, nullable=False)
    zones: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    revoked: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    expires_ts: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # NULL only for keys before 0004
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RevokedTokenRow(Base):
    """Bearer tokens refused before their expiry (``msa tokens revoke``, 0006)."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    revoked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    expires_ts: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PartnerSubscriptionRow(Base):
    """Which zones and kinds a partner's topic carries (0002)."""

    __tablename__ = "partner_subscriptions"

    partner: Mapped[str] = mapped_column(Text, primary_key=True)
    zones: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)  # "*" = every zone
    kinds: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)  # empty = every kind
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
