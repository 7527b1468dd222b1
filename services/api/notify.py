"""``LISTEN msa_feed``: the live feed learns of new events the moment their transaction commits.

Every insert into the feed log notifies the channel (a trigger, migration 0007) — the sink's alerts and the
officers' workflow actions alike, from any process. One connection per API process listens; the feed hub waits
on :meth:`FeedNotifications.wait` between reads instead of sleeping a poll interval. The listener reconnects
with backoff when the database goes away; while it is not listening the hub falls back to polling, and while
it is, the hub still reads every ``FALLBACK_POLL_S`` as a safety net (a notification is not persistent).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg

__all__ = ["CHANNEL", "FeedNotifications", "libpq_url"]

log = logging.getLogger(__name__)

CHANNEL = "msa_feed"


def libpq_url(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://…`` → ``postgresql://…`` (what libpq takes)."""
    scheme, sep, rest = sqlalchemy_url.partition("://")
    return f"{scheme.split('+')[0]}{sep}{rest}"


class FeedNotifications:
    def __init__(self, database_url: str, connect_timeout_s: int = 5) -> None:
        self.conninfo = libpq_url(database_url)
        self.connect_timeout_s = connect_timeout_s
        self.listening = False
        self.received = 0
        self._event = asyncio.Event()

    async def run(self) -> None:
        """Listen until cancelled, reconnecting (1 s doubling to 30 s) after a failure."""
        delay_s = 1.0
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                        self.conninfo, autocommit=True, connect_timeout=self.connect_timeout_s) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.listening, delay_s = True, 1.0
                    self._event.set()  # read once now: what committed while nobody listened
                    log.info("live feed: listening to %s", CHANNEL)
                    async for _ in conn.notifies():
                        self.received += 1
                        self._event.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database away or restarting: poll meanwhile, try again
                if self.listening:
                    log.warning("live feed: lost %s (%s); polling until it is back", CHANNEL,
                                str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__)
            finally:
                self.listening = False
            await asyncio.sleep(delay_s)
            delay_s = min(delay_s * 2, 30.0)

    async def wait(self, timeout_s: float) -> bool:
        """Until a notification (True) or ``timeout_s`` (False); either way the next read is due."""
        notified = False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout_s)
            notified = True
        self._event.clear()
        return notified
