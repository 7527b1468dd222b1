"""Graceful shutdown: ``msa ingest udp`` as a subprocess, N lines sent, SIGTERM, and everything is on Kafka.

What is checked on the real broker (topics suffixed with a fresh uuid): every record the same lines decode
to offline, every reject (corrupt checksums, and the first fragment of a two-part message whose second
part never came — flushed at shutdown as ``orphan_fragment``), nothing more; exit code 0; a summary line.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections import Counter
from pathlib import Path

import pytest

from msa.ais.decoder import Decoder
from msa.contracts.codec import dumps, loads, record_to_dict
from msa.domain import Reject
from services.ingest.publisher import TopicMap
from services.ingest.synth import synth_lines
from tests.integration.test_ingest_kafka import consume

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
# first half of a two-part type 5 (tag-block group 9999, part 2 never sent): held by the reassembler until shutdown
LONE_FRAGMENT = (b"\\g:1-2-9999,s:rLONE,c:1735689700*00\\"
                 b"!AIVDM,2,1,7,A,56jJB002A:4M=Ts;GOI=Tq@R3333000000000016;@D880000@C2DhSh@000,0*47")


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _lines() -> list[bytes]:
    lines = [x.encode() for x in synth_lines(40, 300, step_s=10, seed=23, corrupt_every=97)]
    return [*lines, LONE_FRAGMENT]


def _expected(lines: list[bytes], source: str) -> tuple[list[bytes], Counter[tuple[str, str, str]]]:
    decoder = Decoder(source)
    out: list[object] = []
    for line in lines:
        decoder.feed(line, 0, out)  # type: ignore[arg-type]
    decoder.flush(out)  # type: ignore[arg-type]
    recs = sorted(dumps(record_to_dict(x)) for x in out if not isinstance(x, Reject))  # type: ignore[arg-type]
    rejects = Counter((x.reason, x.raw, x.source) for x in out if isinstance(x, Reject))
    return recs, rejects


async def _read_until(stream: asyncio.StreamReader, needle: str, sink: list[str], timeout_s: float) -> None:
    async def scan() -> None:
        while True:
            raw = await stream.readline()
            if not raw:
                raise AssertionError(f"worker exited before logging {needle!r}:\n{''.join(sink)}")
            sink.append(raw.decode(errors="replace"))
            if needle in sink[-1]:
                return

    await asyncio.wait_for(scan(), timeout_s)


async def test_sigterm_flushes_everything_to_kafka(kafka_bootstrap: str, unique: str) -> None:
    port = _free_udp_port()
    source = f"udp:{port}"
    lines = _lines()
    exp_recs, exp_rejects = _expected(lines, source)
    lone = LONE_FRAGMENT.split(b"\\")[-1].decode()
    assert len(exp_recs) > 500 and exp_rejects[("orphan_fragment", lone, source)] == 1
    assert sum(1 for r in exp_rejects if r[0] == "bad_checksum") >= 5

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "msa.cli", "--log-level", "info", "ingest", "udp", "--port", str(port),
        "--bootstrap", kafka_bootstrap, "--topic-suffix", f".{unique}", cwd=REPO, env=env,
        stderr=asyncio.subprocess.PIPE)
    assert proc.stderr is not None
    log: list[str] = []
    try:
        await _read_until(proc.stderr, "udp listening", log, 120)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for i in range(0, len(lines), 10):  # several lines per datagram, as AIS dispatchers do
                s.sendto(b"\r\n".join(lines[i:i + 10]) + b"\r\n", ("127.0.0.1", port))
                if i % 200 == 0:
                    await asyncio.sleep(0.01)  # stay below the kernel receive buffer
        proc.send_signal(signal.SIGTERM)  # at once: datagrams still in the kernel buffer must not be lost
        _, rest = await asyncio.wait_for(proc.communicate(), 120)
        log.append(rest.decode(errors="replace"))
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    text = "".join(log)
    assert proc.returncode == 0, text
    assert "SIGTERM received" in text and f"ingest {source} stopped (SIGTERM)" in text, text
    assert "batches acknowledged" in text

    topics = TopicMap().suffixed(f".{unique}")
    n = len(exp_recs) + sum(exp_rejects.values())
    got = await consume(kafka_bootstrap, [topics.positions, topics.static, topics.other, topics.rejects], n,
                        f"g-{unique}")
    got_recs = sorted(dumps(loads(v)) for t, _, v in got if t != topics.rejects)
    got_rejects = Counter((r["reason"], r["raw"], r["source"])
                          for r in (loads(v) for t, _, v in got if t == topics.rejects))
    assert len(got_recs) == len(exp_recs)
    assert got_recs == exp_recs
    assert got_rejects == exp_rejects
