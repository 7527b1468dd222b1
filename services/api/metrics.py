"""Prometheus metrics of the API, the sink and the partner router, on a registry per app (test-friendly)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ApiMetrics", "MetricsMiddleware", "SinkMetrics"]


@dataclass(slots=True)
class ApiMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    requests: Counter = field(init=False)
    latency: Histogram = field(init=False)
    sse_clients: Gauge = field(init=False)
    sse_dropped: Counter = field(init=False)
    rate_limited: Counter = field(init=False)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter("msa_api_requests", "HTTP requests", ["method", "route", "status"], registry=r)
        self.latency = Histogram("msa_api_request_seconds", "HTTP request latency", ["route"], registry=r,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
        self.sse_clients = Gauge("msa_api_sse_clients", "connected live-feed clients", registry=r)
        self.sse_dropped = Counter("msa_api_sse_dropped", "live-feed clients dropped as too slow", registry=r)
        self.rate_limited = Counter("msa_api_rate_limited", "requests refused by the rate limit", registry=r)


@dataclass(slots=True)
class SinkMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    records: Counter = field(init=False)
    rejected: Counter = field(init=False)
    retries: Counter = field(init=False)

    def __post_init__(self) -> None:
        r = self.registry
        self.records = Counter("msa_sink_records", "alert records stored", ["result"], registry=r)
        self.rejected = Counter("msa_sink_rejected", "alert records dead-lettered, by reason (undecodable, "
                                "bad_evidence, unstorable)", ["reason"], registry=r)
        self.retries = Counter("msa_sink_retries", "batches retried after an outage (database or broker away)",
                               registry=r)


class MetricsMiddleware:
    """Pure ASGI middleware (no extra task per request): counts requests and times them per route."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = [500]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route: Any = scope.get("route")
            name = getattr(route, "path", "unmatched")
            self.metrics.requests.labels(scope["method"], name, str(status[0])).inc()
            if not name.endswith("/stream"):
                self.metrics.latency.labels(name).observe(time.perf_counter() - t0)
