"""Replay recordings through the real broker and read back exactly the expected records and rejects."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from pathlib import Path

import pytest

from msa.ais.decoder import Decoder
from msa.contracts.codec import dumps, loads, record_from_dict, record_to_dict
from msa.domain import Reject
from msa.formats.recordings import read_records
from msa.formats.satellite import parse_geojson_bytes
from msa.kafka import ensure_topics, make_consumer, make_producer
from services.ingest.publisher import IngestMetrics, Publisher, TopicMap
from services.ingest.replay import ReplayOptions, replay

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "services" / "ingest" / "demo" / "demo.nmea"
RECEIPT_MS = 1_700_000_000_000


def expected(paths: list[Path]) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """What the same files decode to offline (the `msa decode` path)."""
    recs, rejects = [], []
    for path in paths:
        for _, items in read_records(path, "auto", Decoder(path.name), RECEIPT_MS):
            for it in items:
                if isinstance(it, Reject):
                    rejects.append({"reason": it.reason, "raw": it.raw, "source": it.source})
                else:
                    recs.append(record_to_dict(it))
    return recs, rejects


async def consume(bootstrap: str, topics: list[str], n: int, group: str) -> list[tuple[str, bytes, bytes]]:
    consumer = make_consumer(bootstrap, *topics, group_id=group)
    await consumer.start()
    got: list[tuple[str, bytes, bytes]] = []
    try:
        idle = 0
        while len(got) < n or idle < 1:  # after reaching n, one more empty poll proves nothing extra came
            batch = await consumer.getmany(timeout_ms=2000)
            if not batch:
                idle += 1
                if idle > 5 and len(got) < n:
                    break
                continue
            for tp, rows in batch.items():
                got.extend((tp.topic, r.key or b"", r.value or b"") for r in rows)
    finally:
        await consumer.stop()
    return got


async def test_replay_through_the_broker(kafka_bootstrap: str, unique: str, shared_data: Path) -> None:
    files = [DEMO, shared_data / "gfw-ais-tools" / "errors.nmea", shared_data / "libais" / "tagblock.nmea"]
    exp_recs, exp_rejects = expected(files)
    assert len(exp_recs) > 300 and len(exp_rejects) >= 5
    topics = TopicMap().suffixed(f".{unique}")
    await ensure_topics(kafka_bootstrap, topics.specs())
    producer = make_producer(kafka_bootstrap)
    await producer.start()
    try:
        from prometheus_client import CollectorRegistry

        pub = Publisher(producer, topics, IngestMetrics(CollectorRegistry()))
        await pub.start()
        totals = await replay(files, pub, ReplayOptions(speed=None, progress=False), now_ms=lambda: RECEIPT_MS)
    finally:
        await producer.stop()
    assert totals["published"] == len(exp_recs) + len(exp_rejects)

    got = await consume(kafka_bootstrap, [topics.positions, topics.static, topics.other, topics.rejects],
                        len(exp_recs) + len(exp_rejects), f"g-{unique}")
    got_recs = [loads(v) for t, _, v in got if t != topics.rejects]
    got_rejects = [loads(v) for t, _, v in got if t == topics.rejects]
    assert sorted(map(dumps, got_recs)) == sorted(map(dumps, exp_recs))  # same count, same content
    assert Counter((r["reason"], r["raw"], r["source"]) for r in got_rejects) == \
        Counter((r["reason"], r["raw"], r["source"]) for r in exp_rejects)
    for topic, k, v in got:  # keyed by MMSI; records parse back through the contract codec
        if topic == topics.positions:
            assert k == str(record_from_dict(loads(v)).mmsi).encode()  # type: ignore[union-attr]


async def test_satellite_file_through_the_cli(kafka_bootstrap: str, unique: str, tmp_path: Path) -> None:
    doc = (b'{"type":"FeatureCollection","features":['
           b'{"type":"Feature","geometry":{"type":"Point","coordinates":[-9.5,38.6]},"properties":'
           b'{"detection_id":"d1","detected_at":"2025-01-01T10:00:00Z","confidence":0.9,"sensor":"S1","scene_id":"s1"}},'
           b'{"type":"Feature","geometry":{"type":"Point","coordinates":[-9.5,38.6]},"properties":'
           b'{"detection_id":"d2","detected_at":"2025-01-01T10:00:00Z","confidence":2,"sensor":"S1","scene_id":"s1"}}]}')
    path = tmp_path / "sat.geojson"
    path.write_bytes(doc)
    records, rejects = parse_geojson_bytes(doc, path.name)
    assert len(records) == 1 and len(rejects) == 1
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "msa.cli", "ingest", "sat", str(path), "--bootstrap", kafka_bootstrap,
        "--topic-suffix", f".{unique}", stderr=asyncio.subprocess.PIPE)
    _, stderr = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, stderr.decode()
    topics = TopicMap().suffixed(f".{unique}")
    got = await consume(kafka_bootstrap, [topics.satellite, topics.rejects], 2, f"g-{unique}")
    by_topic = {t: loads(v) for t, _, v in got}
    assert by_topic[topics.satellite]["detection_id"] == "d1"
    assert by_topic[topics.rejects]["reason"] == "bad_confidence"
