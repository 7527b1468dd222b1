"""Live line sources (asyncio): a TCP client with reconnect and backoff, a UDP listener (files are read by
:mod:`msa.formats.recordings`).

Live sources yield :data:`Received` ``(line, receipt_ms, peer)``: ``receipt_ms`` is the wall-clock receipt
time taken at the edge, ``peer`` the sender on that input — the datagram's ``host:port`` (several receivers
may send to one UDP port), the TCP connection (``host:port#n``, n counting reconnections) — so that the
decoder never joins the fragments of one multi-sentence message from two senders. Lines keep no line ending.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from services.ingest.shutdown import Stop

__all__ = ["Backoff", "Received", "tcp_lines", "udp_lines"]

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Received = tuple[bytes, int, str]  # line, receipt time (wall clock, ms), peer (the sender on this input)


def _now_ms(clock: Clock = time.time) -> int:
    return int(clock() * 1000)


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
                    stop: Stop | None = None, max_line: int = 64 * 1024,
                    ) -> AsyncIterator[Received]:
    """Connect to a live NMEA feed (e.g. an AIS-catcher or aisdispatcher TCP server); reconnect until
    ``stop``. When stopped, the lines already received (buffered) are still yielded, then it ends.
    The peer is ``host:port#n`` for the n-th connection: fragments never join across a reconnection."""
    backoff = backoff or Backoff()
    connections = 0
    while stop is None or not stop.is_set():
        try:
            reader, writer = await _connect(host, port, max_line, stop)
        except OSError as exc:
            delay = backoff.next_delay()
            log.warning("tcp %s:%d connect failed (%s); retry in %.1f s", host, port, exc, delay)
            if stop is not None and await stop.sleep(delay):
                return
            if stop is None:
                await asyncio.sleep(delay)
            continue
        if reader is None or writer is None:
            return  # stopped while connecting
        log.info("tcp %s:%d connected", host, port)
        backoff.reset()
        connections += 1
        peer = f"{host}:{port}#{connections}"
        # on stop: no more reading from the socket, the buffered lines are read out up to an EOF
        remove = stop.add_callback(_stop_reading(reader, writer)) if stop is not None else None
        try:
            while True:
                try:
                    line = await reader.readline()
                except (asyncio.LimitOverrunError, ValueError):
                    yield b"<line too long>", _now_ms(clock), peer
                    continue
                if not line:
                    break
                yield line.rstrip(b"\r\n"), _now_ms(clock), peer
        except (ConnectionError, OSError) as exc:
            log.warning("tcp %s:%d connection lost: %s", host, port, exc)
        finally:
            if remove is not None:
                remove()
            writer.close()
        if stop is None or not stop.is_set():
            delay = backoff.next_delay()
            log.info("tcp %s:%d closed; reconnect in %.1f s", host, port, delay)
            if stop is not None and await stop.sleep(delay):
                return
            if stop is None:
                await asyncio.sleep(delay)


def _stop_reading(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Callable[[], None]:
    def stop_reading() -> None:
        transport = writer.transport
        if isinstance(transport, asyncio.ReadTransport) and not transport.is_closing():
            transport.pause_reading()  # nothing more from the socket…
        reader.feed_eof()  # …and readline() returns what is buffered, then EOF

    return stop_reading


async def _connect(host: str, port: int, limit: int, stop: Stop | None,
                   ) -> tuple[asyncio.StreamReader | None, asyncio.StreamWriter | None]:
    if stop is None:
        return await asyncio.open_connection(host, port, limit=limit)
    conn = asyncio.ensure_future(asyncio.open_connection(host, port, limit=limit))
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({conn, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    if not conn.done():
        conn.cancel()
        with contextlib.suppress(asyncio.CancelledError, OSError):
            await conn
        return None, None
    return conn.result()


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, queue: asyncio.Queue[Any], clock: Clock, limit: int) -> None:
        self.queue = queue  # unbounded, so that the end marker always fits; ``limit`` bounds the lines
        self.clock = clock
        self.limit = limit
        self.dropped = 0

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        now = _now_ms(self.clock)
        peer = f"{addr[0]}:{addr[1]}"
        queue = self.queue
        for line in data.splitlines():
            if line.strip():
                if queue.qsize() >= self.limit:
                    self.dropped += 1  # UDP has no backpressure: count what we could not take
                else:
                    queue.put_nowait((line, now, peer))


def _bind_udp(host: str, port: int) -> socket.socket:
    family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        with contextlib.suppress(OSError):  # bursts: let the kernel hold more while we decode
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        sock.bind(addr)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


async def udp_lines(host: str, port: int, *, clock: Clock = time.time, queue_size: int = 100_000,
                    ready: asyncio.Event | None = None, stop: Stop | None = None,
                    ) -> AsyncIterator[Received]:
    """Listen for NMEA datagrams (one or several lines each) until ``stop``. When stopped, the datagrams
    the kernel already holds are read without waiting, the socket is closed, and every queued line is
    still yielded before the iterator ends."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()
    sock = _bind_udp(host, port)
    protocol = _UdpProtocol(queue, clock, queue_size)
    transport, _ = await loop.create_datagram_endpoint(lambda: protocol, sock=sock)
    log.info("udp listening on %s:%d", host, port)

    def on_stop() -> None:
        # synchronous, so no datagram callback interleaves: drain the kernel buffer, then stop reading
        while True:
            try:
                data, addr = sock.recvfrom(65536)
            except OSError:  # BlockingIOError: the kernel buffer is empty
                break
            protocol.datagram_received(data, addr)
        transport.close()
        queue.put_nowait(_END)

    remove = stop.add_callback(on_stop) if stop is not None else None
    if ready is not None:
        ready.set()
    try:
        while True:
            item = await queue.get()
            if item is _END:
                if protocol.dropped:
                    log.warning("udp %s:%d: %d lines dropped (queue full)", host, port, protocol.dropped)
                return
            yield item
    finally:
        if remove is not None:
            remove()
        transport.close()


_END: Any = object()
