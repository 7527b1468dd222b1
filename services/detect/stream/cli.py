"""``msa detector``: the streaming detector service (consumer group on Kafka, state in PostgreSQL)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["register"]

log = logging.getLogger("msa.detector")


class _DeprecatedAlias(argparse.Action):
    """An old spelling of an option, still accepted (hidden from ``--help``) with a warning naming the new one."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        new = "--" + self.dest.replace("_", "-")
        print(f"{parser.prog}: {option_string} is deprecated, use {new}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("detector", help="streaming detector: Kafka in, alerts out, state checkpointed in PG",
                       description="Consume ais.positions/static and sat.detections in a consumer group, run "
                                   "the detection engine per partition (pairs per spatial cell), produce "
                                   "alerts as CloudEvents to alerts.v1, checkpoint state + offsets in "
                                   "PostgreSQL. SIGTERM flushes and checkpoints.")
    p.add_argument("--group", default="msa-detector", help="consumer group (default msa-detector)")
    p.add_argument("--instance-id", default=None, help="name in logs and checkpoints (default host-pid)")
    p.add_argument("--health-port", type=int, default=None,
                   help="serve /health/live, /health/ready, /metrics")
    p.add_argument("--shutdown-timeout-s", type=float, default=30.0,
                   help="after SIGTERM, the last checkpoint's deadline; then exit code 3 (default 30 s)")
    p.add_argument("--health-host", default="127.0.0.1",
                   help="address of the health/metrics server (default loopback; 0.0.0.0 to expose it)")
    p.add_argument("--topic-suffix", default="", help="append this to every topic name (tests, sandboxes)")
    p.add_argument("--topics-suffix", dest="topic_suffix", action=_DeprecatedAlias, help=argparse.SUPPRESS)
    p.add_argument("--zones", type=Path, default=None, help="GeoJSON zones replacing the bundled ones")
    p.add_argument("--params", type=Path, default=None, help="JSON parameter overrides (as msa detect)")
    p.add_argument("--grace-s", type=float, default=120.0,
                   help="watermark grace period: at least the feed's disorder (default 120 s)")
    p.add_argument("--idle-timeout-s", type=float, default=5.0,
                   help="a caught-up partition silent this long stops holding the clock (default 5 s)")
    p.add_argument("--checkpoint-records", type=int, default=250_000, help="checkpoint every N input records")
    p.add_argument("--checkpoint-interval-s", type=float, default=5.0, help="…or every T seconds")
    p.add_argument("--stuck-after-s", type=float, default=60.0,
                   help="watchdog: lag without progress this long → not ready")
    p.add_argument("--bootstrap", default=None, help="Kafka bootstrap (default MSA_KAFKA_BOOTSTRAP)")
    p.add_argument("--database-url", default=None, help="PostgreSQL URL (default MSA_DATABASE_URL)")
    p.set_defaults(func=_detector)


def _detector(args: argparse.Namespace) -> int:
    from msa.settings import load_settings
    from services.detect.stream.config import DetectorConfig
    from services.detect.stream.detector_topics import StreamTopics
    from services.detect.stream.engines import EngineSettings

    early_stop: list[int] = []  # SIGTERM while starting (zones, engine): stop cleanly as soon as we run
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _frame: early_stop.append(signum))
    settings = load_settings()
    engine = EngineSettings(args.zones, args.params, int(args.grace_s * 1000))
    cfg = DetectorConfig(
        bootstrap=args.bootstrap or settings.kafka_bootstrap,
        database_url=args.database_url or settings.database_url,
        group=args.group,
        instance_id=args.instance_id or f"{socket.gethostname()}-{os.getpid()}",
        topics=StreamTopics.with_suffix(args.topic_suffix) if args.topic_suffix else StreamTopics(),
        engine=engine,
        idle_timeout_s=args.idle_timeout_s,
        checkpoint_records=args.checkpoint_records,
        checkpoint_interval_s=args.checkpoint_interval_s,
        stuck_after_s=args.stuck_after_s,
        health_port=args.health_port, health_host=args.health_host,
    )
    factory = engine.factory()
    return asyncio.run(_serve(cfg, factory, early_stop, args.shutdown_timeout_s))


SHUTDOWN_EXIT_CODE = 3  # the graceful shutdown did not finish in time


async def _serve(cfg: object, factory: object, early_stop: list[int], shutdown_timeout_s: float = 30.0,
                 service: Any = None, hard_exit: Callable[[int], None] = os._exit) -> int:
    """Run the service until SIGTERM/SIGINT; its shutdown (last checkpoint) then has ``shutdown_timeout_s``:
    with the broker or the database away it could wait for ever, so past the deadline the process exits
    with code 3 at once. Nothing is lost: the checkpoint is one PostgreSQL transaction (committed or not), and a
    restart resumes from the last committed one."""
    from services.detect.stream.service import DetectorService

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if early_stop:
        stop.set()
    service = service or DetectorService(cfg, factory)  # type: ignore[arg-type]
    task = asyncio.create_task(service.run(stop))
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not task.done():
        done, _ = await asyncio.wait({task}, timeout=shutdown_timeout_s)
        if not done:
            logging.getLogger("msa.detector").error(
                "shutdown did not finish within %.0f s (broker or database away?): exiting with code %d; the last "
                "committed checkpoint stands", shutdown_timeout_s, SHUTDOWN_EXIT_CODE)
            hard_exit(SHUTDOWN_EXIT_CODE)  # a thread may be blocked in a driver call: no orderly teardown
            return SHUTDOWN_EXIT_CODE
    stopping.cancel()
    await task  # its exception, if it failed
    return 0
