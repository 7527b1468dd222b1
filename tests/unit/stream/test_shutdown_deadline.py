"""A detector told to stop while the broker and the database are away must not stay up for ever: its last
checkpoint has a deadline, then it exits with code 3 (the last committed checkpoint stands)."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from services.detect.stream.cli import SHUTDOWN_EXIT_CODE, _serve


class _Service:
    def __init__(self, hang_on_stop: bool) -> None:
        self.hang_on_stop = hang_on_stop

    async def run(self, stop: asyncio.Event) -> None:
        await stop.wait()
        if self.hang_on_stop:  # the shutdown checkpoint waiting on an absent broker / database
            await asyncio.Event().wait()


class _ExitCalledError(Exception):
    pass


def _exit(code: int) -> None:
    raise _ExitCalledError(code)


async def _stop_soon() -> None:
    await asyncio.sleep(0.2)
    os.kill(os.getpid(), signal.SIGTERM)


async def test_a_stuck_shutdown_ends_at_the_deadline_with_code_3() -> None:
    stopper = asyncio.create_task(_stop_soon())
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    with pytest.raises(_ExitCalledError) as exc:
        await _serve(None, None, [], shutdown_timeout_s=0.5, service=_Service(hang_on_stop=True), hard_exit=_exit)
    assert exc.value.args == (SHUTDOWN_EXIT_CODE,) and 0.6 <= loop.time() - t0 < 5
    await stopper


async def test_a_graceful_shutdown_exits_0() -> None:
    stopper = asyncio.create_task(_stop_soon())
    assert await _serve(None, None, [], shutdown_timeout_s=5, service=_Service(hang_on_stop=False),
                        hard_exit=_exit) == 0
    await stopper
