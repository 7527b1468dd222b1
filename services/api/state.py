"""What the running API holds: settings, the database engine, verifier, limiter, feed hub, zones, metrics."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from services.api.feed import FeedHub
from services.api.metrics import ApiMetrics
from services.api.ratelimit import RateLimiter
from services.api.revocation import RevokedTokens
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
    # valid API keys only (digest → (checked at, principal)), at most API_KEY_CACHE_MAX: unknown keys are not
    # remembered (a flood of them would grow it) but cost their client address its failure budget
    api_key_cache: OrderedDict[str, Any] = field(default_factory=OrderedDict)
    auth_failures: RateLimiter = field(default_factory=lambda: RateLimiter(1.0, 20))
    revoked: RevokedTokens = field(default_factory=RevokedTokens)  # bearer tokens refused before their exp
