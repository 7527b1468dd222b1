"""FastAPI dependencies, as ``Annotated`` aliases: state, database connection, caller, permissions."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.api.principal import Permission, Principal, Role
from services.api.problems import Problem
from services.api.state import AppState
from services.api.tables import api_keys
from services.api.tokens import AuthError, hash_api_key
from services.api.zone_scope import expand_scope

__all__ = ["Caller", "Conn", "State", "TxConn", "require"]

_bearer = HTTPBearer(auto_error=False, description="JWT bearer token (msa tokens create, or the agency IdP)")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="partner API key (msa apikeys create)")

API_KEY_CACHE_S = 30.0  # a revoked key stops working within this
API_KEY_CACHE_MAX = 10_000


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.msa
    return state


State = Annotated[AppState, Depends(get_state)]


async def get_conn(state: State) -> AsyncIterator[AsyncConnection]:
    async with state.engine.connect() as conn:
        yield conn


async def get_tx(state: State) -> AsyncIterator[AsyncConnection]:
    async with state.engine.begin() as conn:
        yield conn


Conn = Annotated[AsyncConnection, Depends(get_conn)]
TxConn = Annotated[AsyncConnection, Depends(get_tx)]


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "unauthorized", detail, headers={"WWW-Authenticate": 'Bearer realm="msa"'})


async def _from_api_key(state: AppState, key: str) -> Principal:
    digest = hash_api_key(key)
    cache = state.api_key_cache
    cached = cache.get(digest)
    now = time.monotonic()
    if cached is not None and now - cached[0] < API_KEY_CACHE_S:
        cache.move_to_end(digest)
        principal: Principal = cached[1]
        return principal
    cache.pop(digest, None)
    async with state.engine.connect() as conn:
        row = (await conn.execute(select(api_keys).where(api_keys.c.prefix == key[:12]))).first()
    if row is None or row.revoked or row.key_hash != digest or \
            (row.expires_ts is not None and row.expires_ts <= datetime.now(UTC)):
        raise _unauthorized("API key not valid")
    principal = Principal(name=row.name, role=Role(row.role), zones=frozenset(row.zones), kind="apikey",
                          expires_at_s=row.expires_ts.timestamp() if row.expires_ts is not None else None,
                          key_prefix=row.prefix)
    cache[digest] = (now, principal)
    while len(cache) > API_KEY_CACHE_MAX:
        cache.popitem(last=False)
    return principal


async def api_key_active(state: AppState, prefix: str) -> bool:
    """The key of ``prefix`` is still there, not revoked, not expired (the live feed asks every 30 s)."""
    async with state.engine.connect() as conn:
        row = (await conn.execute(select(api_keys.c.revoked, api_keys.c.expires_ts)
                                  .where(api_keys.c.prefix == prefix))).first()
    return row is not None and not row.revoked and (row.expires_ts is None or row.expires_ts > datetime.now(UTC))


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else "-"


def _too_many(wait_s: float, why: str) -> Problem:
    return Problem(429, "too-many-requests", why, headers={"Retry-After": str(max(1, int(wait_s + 0.999)))})


async def get_caller(request: Request, state: State,
                     bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
                     key: Annotated[str | None, Depends(_api_key)]) -> Principal:
    token = bearer.credentials if bearer is not None else None
    client = _client(request)
    now = time.monotonic()
    if token or key:  # pre-authentication limit: an address that keeps failing is refused before any check
        blocked_s = state.auth_failures.wait_s(client, now)
        if blocked_s > 0:
            state.metrics.rate_limited.inc()
            raise _too_many(blocked_s, "too many failed authentications from this address")
    try:
        if token:
            try:
                principal = state.verifier.verify(token)
            except AuthError as exc:
                raise _unauthorized(str(exc)) from exc
            if principal.token_id is not None and await state.revoked.contains(state.engine, principal.token_id):
                raise _unauthorized("token revoked")
        elif key:
            principal = await _from_api_key(state, key)
        else:
            raise _unauthorized("credentials required: Authorization: Bearer … or X-API-Key")
    except Problem:
        if token or key:
            state.auth_failures.take(client, now)
        raise
    wait_s = state.limiter.take(f"{principal.kind}:{principal.name}", now)
    if wait_s > 0:
        state.metrics.rate_limited.inc()
        raise _too_many(wait_s, "rate limit exceeded")
    principal = expand_scope(principal, state.regions)
    request.state.principal = principal
    return principal


Caller = Annotated[Principal, Depends(get_caller)]


def require(perm: Permission) -> Callable[..., Coroutine[Any, Any, Principal]]:
    async def dep(caller: Caller) -> Principal:
        if not caller.can(perm):
            raise Problem(403, "forbidden", f"role {caller.role} may not {perm}")
        return caller

    return dep


ReadAlerts = Annotated[Principal, Depends(require(Permission.READ_ALERTS))]
ReadVessels = Annotated[Principal, Depends(require(Permission.READ_VESSELS))]
ReadTracks = Annotated[Principal, Depends(require(Permission.READ_TRACKS))]
ReadAudit = Annotated[Principal, Depends(require(Permission.READ_AUDIT))]
Exporter = Annotated[Principal, Depends(require(Permission.EXPORT))]
Admin = Annotated[Principal, Depends(require(Permission.ADMIN))]
