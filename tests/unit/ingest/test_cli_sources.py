"""``msa decode`` end to end (no Kafka), file/TCP/UDP sources, backoff, the synthetic recording."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path

import pytest
from pyais import decode

from msa.cli import main
from msa.formats.recordings import iter_file_lines
from services.ingest.sources import Backoff, tcp_lines, udp_lines
from services.ingest.synth import position_payload, synth_lines
from tests.unit.ingest.builders import TYPE1, TYPE5_1, TYPE5_2

DEMO = Path(__file__).resolve().parents[3] / "services" / "ingest" / "demo" / "demo.nmea"


def test_decode_command_writes_json_lines_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.nmea.gz"
    src.write_bytes(gzip.compress(b"\n".join([TYPE1, TYPE5_1, TYPE5_2, b"!AIVDM,1,1,,B,,0*25"]) + b"\n"))
    out = tmp_path / "out.jsonl"
    assert main(["decode", str(src), "--out", str(out), "--receipt-time", "2024-05-01T12:00:00Z"]) == 0
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["kind"] for r in rows] == ["position", "static"]
    assert rows[0]["ts"] == "2024-05-01T12:00:00Z" and rows[0]["time_source"] == "receipt"
    assert rows[0]["heading_deg"] is None and rows[1]["name"] == "EVER DIADEM"
    err = capsys.readouterr().err
    assert "position 1" in err and "static 1" in err and "reject empty_payload: 1" in err


def test_decode_with_rejects_to_stdout(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_bytes(b"!AIVDM,1,1,,B,,0*25\n")
    assert main(["decode", str(src), "--with-rejects"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["kind"] == "reject" and row["reason"] == "empty_payload" and row["source"] == "in.txt"


def test_bundled_demo_recording_decodes() -> None:
    lines = list(iter_file_lines(DEMO))
    assert 200 <= len(lines) <= 1000
    assert main(["decode", str(DEMO), "--out", "/dev/null"]) == 0


def test_synthetic_payload_matches_pyais() -> None:
    payload = position_payload(1, 244740981, 36.123456, -5.654321, 31.4, 271.5, 270, 42, status=0)
    msg = decode(f"!AIVDM,1,1,,A,{payload},0*00")
    assert (msg.mmsi, msg.lat, msg.lon, msg.speed, msg.course, msg.heading, msg.second) == \
        (244740981, pytest.approx(36.123456, abs=2e-6), pytest.approx(-5.654321, abs=2e-6), 31.4, 271.5, 270, 42)
    b = decode(f"!AIVDM,1,1,,A,{position_payload(18, 338087471, 40.5, -74.0, 0.1, 79.6, 511, 49)},0*00")
    assert (b.msg_type, b.mmsi, b.speed, b.heading) == (18, 338087471, 0.1, 511)


def test_synth_is_deterministic() -> None:
    assert list(synth_lines(3, 120, seed=5)) == list(synth_lines(3, 120, seed=5))


def test_backoff_grows_and_resets() -> None:
    b = Backoff(initial_s=1.0, max_s=8.0)
    delays = [b.next_delay(lambda: 1.0) for _ in range(6)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    b.reset()
    assert b.next_delay(lambda: 0.0) == 0.5


async def test_tcp_client_reconnects() -> None:
    connections = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        writer.write(TYPE1 + b"\r\n")
        await writer.drain()
        writer.close()  # server drops the feed after one line

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    got = []
    peers = []
    async for line, receipt_ms, peer in tcp_lines("127.0.0.1", port, backoff=Backoff(initial_s=0.01, max_s=0.02)):
        got.append(line)
        peers.append(peer)
        assert receipt_ms > 0
        if len(got) == 2:
            break
    server.close()
    assert got == [TYPE1, TYPE1] and connections == 2
    # each connection is its own sender: fragments are never joined across a reconnection
    assert peers == [f"127.0.0.1:{port}#1", f"127.0.0.1:{port}#2"]


async def test_udp_listener_splits_datagrams() -> None:
    ready = asyncio.Event()
    sock_port = _free_udp_port()
    it = udp_lines("127.0.0.1", sock_port, ready=ready)
    first = asyncio.ensure_future(it.__anext__())
    await ready.wait()
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, remote_addr=("127.0.0.1", sock_port))
    transport.sendto(TYPE5_1 + b"\r\n" + TYPE5_2 + b"\r\n")
    sender = transport.get_extra_info("sockname")
    a = await asyncio.wait_for(first, 5)
    b = await asyncio.wait_for(it.__anext__(), 5)
    transport.close()
    await it.aclose()
    assert [a[0], b[0]] == [TYPE5_1, TYPE5_2]
    # the sender's address goes with each line (several receivers may send to one port)
    assert a[2] == b[2] == f"{sender[0]}:{sender[1]}"


def _free_udp_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
