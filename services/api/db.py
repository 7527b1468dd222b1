"""The async database engine (psycopg 3), created by the app's lifespan or a worker, never at import."""

from __future__ import annotations

import orjson
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

__all__ = ["is_database_outage", "make_engine"]

CONNECT_TIMEOUT_S = 5


def is_database_outage(exc: BaseException) -> bool:
    """The database away, restarting, overloaded or too slow (try again later) — not a query it refuses."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeoutError | OSError | TimeoutError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def make_engine(url: str, pool_size: int = 10, *, interactive: bool = False) -> AsyncEngine:
    """``interactive``: the API's short queries — no parallel workers (their start-up costs more than the
    query) and a statement timeout so that no request can run away."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    connect_args: dict[str, object] = {"connect_timeout": CONNECT_TIMEOUT_S}
    if interactive:
        connect_args["options"] = "-c max_parallel_workers_per_gather=0 -c statement_timeout=30000"
    # interactive: a connection the server dropped (a restart) is found before a request uses it, not by a 503
    return create_async_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=interactive,
                               pool_recycle=300, connect_args=connect_args,
                               json_deserializer=orjson.loads)  # JSONB (vessels, evidence): faster decode
