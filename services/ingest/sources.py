"""Line sources (asyncio): files (plain or ``.gz``), a TCP client with reconnect and backoff, a UDP listener.

Live sources yield ``(line, receipt_ms)`` where ``receipt_ms`` is the wall-clock receipt time taken at the
edge (the only place ingest reads the clock). Files are read in large blocks; lines keep no line ending.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

__all__ = ["Backoff", "iter_file_lines", "open_binary", "tcp_lines", "udp_lines"]

log = logging.getLogger(__name__)

Clock = Callable[[], float]


def _now_ms(clock: Clock = time.time) -> int:
    return int(clock() * 1000)


def open_binary(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]
    return path.open("rb", buffering=1 << 20)


def iter_file_lines(path: Path) -> Iterator[bytes]:
    """All lines of a file (gzip by suffix), without line endings."""
    with open_binary(path) as fh:
        for line in fh:
            yield line.rstrip(b"\r\n")


@dataclass
class Backoff:
    """Exponential backoff with full jitter: 0.5 s, 1 s, 2 s … capped, reset after a good connection."""

    initial_s: float = 0.5
    max_s: float = 30.0
    attempt: int = 0

    def next_delay(self, rnd: Callable[[], float] = random.random) -> float:
        base = min(self.max_s, self.initial_s * (2.0 ** self.attempt))
        self.attempt += 1
        return float(base * (0.5 + 0.5 * rnd()))

    def reset(self) -> None:
        self.attempt = 0


async def tcp_lines(host: str, port: int, *, backoff: Backoff | None = None, clock: Clock = time.time,
                    stop: asyncio.Event | None = None, max_line: int = 64 * 1024,
                    ) -> AsyncIterator[tuple[bytes, int]]:
    """Connect to a live NMEA feed (e.g. an AIS-catcher or aisdispatcher TCP server); reconnect forever."""
    backoff = backoff or Backoff()
    while stop is None or not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(host, port, limit=max_line)
        except OSError as exc:
            delay = backoff.next_delay()
            log.warning("tcp %s:%d connect failed (%s); retry in %.1f s", host, port, exc, delay)
            await asyncio.sleep(delay)
            continue
        log.info("tcp %s:%d connected", host, port)
        backoff.reset()
        try:
            while True:
                try:
                    line = await reader.readline()
                except (asyncio.LimitOverrunError, ValueError):
                    yield b"<line too long>", _now_ms(clock)
                    continue
                if not line:
                    break
                yield line.rstrip(b"\r\n"), _now_ms(clock)
                if stop is not None and stop.is_set():
                    break
        except (ConnectionError, OSError) as exc:
            log.warning("tcp %s:%d connection lost: %s", host, port, exc)
        finally:
            writer.close()
        if stop is None or not stop.is_set():
            delay = backoff.next_delay()
            log.info("tcp %s:%d closed; reconnect in %.1f s", host, port, delay)
            await asyncio.sleep(delay)


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, queue: asyncio.Queue[tuple[bytes, int]], clock: Clock) -> None:
        self.queue = queue
        self.clock = clock
        self.dropped = 0

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        now = _now_ms(self.clock)
        for line in data.splitlines():
            if line.strip():
                try:
                    self.queue.put_nowait((line, now))
                except asyncio.QueueFull:
                    self.dropped += 1  # UDP has no backpressure: count what we could not take


async def udp_lines(host: str, port: int, *, clock: Clock = time.time, queue_size: int = 100_000,
                    ready: asyncio.Event | None = None) -> AsyncIterator[tuple[bytes, int]]:
    """Listen for NMEA datagrams (one or several lines each)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[bytes, int]] = asyncio.Queue(queue_size)
    transport, _ = await loop.create_datagram_endpoint(lambda: _UdpProtocol(queue, clock),
                                                       local_addr=(host, port))
    log.info("udp listening on %s:%d", host, port)
    if ready is not None:
        ready.set()
    try:
        while True:
            yield await queue.get()
    finally:
        transport.close()
