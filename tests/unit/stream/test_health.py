"""Health server over a real local socket: live, ready (200/503 with the reason), metrics."""

from __future__ import annotations

import asyncio

from services.detect.stream.health import HealthServer
from services.detect.stream.metrics import DetectorMetrics


async def _get(port: int, path: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    await writer.wait_closed()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


async def test_endpoints() -> None:
    metrics = DetectorMetrics()
    metrics.records.labels("ais.positions.v1").inc(7)
    state = {"ok": False}
    server = HealthServer(metrics.registry, lambda: (state["ok"], "waiting for assignment"),
                          host="127.0.0.1", port=0)
    port = await server.start()
    try:
        assert await _get(port, "/health/live") == (200, b"live\n")
        status, body = await _get(port, "/health/ready")
        assert status == 503 and b"waiting for assignment" in body
        state["ok"] = True
        assert (await _get(port, "/health/ready"))[0] == 200
        status, body = await _get(port, "/metrics")
        assert status == 200
        assert b'msa_detector_records_total{topic="ais.positions.v1"} 7.0' in body
        assert (await _get(port, "/nope"))[0] == 404
    finally:
        await server.stop()
