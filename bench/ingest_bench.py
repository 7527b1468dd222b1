"""Ingest throughput: file → normalised records on Kafka, next to a bare pyais decode loop on the same file.

Figures (same run, same machine, so compare the ratios):

* ``bare_pyais_sentences_per_s`` — ``pyais.stream.FileReaderStream`` + ``decode()`` of every message;
* ``decode_only_sentences_per_s`` — our decoder (checksums, tag blocks, reassembly, dedup, normalisation),
  no Kafka;
* ``kafka_sentences_per_s`` — the full path of ``msa ingest file``/``msa replay --max``: file → decoder →
  JSON → batched idempotent producer (acks=all) → broker acknowledged;
* ratios of the two to the bare loop. Target: ≥ 50,000 sentences/s and ≥ 0.35× bare.

The recording is synthetic but shaped like a coastal feed (tag blocks on every line, 80 % class A, type 5
in two-sentence groups, 10 % re-heard by a second receiver); it is generated into a temporary directory.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

__all__ = ["run"]


def _write_recording(path: Path, quick: bool) -> int:
    from services.ingest.synth import synth_lines

    vessels, duration_s = (300, 600) if quick else (1500, 1200)
    n = 0
    with path.open("w") as fh:
        for line in synth_lines(vessels, duration_s, step_s=10, seed=11, corrupt_every=500):
            fh.write(line + "\n")
            n += 1
    return n


def _bare_pyais(path: Path) -> tuple[float, int]:
    from pyais.stream import FileReaderStream

    t0 = time.perf_counter()
    n = 0
    for msg in FileReaderStream(str(path)):
        try:
            msg.decode()
            n += 1
        except Exception:  # the bare loop skips what pyais cannot decode
            continue
    return time.perf_counter() - t0, n


def _decode_only(path: Path, encoded: bool = True) -> tuple[float, int]:
    """Our decoder as the workers run it (``encoded``: hot positions straight to Kafka key + JSON value),
    or producing domain objects for every record (``msa decode``'s library use)."""
    from msa.ais.decoder import Decoder
    from msa.formats.recordings import read_records

    t0 = time.perf_counter()
    n = 0
    for _, items in read_records(path, "nmea", Decoder(path.name, encoded=encoded), 0):
        n += len(items)
    return time.perf_counter() - t0, n


async def _to_kafka(path: Path, bootstrap: str) -> tuple[float, dict[str, int]]:
    from aiokafka.admin import AIOKafkaAdminClient
    from prometheus_client import CollectorRegistry

    from msa.kafka import ensure_topics, make_producer
    from services.ingest.publisher import IngestMetrics, Publisher, TopicMap
    from services.ingest.replay import ReplayOptions, replay

    topics = TopicMap().suffixed(f".bench-{uuid.uuid4().hex[:8]}")
    await ensure_topics(bootstrap, topics.specs())
    producer = make_producer(bootstrap, client_id="msa-bench")
    await producer.start()
    try:
        pub = Publisher(producer, topics, IngestMetrics(CollectorRegistry()))
        await pub.start()
        t0 = time.perf_counter()
        await replay([path], pub, ReplayOptions(speed=None, fmt="nmea", progress=False))
        elapsed = time.perf_counter() - t0
        published = dict(pub.published)
    finally:
        await producer.stop()
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.delete_topics(list(topics.names()))
        finally:
            await admin.close()
    return elapsed, published


def run(out: dict[str, Any], quick: bool = False) -> None:
    from msa.infra.process import port_open
    from msa.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.nmea"
        lines = _write_recording(path, quick)
        out["ingest_sentences"] = lines
        rounds = 2 if quick else 3
        bare: list[tuple[float, int]] = []
        dec: list[tuple[float, int]] = []
        for _ in range(rounds):  # interleaved, best of each: the machine is shared, load varies by the second
            bare.append(_bare_pyais(path))
            dec.append(_decode_only(path))
        bare_s, bare_n = min(bare, key=lambda x: x[0])
        dec_s, dec_n = min(dec, key=lambda x: x[0])
        out["bare_pyais_sentences_per_s"] = round(lines / bare_s)
        out["bare_pyais_messages"] = bare_n
        out["decode_only_sentences_per_s"] = round(lines / dec_s)
        out["decode_only_records_and_rejects"] = dec_n
        out["decode_only_vs_bare"] = round(bare_s / dec_s, 3)
        bootstrap = load_settings().kafka_bootstrap
        host, _, port = bootstrap.split(",")[0].rpartition(":")
        if not port_open(host, int(port), timeout_s=2.0):
            out["kafka_sentences_per_s"] = "kafka unreachable"
            return
        runs = [asyncio.run(_to_kafka(path, bootstrap)) for _ in range(2)]
        k_s, published = min(runs, key=lambda x: x[0])
        out["kafka_sentences_per_s"] = round(lines / k_s)
        out["kafka_vs_bare"] = round(bare_s / k_s, 3)
        out["kafka_records_published"] = sum(published.values())
