"""``create_app(settings)``: the FastAPI application. The lifespan owns the engine and the feed poller."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi

from services.api import queries
from services.api.bodylimit import BodyLimitMiddleware
from services.api.db import make_engine
from services.api.feed import FeedEvent, FeedHub
from services.api.metrics import ApiMetrics, MetricsMiddleware
from services.api.notify import FeedNotifications
from services.api.problems import install_problem_handlers
from services.api.ratelimit import RateLimiter
from services.api.revocation import RevokedTokens
from services.api.routers import alerts, exports, health, ogc, pages, stream, vessels, workflow, zones
from services.api.schemas import ProblemDetails
from services.api.settings import ApiSettings, check_signing_keys, hs256_secret
from services.api.state import AppState
from services.api.tokens import TokenVerifier
from services.api.zone_scope import load_zone_features, regions_of

__all__ = ["create_app"]

log = logging.getLogger(__name__)

FEED_HEAD_RETRY_S = 2.0

DESCRIPTION = """Alerts for operations-centre officers and partner systems: go-fast boats, dark periods,
rendezvous, dark vessels and identity anomalies (one MMSI heard from places no vessel could connect) in
MAOC-N and Mediterranean zones. Errors are RFC 9457 problem details.
Authenticate with `Authorization: Bearer <JWT>` or, for partner systems, `X-API-Key`."""


def _build_state(settings: ApiSettings) -> AppState:
    check_signing_keys(settings)  # no built-in key: refuse to serve rather than accept forgeable tokens
    auth_failures = RateLimiter(settings.auth_failures_per_s, settings.auth_failures_burst)
    verifier = TokenVerifier(secret=hs256_secret(settings),
                             public_key=settings.jwt_public_key, jwks_url=settings.jwks_url,
                             issuer=settings.jwt_issuer, audience=settings.jwt_audience)
    zones = load_zone_features(settings.zones_path)
    return AppState(settings=settings, engine=make_engine(settings.database_url, interactive=True), verifier=verifier,
                    limiter=RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst),
                    hub=FeedHub(queue_size=settings.sse_queue_size), metrics=ApiMetrics(),
                    zones=zones, regions=regions_of(zones), auth_failures=auth_failures,
                    revoked=RevokedTokens(settings.token_revocation_refresh_s))


def _problems_everywhere(schema: dict[str, Any]) -> None:
    """Every 4xx/5xx (incl. FastAPI's default 422) is documented as ``application/problem+json``."""
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
    for ops in schema.get("paths", {}).values():
        for op in ops.values():
            for code, resp in op.get("responses", {}).items():
                if code[:1] in ("4", "5") and code != "503":
                    resp["content"] = problem
            op.get("responses", {}).setdefault("429", {"description": "Too Many Requests", "content": problem})


def create_app(settings: ApiSettings) -> FastAPI:
    state = _build_state(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async def reader(after: int, limit: int, only: list[int] | None) -> list[FeedEvent]:
            async with state.engine.connect() as conn:
                return await queries.read_feed(conn, after, limit, only)

        async def head() -> bool:
            try:
                async with state.engine.connect() as conn:
                    state.hub.head = await queries.feed_head(conn)
                return True
            except Exception as exc:  # the database is not up (yet)
                log.warning("the live feed waits for the database (%s)", type(exc).__name__)
                return False

        async def feed(known: bool) -> None:
            # the feed starts at the log's end when the database answers, never at 0 (which would send
            # every past event to the clients as new)
            while not known:
                await asyncio.sleep(FEED_HEAD_RETRY_S)
                known = await head()
            await state.hub.run(reader, settings.sse_poll_s, wake=notifications)

        notifications = FeedNotifications(settings.database_url)  # LISTEN msa_feed: push, not poll
        state.tasks.append(asyncio.create_task(notifications.run(), name="feed-listener"))
        task = asyncio.create_task(feed(await head()), name="feed-reader")
        state.tasks.append(task)
        try:
            yield
        finally:
            state.hub.close()
            for t in state.tasks:
                t.cancel()
            for t in state.tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await t
            await state.engine.dispose()

    app = FastAPI(title="MSA alert service", version="1.0.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.msa = state
    install_problem_handlers(app)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                           allow_methods=["GET", "POST", "OPTIONS"],
                           allow_headers=["Authorization", "X-API-Key", "If-Match", "Last-Event-ID",
                                          "Content-Type"],
                           expose_headers=["ETag", "Retry-After"], max_age=600)

    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)  # before authentication
    app.add_middleware(MetricsMiddleware, metrics=state.metrics)

    for r in (stream.router, exports.router, alerts.router, workflow.router, vessels.router, zones.router, ogc.router,
              health.router, pages.router):
        app.include_router(r)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            comps = schema.setdefault("components", {}).setdefault("schemas", {})
            comps["ProblemDetails"] = ProblemDetails.model_json_schema()
            _problems_everywhere(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
