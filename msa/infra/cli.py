"""``msa infra up|down|status``: the local broker and database, started only when msa manages them."""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

from msa.settings import Settings, load_settings

__all__ = ["register"]

_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True, slots=True)
class Endpoints:
    kafka_host: str
    kafka_port: int
    db_host: str
    db_port: int


def endpoints(settings: Settings) -> Endpoints:
    first = settings.kafka_bootstrap.split(",")[0]
    k_host, _, k_port = first.rpartition(":")
    db = urlsplit(settings.database_url)
    return Endpoints(k_host or "127.0.0.1", int(k_port or 9092), db.hostname or "127.0.0.1", db.port or 5432)


def _managed(host: str) -> bool:
    return host in _LOCAL_HOSTS


def _local_scram() -> tuple[str, str] | None:
    """With ``MSA_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT`` the local broker asks its clients for SCRAM-SHA-512
    with ``MSA_KAFKA_SASL_USERNAME`` / ``MSA_KAFKA_SASL_PASSWORD`` (created when its storage is formatted)."""
    from msa.kafka import KafkaSecurity

    sec = KafkaSecurity()
    if sec.security_protocol != "SASL_PLAINTEXT":
        return None
    if not sec.sasl_username or sec.sasl_password is None:
        raise SystemExit("MSA_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT needs MSA_KAFKA_SASL_USERNAME and "
                         "MSA_KAFKA_SASL_PASSWORD")
    return sec.sasl_username, sec.sasl_password.get_secret_value()


def cmd_up(args: argparse.Namespace) -> int:
    from msa.infra.kafka_broker import KafkaLayout, kafka_up
    from msa.infra.postgres import PostgresLayout, postgres_up
    from msa.infra.process import port_open
    from msa.kafka import ensure_topics, wait_for_broker

    settings = load_settings()
    ep = endpoints(settings)
    if not args.only or args.only == "kafka":
        if _managed(ep.kafka_host):
            print(kafka_up(KafkaLayout(settings.home, port=ep.kafka_port, controller_port=ep.kafka_port + 1,
                                       scram=_local_scram()), brokers=args.brokers))
        elif not port_open(ep.kafka_host, ep.kafka_port, 5.0):
            print(f"external broker {settings.kafka_bootstrap} is not reachable")
            return 1
        else:
            print(f"using external broker {settings.kafka_bootstrap}")
        asyncio.run(wait_for_broker(settings.kafka_bootstrap))
        created = asyncio.run(ensure_topics(settings.kafka_bootstrap))
        print(f"kafka topics ready ({len(created)} created)")
    if not args.only or args.only == "postgres":
        if _managed(ep.db_host):
            print(postgres_up(PostgresLayout(settings.home, port=ep.db_port)))
        elif not port_open(ep.db_host, ep.db_port, 5.0):
            print(f"external database {ep.db_host}:{ep.db_port} is not reachable")
            return 1
        else:
            print(f"using external database {ep.db_host}:{ep.db_port}")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    from msa.infra.kafka_broker import KafkaLayout, kafka_down
    from msa.infra.postgres import PostgresLayout, postgres_down

    settings = load_settings()
    ep = endpoints(settings)
    if not args.only or args.only == "kafka":
        print(kafka_down(KafkaLayout(settings.home, port=ep.kafka_port)))
    if not args.only or args.only == "postgres":
        print(postgres_down(PostgresLayout(settings.home, port=ep.db_port)))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from msa.infra.kafka_broker import KafkaLayout, kafka_status
    from msa.infra.postgres import PostgresLayout, postgres_status
    from msa.infra.process import port_open

    settings = load_settings()
    ep = endpoints(settings)
    print(kafka_status(KafkaLayout(settings.home, port=ep.kafka_port)))
    print(postgres_status(PostgresLayout(settings.home, port=ep.db_port)))
    ok = port_open(ep.kafka_host, ep.kafka_port) and port_open(ep.db_host, ep.db_port)
    return 0 if ok else 1


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("infra", help="local Kafka and PostGIS: up, down, status")
    isub = p.add_subparsers(dest="infra_command", required=True)
    up = isub.add_parser("up", help="install (if needed) and start Kafka and PostgreSQL+PostGIS; idempotent")
    up.add_argument("--only", choices=["kafka", "postgres"], help="start just one of them")
    up.add_argument("--brokers", type=int, choices=[1, 3], default=1,
                    help="Kafka nodes: 1, or 3 (replication factor 3, min.insync.replicas 2; ports P, P+2, P+4)")
    up.set_defaults(func=cmd_up)
    down = isub.add_parser("down", help="stop what `up` started (by pid), nothing else")
    down.add_argument("--only", choices=["kafka", "postgres"], help="stop just one of them")
    down.set_defaults(func=cmd_down)
    isub.add_parser("status", help="what runs where; exit 1 if something is down").set_defaults(func=cmd_status)
