"""``msa decode``, ``msa ingest file|tcp|udp|sat|sat-http`` and ``msa replay``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from services.ingest.shutdown import Stop, install_signal_handlers

__all__ = ["register"]

log = logging.getLogger("msa.ingest")


def _add_kafka(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bootstrap", default=None, help="Kafka bootstrap servers (default: MSA_KAFKA_BOOTSTRAP)")
    p.add_argument("--topic-suffix", default="", help="append this to every topic name (tests, sandboxes)")
    p.add_argument("--metrics-port", type=int, default=0, help="serve Prometheus metrics on this port")
    p.add_argument("--metrics-host", default="127.0.0.1",
                   help="address of the metrics server (default loopback; 0.0.0.0 to expose it)")


def _parse_time(text: str) -> int:
    from msa.domain import parse_ts

    return parse_ts(text)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    d = sub.add_parser("decode", help="decode AIS recordings to JSON lines (no Kafka)")
    d.add_argument("files", nargs="+", type=Path)
    d.add_argument("--format", default="auto", choices=("auto", "nmea", "dma-csv", "noaa-csv", "geojson"))
    d.add_argument("--out", default="-", help="output path, '-' for stdout")
    d.add_argument("--with-rejects", action="store_true", help="also write rejects (kind 'reject')")
    d.add_argument("--no-dedup", action="store_true", help="keep reports heard by several receivers")
    d.add_argument("--receipt-time", type=_parse_time, default=None,
                   help="receipt time for lines without any timestamp (default: now)")
    d.set_defaults(func=cmd_decode)

    ing = sub.add_parser("ingest", help="long-running ingest workers onto Kafka")
    isub = ing.add_subparsers(dest="ingest_command", metavar="SOURCE", required=True)
    f = isub.add_parser("file", help="NMEA/CSV/GeoJSON files (.gz ok), as fast as possible")
    f.add_argument("files", nargs="+", type=Path)
    f.add_argument("--format", default="auto", choices=("auto", "nmea", "dma-csv", "noaa-csv", "geojson"))
    _add_kafka(f)
    f.set_defaults(func=cmd_ingest_file)
    t = isub.add_parser("tcp", help="TCP client to a live NMEA feed (reconnects with backoff)")
    t.add_argument("address", help="HOST:PORT")
    _add_kafka(t)
    t.set_defaults(func=cmd_ingest_tcp)
    u = isub.add_parser("udp", help="UDP listener for NMEA datagrams")
    u.add_argument("--host", default="127.0.0.1")
    u.add_argument("--port", type=int, default=10110)
    _add_kafka(u)
    u.set_defaults(func=cmd_ingest_udp)
    s = isub.add_parser("sat", help="satellite detections: GeoJSON FeatureCollection file(s) or a directory")
    s.add_argument("paths", nargs="+", type=Path)
    _add_kafka(s)
    s.set_defaults(func=cmd_ingest_sat)
    h = isub.add_parser("sat-http", help="HTTP endpoint POST /detections for satellite detections")
    h.add_argument("--host", default="127.0.0.1")
    h.add_argument("--port", type=int, default=8090)
    _add_kafka(h)
    h.set_defaults(func=cmd_ingest_sat_http)

    r = sub.add_parser("replay", help="publish recordings paced by event time")
    r.add_argument("files", nargs="+", type=Path)
    pace = r.add_mutually_exclusive_group()
    pace.add_argument("--speed", type=float, default=1.0, help="N x real time (default 1)")
    pace.add_argument("--max", action="store_true", help="as fast as possible")
    r.add_argument("--from", dest="from_ts", type=_parse_time, default=None, help="ISO 8601 start (inclusive)")
    r.add_argument("--to", dest="to_ts", type=_parse_time, default=None, help="ISO 8601 end (exclusive)")
    r.add_argument("--format", default="auto", choices=("auto", "nmea", "dma-csv", "noaa-csv", "geojson"))
    r.add_argument("--loop", action="store_true",
                   help="start again at the end, each pass after the previous one (event times shifted)")
    r.add_argument("--loop-gap-s", type=float, default=None,
                   help="event time between a pass's newest record and the next pass's oldest "
                        "(default 21600 = 6 h; no wall time is spent on it; see docs/demo.md)")
    r.add_argument("--rebase-now", action="store_true",
                   help="shift event times so that the recording starts now (or after the newest event time "
                        "already on the positions topic) and, with --speed S, runs S x the wall clock")
    late = r.add_mutually_exclusive_group()
    late.add_argument("--sat-delay-s", type=float, default=0.0,
                      help="publish satellite detections this many seconds (event time) after acquisition, "
                           "as a SAR product reaches an operations centre (e.g. 3600)")
    late.add_argument("--sat-delivered", action="store_true",
                      help="publish satellite detections at their GeoJSON 'delivered_at' time (msa simulate)")
    r.add_argument("--no-progress", action="store_true")
    _add_kafka(r)
    r.set_defaults(func=cmd_replay)


# -- decode -------------------------------------------------------------------------------------------------
def cmd_decode(args: argparse.Namespace) -> int:
    import orjson

    from msa.ais.decoder import Decoder
    from msa.ais.fastline import Encoded
    from msa.contracts.codec import record_to_dict, reject_to_dict
    from msa.domain import Reject
    from msa.formats.recordings import read_records

    receipt = args.receipt_time if args.receipt_time is not None else int(time.time() * 1000)
    out = sys.stdout.buffer if args.out == "-" else open(args.out, "wb")  # noqa: SIM115
    kinds: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    lines = 0
    try:
        for path in args.files:
            if not path.exists():
                print(f"msa decode: no such file: {path}", file=sys.stderr)
                return 2
            decoder = Decoder(path.name, dedup_window_ms=None if args.no_dedup else 30_000, encoded=True)
            for n, items in read_records(path, args.format, decoder, receipt):
                lines += n
                buf = []
                for item in items:
                    if isinstance(item, Encoded):  # the fast path: already the codec's JSON
                        kinds[item.kind] += 1
                        buf.append(item.value)
                        continue
                    if isinstance(item, Reject):
                        reasons[item.reason] += 1
                        if not args.with_rejects:
                            continue
                        d = reject_to_dict(item)
                    else:
                        d = record_to_dict(item)
                        kinds[d["kind"]] += 1
                    buf.append(orjson.dumps(d, option=orjson.OPT_SORT_KEYS))
                if buf:
                    out.write(b"\n".join(buf) + b"\n")
            kinds["duplicates"] += decoder.counters["duplicates"]
            kinds["tag_block_bad_checksum"] += decoder.counters["tag_block_bad_checksum"]  # ignored, lines read
    finally:
        if out is not sys.stdout.buffer:
            out.close()
        else:
            out.flush()
    _summary(lines, kinds, reasons)
    return 0


def _summary(lines: int, kinds: Counter[str], reasons: Counter[str]) -> None:
    parts = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()) if v)
    print(f"lines {lines}: {parts or 'no records'}; rejects {sum(reasons.values())}", file=sys.stderr)
    for reason, n in reasons.most_common():
        print(f"  reject {reason}: {n}", file=sys.stderr)


# -- Kafka workers ------------------------------------------------------------------------------------------
# Every worker runs under ``_run``: SIGTERM/SIGINT set a Stop, the source stops reading, then the decoder
# and the producer are flushed, a summary of the counters is logged and the exit code is 0.
@asynccontextmanager
async def _publisher(args: argparse.Namespace, label: str, stop: Stop) -> AsyncIterator[tuple[Any, Counter[str]]]:
    """Yield (publisher, input counters); on the way out: flush (all acknowledged), log the summary."""
    from msa.kafka import ensure_topics, make_producer, wait_for_broker
    from msa.settings import load_settings
    from services.ingest.publisher import IngestMetrics, Publisher, TopicMap
    from services.ingest.worker import summary

    bootstrap = args.bootstrap or load_settings().kafka_bootstrap
    topics = TopicMap().suffixed(args.topic_suffix) if args.topic_suffix else TopicMap()
    await wait_for_broker(bootstrap)
    await ensure_topics(bootstrap, topics.specs())
    metrics = IngestMetrics()
    if args.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(args.metrics_port, addr=args.metrics_host)
    producer = make_producer(bootstrap, client_id="msa-ingest")
    await producer.start()
    inputs: Counter[str] = Counter()
    try:
        pub = Publisher(producer, topics, metrics)
        await pub.start()
        yield pub, inputs
        await pub.flush()
        log.info("%s", summary(label, inputs, pub, stop.reason))
    finally:
        await producer.stop()


def _run(main: Callable[[Stop], Awaitable[int]]) -> int:
    async def runner() -> int:
        stop = Stop()
        install_signal_handlers(stop)
        return await main(stop)

    try:
        return asyncio.run(runner())
    except KeyboardInterrupt:  # a signal before the handlers were installed
        return 130


def cmd_ingest_file(args: argparse.Namespace) -> int:
    from msa.ais.decoder import Decoder
    from msa.formats.recordings import read_records

    async def main(stop: Stop) -> int:
        async with _publisher(args, "ingest file", stop) as (pub, inputs):
            for path in args.files:
                if stop.is_set():
                    break
                decoder = Decoder(path.name, encoded=True)
                for _, items in read_records(path, args.format, decoder, int(time.time() * 1000)):
                    await pub.publish(items)
                    if stop.is_set():
                        break
                tail: list[Any] = []
                decoder.flush(tail)  # after a stop: held fragments become orphan_fragment rejects
                await pub.publish(tail)
                await pub.flush()
                inputs.update(decoder.counters)
                log.info("%s: published %s; rejects %s", path, dict(pub.published), dict(pub.rejected))
        return 0

    return _run(main)


def _live(args: argparse.Namespace, source_name: str,
          lines: Callable[[Stop], AsyncIterator[tuple[bytes, int, str]]]) -> int:
    from msa.ais.decoder import Decoder
    from services.ingest.worker import batched, pump

    async def main(stop: Stop) -> int:
        async with _publisher(args, f"ingest {source_name}", stop) as (pub, inputs):
            decoder = Decoder(source_name, encoded=True)
            try:
                await pump(batched(lines(stop)), decoder, pub, live=True)
            finally:
                inputs.update(decoder.counters)
        return 0

    return _run(main)


def cmd_ingest_tcp(args: argparse.Namespace) -> int:
    from services.ingest.sources import tcp_lines

    host, _, port = args.address.rpartition(":")
    return _live(args, f"tcp:{args.address}", lambda stop: tcp_lines(host or "127.0.0.1", int(port), stop=stop))


def cmd_ingest_udp(args: argparse.Namespace) -> int:
    from services.ingest.sources import udp_lines

    return _live(args, f"udp:{args.port}", lambda stop: udp_lines(args.host, args.port, stop=stop))


def cmd_ingest_sat(args: argparse.Namespace) -> int:
    from msa.formats.satellite import parse_geojson_bytes

    files: list[Path] = []
    for p in args.paths:
        files.extend(sorted(x for x in p.iterdir() if x.suffix in (".geojson", ".json")) if p.is_dir() else [p])

    async def main(stop: Stop) -> int:
        async with _publisher(args, "ingest sat", stop) as (pub, inputs):
            for f in files:
                if stop.is_set():
                    break
                records, rejects = parse_geojson_bytes(f.read_bytes(), f.name)
                await pub.publish([*records, *rejects])
                inputs["files"] += 1
                log.info("%s: %d records, %d rejects", f, len(records), len(rejects))
        return 0

    return _run(main)


def cmd_ingest_sat_http(args: argparse.Namespace) -> int:
    import uvicorn

    from services.ingest.http_upload import UploadKeyError, check_upload_key, create_app

    try:
        upload_key = check_upload_key(os.environ.get("MSA_SAT_UPLOAD_KEY"))
    except UploadKeyError as exc:
        print(f"msa ingest sat-http: {exc}", file=sys.stderr)
        return 2

    class Server(uvicorn.Server):
        """Signals are ours (``_run``): a stop ends the server, then the publisher is flushed."""

        @contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

        def install_signal_handlers(self) -> None:  # older uvicorn
            return

    async def main(stop: Stop) -> int:
        async with _publisher(args, "ingest sat-http", stop) as (pub, inputs):
            async def publish(items: Any) -> None:
                batch = list(items)
                inputs["uploaded"] += len(batch)
                await pub.publish(batch)
                await pub.flush()

            app = create_app(publish, upload_key=upload_key)
            server = Server(uvicorn.Config(app, host=args.host, port=args.port, log_level="info"))

            def should_exit() -> None:
                server.should_exit = True

            stop.add_callback(should_exit)
            await server.serve()
        return 0

    return _run(main)


def cmd_replay(args: argparse.Namespace) -> int:
    from msa.domain import format_ts
    from services.ingest.rebase import SEAM_GAP_MS
    from services.ingest.replay import ReplayOptions, replay

    gap_ms = SEAM_GAP_MS if args.loop_gap_s is None else int(args.loop_gap_s * 1000)
    if gap_ms <= 0:
        print("msa replay: --loop-gap-s must be positive (each pass strictly after the previous one)",
              file=sys.stderr)
        return 2
    opts = ReplayOptions(speed=None if args.max else args.speed, from_ms=args.from_ts, to_ms=args.to_ts,
                         fmt=args.format, loop=args.loop, progress=not args.no_progress,
                         sat_delay_ms=int(args.sat_delay_s * 1000), sat_delivered=args.sat_delivered,
                         rebase_now=args.rebase_now, seam_gap_ms=gap_ms)
    for path in args.files:
        if not path.exists():
            print(f"msa replay: no such file: {path}", file=sys.stderr)
            return 2

    def announce(first_ms: int, rebased_ms: int) -> None:
        log.info("replay: recording time %s now plays as %s (%+.1f h)", format_ts(first_ms),
                 format_ts(rebased_ms), (rebased_ms - first_ms) / 3_600_000)

    async def newest_on_topic() -> int | None:
        """The newest event time the positions topic already holds (a detector may have read it)."""
        from msa.settings import load_settings
        from services.ingest.publisher import TopicMap
        from services.ingest.topic_clock import newest_event_ms

        topic = TopicMap().suffixed(args.topic_suffix).positions
        newest = await newest_event_ms(args.bootstrap or load_settings().kafka_bootstrap, topic)
        if newest is not None:
            log.info("replay: newest event time already on %s: %s", topic, format_ts(newest))
        return newest

    async def main(stop: Stop) -> int:
        async with _publisher(args, "replay", stop) as (pub, inputs):
            newest = await newest_on_topic() if args.rebase_now else None
            totals = await replay(list(args.files), pub, opts, now_ms=lambda: int(time.time() * 1000),
                                  stop=stop, counters=inputs, newest_seen_ms=newest, on_rebase=announce)
            log.info("replay: %s", totals)
        return 0

    return _run(main)
