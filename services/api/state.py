"""What the running API holds: settings, the database engine, verifier, limiter, feed hub, zones, metrics."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from services.api.feed import FeedHub
from services.api.metrics import ApiMetrics
from services.api.ratelimit import RateLimiter
from services.api.settings import ApiSettings
from services.api.tokens import TokenVerifier

__all__ = ["AppState"]


@dataclass(slots=True)
class AppState:
    settings: ApiSettings
    engine: AsyncEngine
    verifier: TokenVerifier
    limiter: RateLimiter
    hub: FeedHub
    metrics: ApiMetrics
    zones: dict[str, Any] = field(default_factory=dict)  # FeatureCollection
    regions: dict[str, frozenset[str]] = field(default_factory=dict)  # region → zone names
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    api_key_cache: dict[str, Any] = field(default_factory=dict)
