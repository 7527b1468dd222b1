"""Partner subscriptions and API keys in the database (async; used by the CLI and the partner router)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.api.partners import Subscription, check_subscription
from services.api.principal import Role
from services.api.tables import api_keys, partner_subscriptions, revoked_tokens
from services.api.tokens import generate_api_key

__all__ = ["create_api_key", "load_subscriptions", "set_subscription"]


async def load_subscriptions(conn: AsyncConnection) -> list[Subscription]:
    rows = (await conn.execute(select(partner_subscriptions).order_by(partner_subscriptions.c.partner))).all()
    return [Subscription(r.partner, frozenset(r.zones), frozenset(r.kinds), r.enabled) for r in rows]


async def set_subscription(conn: AsyncConnection, sub: Subscription) -> None:
    check_subscription(sub)
    stmt = insert(partner_subscriptions).values(partner=sub.partner, zones=sorted(sub.zones),
                                                kinds=sorted(sub.kinds), enabled=sub.enabled)
    await conn.execute(stmt.on_conflict_do_update(
        index_elements=["partner"],
        set_={"zones": stmt.excluded.zones, "kinds": stmt.excluded.kinds, "enabled": stmt.excluded.enabled}))


async def create_api_key(conn: AsyncConnection, name: str, role: Role, zones: list[str],
                         ttl_days: float = 365.0) -> str:
    """Store the hash with its expiry; return the plaintext key (shown once)."""
    key, prefix, digest = generate_api_key()
    expires = datetime.now(UTC) + timedelta(days=ttl_days)
    await conn.execute(api_keys.insert().values(prefix=prefix, key_hash=digest, name=name, role=str(role),
                                                zones=sorted(zones), expires_ts=expires))
    return key


async def revoke_api_keys(conn: AsyncConnection, name_or_prefix: str) -> list[str]:
    """Revoke the keys of a name (or the key of a prefix); the prefixes revoked (the API stops accepting them
    within its 30-s cache)."""
    q = (api_keys.update()
         .where((api_keys.c.name == name_or_prefix) | (api_keys.c.prefix == name_or_prefix), ~api_keys.c.revoked)
         .values(revoked=True, revoked_at=func.now()).returning(api_keys.c.prefix))
    return sorted(r.prefix for r in (await conn.execute(q)).all())


async def revoke_token(conn: AsyncConnection, jti: str, name: str | None, expires_ts: datetime | None,
                       reason: str = "") -> bool:
    """List a bearer token's id as revoked (until its own expiry); False if it already was."""
    q = (insert(revoked_tokens).values(jti=jti, name=name, expires_ts=expires_ts, reason=reason)
         .on_conflict_do_nothing(index_elements=["jti"]).returning(revoked_tokens.c.jti))
    return (await conn.execute(q)).first() is not None


async def list_api_keys(conn: AsyncConnection) -> list[Any]:
    q = select(api_keys.c.prefix, api_keys.c.name, api_keys.c.role, api_keys.c.zones, api_keys.c.created_at,
               api_keys.c.expires_ts, api_keys.c.revoked).order_by(api_keys.c.name, api_keys.c.created_at)
    return list((await conn.execute(q)).all())
