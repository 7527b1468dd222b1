"""A broker that asks for SASL/SCRAM-SHA-512 (``MSA_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT``, as the compose file
runs it): ``msa infra up`` starts one on ports of its own with the configured user; the services' clients
(``msa.kafka``) authenticate; a client without credentials, or with a wrong password, gets nothing."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError

from msa.infra.kafka_broker import KAFKA_VERSION, KafkaLayout, kafka_down
from msa.kafka import client_security, ensure_topics, make_consumer, make_producer
from msa.settings import Settings
from tests.integration.test_kafka_cluster import _free_base

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

MSA = [sys.executable, "-m", "msa.cli"]
USER = "msa"


@pytest.fixture
def sasl_broker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    jars = Settings().home / f"kafka-{KAFKA_VERSION}"
    if not (jars / "libs" / ".complete").exists():
        pytest.fail(f"the Kafka jars are not in {jars}: run `make infra` first")
    home = tmp_path / "home"
    home.mkdir()
    (home / f"kafka-{KAFKA_VERSION}").symlink_to(jars)
    port = _free_base()
    password = secrets.token_urlsafe(24)
    env = {"MSA_HOME": str(home), "MSA_KAFKA_BOOTSTRAP": f"127.0.0.1:{port}",
           "MSA_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "MSA_KAFKA_SASL_USERNAME": USER,
           "MSA_KAFKA_SASL_PASSWORD": password}
    up = subprocess.run([*MSA, "infra", "up", "--only", "kafka"], env={**os.environ, **env}, capture_output=True,
                        text=True, timeout=240, check=False)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        yield f"127.0.0.1:{port}", password
    finally:
        print(kafka_down(KafkaLayout(home, port=port)))


async def test_clients_authenticate_with_scram_and_strangers_get_nothing(sasl_broker: tuple[str, str]) -> None:
    bootstrap, password = sasl_broker
    assert client_security()["sasl_mechanism"] == "SCRAM-SHA-512"
    await ensure_topics(bootstrap, [])  # the admin client authenticates
    producer = make_producer(bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait("sasl.check", b"hello", key=b"k")
    finally:
        await producer.stop()
    consumer = make_consumer(bootstrap, "sasl.check", group_id=None)
    await consumer.start()
    try:
        got = [m.value for msgs in (await consumer.getmany(timeout_ms=5000)).values() for m in msgs]
    finally:
        await consumer.stop()
    assert got == [b"hello"]

    for kwargs in ({},  # PLAINTEXT on a SASL listener: no answer the client understands
                   {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
                    "sasl_plain_username": USER, "sasl_plain_password": password + "x"}):
        stranger = AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=5000,
                                    metadata_max_age_ms=5000, **kwargs)
        with pytest.raises((KafkaError, OSError)):
            await stranger.start()
            await stranger.send_and_wait("sasl.check", b"forged")
        await stranger.stop()
    reader = AIOKafkaConsumer("sasl.check", bootstrap_servers=bootstrap, group_id=None,
                              auto_offset_reset="earliest", **client_security())
    await reader.start()
    try:
        values = [m.value for msgs in (await reader.getmany(timeout_ms=3000)).values() for m in msgs]
    finally:
        await reader.stop()
    assert values == [b"hello"]  # nothing forged got in


def test_sasl_without_credentials_is_refused_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MSA_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.delenv("MSA_KAFKA_SASL_USERNAME", raising=False)
    monkeypatch.delenv("MSA_KAFKA_SASL_PASSWORD", raising=False)
    with pytest.raises(ValueError, match="MSA_KAFKA_SASL_USERNAME"):
        client_security()
