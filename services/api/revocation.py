"""Revoked bearer tokens (``msa tokens revoke``): the ids (``jti``) the API refuses before their expiry.

Each API process keeps the list in memory and reads it again from the database at most every ``refresh_s``
(10 s by default, ``MSA_TOKEN_REVOCATION_REFRESH_S``): a revoked token stops working within that, and the live
feed it opened ends (``event: revoked``) at its next credential check. While the database is away the last list
read is kept (requests needing data answer 503 anyway).
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.api.db import is_database_outage
from services.api.tables import revoked_tokens

__all__ = ["RevokedTokens"]

log = logging.getLogger(__name__)


class RevokedTokens:
    def __init__(self, refresh_s: float = 10.0) -> None:
        self.refresh_s = refresh_s
        self.ids: frozenset[str] = frozenset()
        self.loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    async def contains(self, engine: AsyncEngine, jti: str) -> bool:
        if time.monotonic() - self.loaded_at >= self.refresh_s:
            async with self._lock:
                if time.monotonic() - self.loaded_at >= self.refresh_s:
                    await self._load(engine)
        return jti in self.ids

    async def _load(self, engine: AsyncEngine) -> None:
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(select(revoked_tokens.c.jti).where(
                    or_(revoked_tokens.c.expires_ts.is_(None), revoked_tokens.c.expires_ts > func.now())))
                self.ids = frozenset(r[0] for r in rows)
        except Exception as exc:
            if not is_database_outage(exc):
                raise
            log.warning("revoked tokens not re-read (database unavailable): the last list stands")
        self.loaded_at = time.monotonic()
