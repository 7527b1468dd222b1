"""Unit states for a checkpoint without stopping the detector: pickled in a forked child.

Pickling every unit's state takes time proportional to what it holds — the grace period's buffered records (240,000
at 2,000 reports/s and 120 s) and every tracked vessel: ~1 s for 15,000 vessels on these machines, and a detector
that stops for it holds every alert back as long. ``fork()`` gives a consistent copy of the whole state at once
(copy-on-write, a few milliseconds); the child pickles it and writes it to a pipe while the parent goes on
processing, then stores the checkpoint (``DetectorService``) when the bytes are in. The offsets checkpointed are
taken in the parent at the same instant, so state and offsets still belong together.

The child only pickles and writes: no logging, no event loop, no database; it resets the signal handlers (a
signal must not reach the parent's event loop through the inherited wake-up descriptor) and leaves with
``os._exit``. Where ``fork`` is missing, ``available()`` is False and the caller pickles in-process.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
from collections.abc import Sequence
from typing import Protocol

__all__ = ["ForkedStates", "Unit", "available"]


class Unit(Protocol):
    def state(self) -> bytes: ...


def available() -> bool:
    return hasattr(os, "fork")


def _read_all(fd: int) -> bytes:
    chunks = []
    with os.fdopen(fd, "rb") as f:
        while chunk := f.read(1 << 20):
            chunks.append(chunk)
    return b"".join(chunks)


class ForkedStates:
    """``state()`` of each unit as of the fork (None where the unit is None)."""

    def __init__(self, units: Sequence[Unit | None]) -> None:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: pickle, write, leave
            code = 1
            try:
                os.close(r)
                for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                    signal.signal(sig, signal.SIG_DFL)
                signal.set_wakeup_fd(-1)
                payload = pickle.dumps([None if u is None else u.state() for u in units],
                                       protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(w, "wb") as f:
                    f.write(payload)
                code = 0
            finally:
                os._exit(code)
        os.close(w)
        self.pid = pid
        self._r = r

    async def result(self) -> list[bytes | None]:
        """The states (raises ``RuntimeError`` when the child failed)."""
        data = await asyncio.to_thread(_read_all, self._r)
        _, status = await asyncio.to_thread(os.waitpid, self.pid, 0)
        if status != 0 or not data:
            raise RuntimeError(f"the checkpoint child failed (wait status {status})")
        states: list[bytes | None] = pickle.loads(data)
        return states
