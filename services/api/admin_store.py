"""Partner subscriptions and API keys in the database (async; used by the CLI and the partner router)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.api.partners import Subscription, check_subscription
from services.api.principal import Role
from services.api.tables import api_keys, partner_subscriptions
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


async def create_api_key(conn: AsyncConnection, name: str, role: Role, zones: list[str]) -> str:
    """Store the hash; return the plaintext key (shown once)."""
    key, prefix, digest = generate_api_key()
    await conn.execute(api_keys.insert().values(prefix=prefix, key_hash=digest, name=name, role=str(role),
                                                zones=sorted(zones)))
    return key
