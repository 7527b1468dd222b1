"""``GET /alerts/stream``: Server-Sent Events of new and updated alerts, resumable with ``Last-Event-ID``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated

import orjson
from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from services.api import queries
from services.api.deps import ReadAlerts, State, api_key_active
from services.api.feed import FeedEvent
from services.api.filters import AlertFilter
from services.api.matching import alert_matches
from services.api.principal import Principal
from services.api.problems import PROBLEM_RESPONSES
from services.api.query_params import Filter
from services.api.render import view_for
from services.api.state import AppState

__all__ = ["router", "sse_events"]

router = APIRouter(prefix="/alerts", tags=["live feed"], responses=PROBLEM_RESPONSES)

DETECTOR_ACTIONS = frozenset({"created", "updated", "version"})
BACKLOG_PAGE = 1000


def _frame(ev: FeedEvent, principal: Principal) -> bytes:
    payload = {"seq": ev.seq, "action": ev.action, "alert": view_for(principal, ev.alert)}
    return b"id: %d\nevent: alert\ndata: %s\n\n" % (ev.seq, orjson.dumps(payload))


def _visible(ev: FeedEvent, principal: Principal, flt: AlertFilter) -> bool:
    if not principal.officer_view and ev.action not in DETECTOR_ACTIONS:
        return False  # workflow steps are officer-only information
    return alert_matches(flt, principal, ev.alert)


KEY_RECHECK_S = 30.0  # how often a feed checks its API key or token was not revoked


async def _credential_ended(state: AppState, principal: Principal, recheck_at: float) -> tuple[str, str] | None:
    """(event, detail) when the caller's credential expired or was revoked, else None."""
    if principal.expires_at_s is not None and time.time() >= principal.expires_at_s:
        return "expired", "credentials expired: reconnect with new ones (Last-Event-ID resumes)"
    if principal.token_id is not None and time.monotonic() >= recheck_at and \
            await state.revoked.contains(state.engine, principal.token_id):
        return "revoked", "token revoked"
    if principal.key_prefix is not None and time.monotonic() >= recheck_at:
        try:
            active = await api_key_active(state, principal.key_prefix)
        except Exception:  # the database away: keep serving what the hub pushes, check again later
            return None
        if not active:
            return "revoked", "API key revoked or expired"
    return None


async def sse_events(state: AppState, principal: Principal, flt: AlertFilter, last_id: int | None
                     ) -> AsyncIterator[bytes]:
    hub = state.hub
    sub = hub.subscribe()
    state.metrics.sse_clients.inc()
    try:
        yield b"retry: 2000\n: connected\n\n"
        last = sub.start_head if last_id is None else last_id
        while last < sub.start_head:  # replay what the client missed, from the database
            async with state.engine.connect() as conn:
                backlog = await queries.read_feed(conn, last, BACKLOG_PAGE)
            backlog = [e for e in backlog if e.seq <= sub.start_head]
            if not backlog:
                break
            for ev in backlog:
                if _visible(ev, principal, flt):
                    yield _frame(ev, principal)
            last = backlog[-1].seq
        last = max(last, sub.start_head)
        recheck_at = time.monotonic() + KEY_RECHECK_S
        while True:
            ended = await _credential_ended(state, principal, recheck_at)
            if ended is not None:
                yield b"event: %s\ndata: %s\n\n" % (ended[0].encode(), orjson.dumps(
                    {"detail": ended[1], "last_event_id": last}))
                return
            if (principal.key_prefix or principal.token_id) is not None and time.monotonic() >= recheck_at:
                recheck_at = time.monotonic() + KEY_RECHECK_S
            timeout = state.settings.sse_keepalive_s
            if principal.expires_at_s is not None:
                timeout = max(0.0, min(timeout, principal.expires_at_s - time.time()))
            try:
                item = await asyncio.wait_for(sub.queue.get(), timeout=timeout)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            if item is None:
                state.metrics.sse_dropped.inc()
                yield (b"event: overflow\ndata: %s\n\n"
                       % orjson.dumps({"detail": "client too slow: reconnect with Last-Event-ID",
                                       "last_event_id": last}))
                return
            if item.seq <= last:
                continue
            last = item.seq
            if _visible(item, principal, flt):
                yield _frame(item, principal)
    finally:
        hub.unsubscribe(sub)
        state.metrics.sse_clients.dec()


@router.get("/stream", summary="Live feed (Server-Sent Events)", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
                             "description": "event `alert`: {seq, action, alert}; `id` = feed sequence"}})
async def stream(caller: ReadAlerts, state: State, flt: Filter,
                 last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=32)] = None,
                 from_seq: Annotated[int | None, Query(alias="last_event_id", ge=0,
                                                       description="resume point (for EventSource URLs)")] = None,
                 ) -> StreamingResponse:
    last: int | None = from_seq
    if last_event_id is not None and last_event_id.strip().isdigit():
        last = int(last_event_id.strip())
    return StreamingResponse(sse_events(state, caller, flt, last), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
