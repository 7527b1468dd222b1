"""Live feed: Last-Event-ID reconnect misses nothing; partners see only their zones, never officer-only fields."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import orjson
import pytest

from services.api.principal import Role
from tests.unit.api.builders import alert, token
from tests.unit.api.live import api_settings, bearer, read_sse, running_api, seed

pytestmark = pytest.mark.integration


async def test_reconnect_with_last_event_id_misses_nothing(migrated_database_url: str) -> None:
    zone = f"z{uuid.uuid4().hex[:8]}"
    tok = bearer(token(Role.OFFICER, (zone,)))
    first = [alert(zone=zone, mmsi=(240000000 + i,)) for i in range(3)]
    missed = [alert(zone=zone, mmsi=(241000000 + i,)) for i in range(4)]
    async with running_api(api_settings(migrated_database_url)) as base, \
            httpx.AsyncClient(base_url=base, timeout=30) as c:
        async with c.stream("GET", "/alerts/stream", headers=tok) as feed:
            await asyncio.sleep(0.2)
            await seed(migrated_database_url, first)
            got = await read_sse(feed, 3)
        assert [e["data"]["alert"]["alert_id"] for e in got] == [a.alert_id for a in first]  # type: ignore[index]
        last_id = str(got[-1]["id"])
        await seed(migrated_database_url, missed)  # while disconnected
        await asyncio.sleep(0.3)
        async with c.stream("GET", "/alerts/stream", headers={**tok, "Last-Event-ID": last_id}) as feed:
            later = alert(zone=zone, mmsi=(242000000,))
            await seed(migrated_database_url, [later])
            got2 = await read_sse(feed, 5)
        assert [e["data"]["alert"]["alert_id"] for e in got2] == [a.alert_id for a in [*missed, later]]  # type: ignore[index]
        assert int(str(got2[0]["id"])) > int(last_id)


async def test_partner_feed_is_scoped_and_has_no_officer_fields(migrated_database_url: str) -> None:
    zone = f"z{uuid.uuid4().hex[:8]}"
    foreign = zone + "f"
    partner = bearer(token(Role.PARTNER, (zone,), name="coastguard"))
    officer = bearer(token(Role.OFFICER, (zone,)))
    mine, theirs = alert(zone=zone), alert(zone=foreign)
    async with running_api(api_settings(migrated_database_url)) as base, \
            httpx.AsyncClient(base_url=base, timeout=30) as c:
        async with c.stream("GET", "/alerts/stream", headers=partner) as feed:
            await asyncio.sleep(0.2)
            await seed(migrated_database_url, [theirs, mine])
            r = await c.post(f"/alerts/{mine.alert_id}/acknowledge", headers=officer)
            assert r.status_code == 200
            second = alert(zone=zone, mmsi=(5, 6))
            await seed(migrated_database_url, [second])
            got = await read_sse(feed, 3, timeout_s=3)
        assert [e["data"]["alert"]["alert_id"] for e in got] == [mine.alert_id, second.alert_id]  # type: ignore[index]
        for e in got:
            assert e["data"]["action"] == "created"  # type: ignore[index]
            assert "workflow" not in e["data"]["alert"]  # type: ignore[index,operator]
        r = await c.get(f"/alerts/{mine.alert_id}", headers=partner)
        assert r.status_code == 200 and "workflow" not in r.json() and "comments" not in r.json()
        assert "etag" not in r.headers
        assert (await c.get(f"/alerts/{theirs.alert_id}", headers=partner)).status_code == 404


async def test_overflowing_client_is_told_to_resume_and_misses_nothing(migrated_database_url: str) -> None:
    """A burst bigger than the per-client queue drops the client with an ``overflow`` event carrying its
    last event id; resuming from there replays the burst from the database. (That a slow client does not
    slow the others is tested on the hub itself: tests/unit/api/test_feed.py.)"""
    zone = f"z{uuid.uuid4().hex[:8]}"
    tok = bearer(token(Role.OFFICER, (zone,)))
    batch = [alert(zone=zone, mmsi=(250000000 + i,)) for i in range(10)]
    async with running_api(api_settings(migrated_database_url, sse_queue_size=3)) as base, \
            httpx.AsyncClient(base_url=base, timeout=30) as c:
        async with c.stream("GET", "/alerts/stream", headers=tok) as feed:
            await asyncio.sleep(0.2)
            await seed(migrated_database_url, batch)  # one transaction: one poll of 10 events
            got = await read_sse(feed, 20, timeout_s=3)
        assert [e["event"] for e in got] == ["overflow"]
        resume = str(got[0]["data"]["last_event_id"])  # type: ignore[index]
        async with c.stream("GET", "/alerts/stream", headers={**tok, "Last-Event-ID": resume}) as feed:
            replay = await read_sse(feed, 10)
        assert [e["data"]["alert"]["alert_id"] for e in replay] == [a.alert_id for a in batch]  # type: ignore[index]


async def test_the_feed_is_pushed_by_the_commit_not_polled(migrated_database_url: str) -> None:
    """With a 60-s poll interval, only the database's notification (LISTEN msa_feed) can bring each alert to the
    client within a second of its commit — the sink's writes and an officer's action alike."""
    zone = f"z{uuid.uuid4().hex[:8]}"
    officer = bearer(token(Role.OFFICER, (zone,)))
    settings = api_settings(migrated_database_url, sse_poll_s=60.0)
    events: asyncio.Queue[tuple[float, dict[str, object]]] = asyncio.Queue()

    async def collect(feed: httpx.Response) -> None:
        buf = ""
        async for chunk in feed.aiter_text():
            buf += chunk
            while "\n\n" in buf:
                frame, buf = buf.split("\n\n", 1)
                data = [line[6:] for line in frame.split("\n") if line.startswith("data: ")]
                if "event: alert" in frame and data:
                    await events.put((asyncio.get_running_loop().time(), orjson.loads(data[0])))

    async with running_api(settings) as base, httpx.AsyncClient(base_url=base, timeout=30) as c:
        await asyncio.sleep(1.0)  # the listener connects (it reads once when it does)
        async with c.stream("GET", "/alerts/stream", headers=officer) as feed:
            reader = asyncio.create_task(collect(feed))
            delays: list[float] = []
            try:
                for i in range(5):
                    a = alert(zone=zone, mmsi=(243000000 + i,))
                    await seed(migrated_database_url, [a])
                    committed = asyncio.get_running_loop().time()
                    at, got = await asyncio.wait_for(events.get(), 3)
                    delays.append(at - committed)
                    assert got["alert"]["alert_id"] == a.alert_id  # type: ignore[index]
                r = await c.post(f"/alerts/{a.alert_id}/acknowledge", headers=officer)
                assert r.status_code == 200
                _, ack = await asyncio.wait_for(events.get(), 3)
                assert ack["action"] == "acknowledge"
            finally:
                reader.cancel()
        # below the 2-s safety-net read and far below the 60-s poll: pushed
        assert max(delays) < 1.0, delays
