"""Graceful shutdown: the Stop signal, sources that end without losing what they received, replay."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path

from services.ingest.publisher import Publisher, TopicMap
from services.ingest.replay import ReplayOptions, replay
from services.ingest.shutdown import Stop, install_signal_handlers
from services.ingest.sources import tcp_lines, udp_lines
from tests.unit.ingest.builders import TYPE1, TYPE5_1, TYPE5_2, tag
from tests.unit.ingest.fakes import FakeProducer


async def test_stop_runs_callbacks_once_and_late_ones_at_once() -> None:
    stop = Stop()
    calls: list[str] = []
    stop.add_callback(lambda: calls.append("a"))
    remove = stop.add_callback(lambda: calls.append("removed"))
    remove()
    assert not await stop.sleep(0.001)
    stop.set("SIGTERM")
    stop.set("again")
    stop.add_callback(lambda: calls.append("late"))
    assert calls == ["a", "late"] and stop.reason == "SIGTERM" and await stop.sleep(10)


async def test_signal_sets_stop_and_a_second_one_aborts() -> None:
    stop = Stop()
    second: list[bool] = []
    install_signal_handlers(stop, signals=(signal.SIGUSR1,), on_second=lambda: second.append(True))
    try:
        os.kill(os.getpid(), signal.SIGUSR1)
        await asyncio.wait_for(stop.wait(), 5)
        assert stop.reason == "SIGUSR1" and not second
        os.kill(os.getpid(), signal.SIGUSR1)
        for _ in range(100):
            if second:
                break
            await asyncio.sleep(0.01)
        assert second == [True]
    finally:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGUSR1)


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_udp_stop_drains_the_kernel_buffer_then_ends() -> None:
    stop, ready = Stop(), asyncio.Event()
    port = _free_udp_port()
    it = udp_lines("127.0.0.1", port, ready=ready, stop=stop)
    first = asyncio.ensure_future(it.__anext__())
    await ready.wait()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(TYPE1 + b"\r\n", ("127.0.0.1", port))
        got = [(await asyncio.wait_for(first, 5))[0]]
        for _ in range(50):  # sent, not yet read by the loop: still in the kernel buffer at stop time
            s.sendto(TYPE5_1 + b"\r\n" + TYPE5_2 + b"\r\n", ("127.0.0.1", port))
    stop.set()
    got += [line async for line, _, _ in it]
    assert got == [TYPE1] + [TYPE5_1, TYPE5_2] * 50


async def test_tcp_stop_yields_buffered_lines_and_does_not_reconnect() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write((TYPE1 + b"\r\n") * 5)
        await writer.drain()
        await asyncio.sleep(30)  # a live feed that stays open

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    stop = Stop()
    got: list[bytes] = []
    async for line, _, _ in tcp_lines("127.0.0.1", port, stop=stop):
        got.append(line)
        if len(got) == 1:
            await asyncio.sleep(0.05)  # the other four lines arrive in the buffer
            stop.set()
    server.close()
    assert got == [TYPE1] * 5


async def test_tcp_stop_interrupts_the_reconnect_backoff() -> None:
    stop = Stop()
    port = _free_udp_port()  # nothing listens on it over TCP
    asyncio.get_running_loop().call_later(0.2, stop.set)
    lines = [x async for x in tcp_lines("127.0.0.1", port, stop=stop)]
    assert lines == [] and stop.is_set()


async def test_replay_stop_publishes_what_was_read_and_orphans(tmp_path: Path) -> None:
    src = tmp_path / "rec.nmea"
    body = [tag(f"s:r1,c:{1_735_689_600 + i * 60}", TYPE1) for i in range(3)]
    src.write_bytes(b"\n".join([*body, TYPE5_1]) + b"\n")  # a type 5 whose second part never comes
    producer = FakeProducer()
    pub = Publisher(producer, TopicMap())
    await pub.start()
    stop = Stop()

    async def slow_sleep(delay: float) -> None:  # the pacing wait: stopped during it
        stop.set()

    totals = await replay([src], pub, ReplayOptions(speed=1.0, progress=False), sleep=slow_sleep, stop=stop)
    positions = producer.messages(TopicMap().positions)
    rejects = producer.messages(TopicMap().rejects)
    assert len(positions) == 3 and totals["published"] == 4  # nothing paced after the stop, nothing lost
    assert [b'"orphan_fragment"' in v for _, _, v in rejects] == [True]
