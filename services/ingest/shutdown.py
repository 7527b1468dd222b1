"""Graceful shutdown of the long-running ingest workers (SIGTERM / SIGINT).

A :class:`Stop` is a one-shot signal with callbacks. The signal handler sets it; every source stops
reading when it is set (a UDP listener drains what the kernel already received, a TCP client what its
buffer holds, a file or replay loop ends at the next chunk), the worker then flushes the decoder
(held multi-part fragments become ``orphan_fragment`` rejects) and the producer (every batch
acknowledged), logs a summary of its counters and exits 0. A second signal while shutting down aborts
at once (exit 130): the way out when the broker is gone and the flush would wait forever.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable

__all__ = ["Stop", "install_signal_handlers"]

log = logging.getLogger("msa.ingest")


class Stop:
    """Set once (by a signal or a caller); callbacks run once, in registration order, when it is set."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._callbacks: list[Callable[[], None]] = []
        self.reason: str | None = None

    def is_set(self) -> bool:
        return self._event.is_set()

    def set(self, reason: str = "requested") -> None:
        if self._event.is_set():
            return
        self.reason = reason
        self._event.set()
        callbacks, self._callbacks = self._callbacks, []
        for cb in callbacks:
            try:
                cb()
            except Exception:  # one failing source must not keep the others reading
                log.exception("stop callback %r failed", cb)

    def add_callback(self, cb: Callable[[], None]) -> Callable[[], None]:
        """Run ``cb`` when stopped (at once if already stopped); returns a function that unregisters it."""
        if self._event.is_set():
            cb()
            return lambda: None
        self._callbacks.append(cb)

        def remove() -> None:
            if cb in self._callbacks:
                self._callbacks.remove(cb)

        return remove

    async def wait(self) -> None:
        await self._event.wait()

    async def sleep(self, delay_s: float) -> bool:
        """Sleep up to ``delay_s``; returns True (early) when stopped meanwhile."""
        if self._event.is_set():
            return True
        try:
            await asyncio.wait_for(self._event.wait(), delay_s)
        except TimeoutError:
            return False
        return True


def _abort() -> None:
    log.error("second signal while shutting down: aborting without flushing")
    sys.stderr.flush()
    os._exit(130)


def install_signal_handlers(stop: Stop, *, signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT),
                            on_second: Callable[[], None] = _abort) -> None:
    """SIGTERM/SIGINT set ``stop`` (first time) or call ``on_second`` (again while shutting down)."""
    loop = asyncio.get_running_loop()

    def handler(signum: int) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            on_second()
            return
        log.info("%s received: stop reading, flush, exit", name)
        stop.set(name)

    for sig in signals:
        loop.add_signal_handler(sig, handler, sig)
