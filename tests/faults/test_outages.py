"""The fault suite, part two: outages of what the services depend on, and kills of the services that face
users. The scenario runs through replay → two ``msa detector`` → ``msa sink`` → PostgreSQL, with ``msa
partner-router`` and ``msa api`` beside them, each under ``msa supervise`` as ``msa run`` starts them, while:

* PostgreSQL is stopped for 60 s — the API must answer 503 (with ``Retry-After``), never 500, the whole time;
* ``kill -9`` of the partner router and of the API;
* the broker is stopped and started again.

Checked: the final alert set in PostgreSQL (ids and versions) is the fault-free reference's, none stored twice;
the API answers 200 again once the database is back; a partner reading ``read_committed`` got exactly one
event per alert record on ``alerts.v1`` (the router commits events and offsets in one transaction). Figures
(status codes seen, recovery times) are printed and saved (``bench/results/faults-outages.json``).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from msa.contracts.topics import partner_topic
from msa.kafka import ensure_topics
from services.api.admin_store import set_subscription
from services.api.db import make_engine
from services.api.partners import Subscription
from services.api.principal import Role
from services.detect.stream.detector_topics import StreamTopics
from tests.faults.services import Supervised, committed_counts, infra
from tests.faults.test_fault_suite import _stored
from tests.integration.test_detector_stream import GRACE_S, REPO, offline_alerts, prepared, replay
from tests.unit.api.builders import SECRET, token
from tests.unit.api.live import free_port

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.timeout(1500)]

RESULTS = REPO / "bench" / "results" / "faults-outages.json"
PG_DOWN_S = 60.0


async def _ce_ids(bootstrap: str, topic: str) -> Counter[str]:
    """Every committed record's CloudEvents id (alert id + version), with how many times it is there."""
    return await committed_counts(bootstrap, topic, lambda m: dict(m.headers or ()).get("ce_id", b"?").decode())


async def _status(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> int:
    try:
        return (await client.get(path, headers=headers, timeout=15)).status_code
    except httpx.HTTPError:
        return 0  # no answer at all (the API itself restarting)


async def _until_200(client: httpx.AsyncClient, path: str, headers: dict[str, str], timeout_s: float) -> float:
    t0 = time.monotonic()
    while await _status(client, path, headers) != 200:
        assert time.monotonic() - t0 < timeout_s, f"{path} not 200 after {timeout_s:.0f} s"
        await asyncio.sleep(0.5)
    return time.monotonic() - t0


async def test_the_pipeline_survives_database_and_broker_outages_and_service_kills(
        tmp_path_factory: pytest.TempPathFactory, own_database_url: str, kafka_bootstrap: str, unique: str,
        tmp_path: Path) -> None:
    scenario = prepared(tmp_path_factory.mktemp("outages"), "all")
    offline = offline_alerts(scenario)
    want = {aid: int(d["version"]) for aid, d in offline.items()}
    zones = tuple(sorted({str(d["zone"]) for d in offline.values()}))
    assert want and zones
    suffix = f".o{unique}"
    topics = StreamTopics.with_suffix(suffix)
    await ensure_topics(kafka_bootstrap, topics.specs())
    partner = f"fault-{unique}"
    engine = make_engine(own_database_url, pool_size=1)
    async with engine.begin() as conn:
        await set_subscription(conn, Subscription(partner, frozenset({"*"}), frozenset()))
    await engine.dispose()

    env = {"MSA_DATABASE_URL": own_database_url, "MSA_JWT_SECRET": SECRET}
    port = free_port()
    services = {
        **{f"d{i}": Supervised(f"d{i}", ["detector", "--topic-suffix", suffix, "--group", f"g-{unique}",
                                         "--instance-id", f"d{i}", "--database-url", own_database_url,
                                         "--idle-timeout-s", "1", "--checkpoint-interval-s", "0.5",
                                         "--checkpoint-records", "3000", "--grace-s", str(GRACE_S)],
                                tmp_path, env) for i in range(2)},
        "sink": Supervised("sink", ["sink", "--topic", topics.alerts, "--group", f"sink-{unique}"], tmp_path, env),
        "router": Supervised("router", ["partner-router", "--topic", topics.alerts, "--group", f"pr-{unique}"],
                             tmp_path, env),
        "api": Supervised("api", ["api", "--host", "127.0.0.1", "--port", str(port)], tmp_path, env),
    }
    officer = {"Authorization": f"Bearer {token(Role.OFFICER, zones, name='fault-officer')}"}
    figures: dict[str, Any] = {"scenario": "all (seed 7)", "alerts_compared": len(want)}
    faults: list[str] = []
    t0 = time.monotonic()
    try:
        replay(scenario, suffix)
        for s in services.values():
            s.start()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await _until_200(client, "/alerts", officer, 60)
            await asyncio.sleep(3.0)  # the detectors and the sink at work

            # 1. PostgreSQL away for 60 s: the API says 503 (not 500) to every request, the whole time
            infra("down", "--only", "postgres")
            down_at = time.monotonic()
            seen: Counter[str] = Counter()
            while time.monotonic() - down_at < PG_DOWN_S:
                for path in ("/alerts", f"/alerts/{next(iter(want))}", "/health/ready"):
                    seen[f"{path.split('/')[1]}:{await _status(client, path, officer)}"] += 1
                await asyncio.sleep(1.0)
            infra("up", "--only", "postgres")
            faults.append(f"PostgreSQL stopped for {PG_DOWN_S:.0f} s")
            figures["api_status_while_database_down"] = dict(seen)
            assert {k.split(":")[1] for k in seen} == {"503"}, seen
            figures["api_200_after_database_back_s"] = round(await _until_200(client, "/alerts", officer, 60), 1)

            # 2. kill -9 of the services that face users
            services["router"].kill_child()
            faults.append("kill -9 partner-router")
            services["api"].kill_child()
            faults.append("kill -9 api")
            figures["api_200_after_kill_s"] = round(await _until_200(client, "/alerts", officer, 60), 1)

            # 3. the broker stopped and started again
            infra("down", "--only", "kafka")
            await asyncio.sleep(5.0)
            infra("up", "--only", "kafka")
            faults.append("broker stopped 5 s and restarted")
            last_fault = time.monotonic()

            deadline = last_fault + 600
            versions: dict[str, int] = {}
            created: Counter[str] = Counter()
            while time.monotonic() < deadline:
                versions, created = _stored(own_database_url)
                if versions == want:
                    break
                await asyncio.sleep(1.0)
            figures["recovery_after_last_fault_s"] = round(time.monotonic() - last_fault, 1)
            logs = "\n".join(f"== {n}\n{s.log()}" for n, s in services.items())
            assert versions == want, (f"missing {sorted(set(want) - set(versions))[:5]}, extra "
                                      f"{sorted(set(versions) - set(want))[:5]}\n{logs[-8000:]}")
            assert all(n == 1 for n in created.values()) and set(created) == set(want)  # none stored twice
            for aid in list(want)[:5]:  # the API serves them again
                assert await _status(client, f"/alerts/{aid}", officer) == 200

        # the partner got one event per alert record, however the router was killed and the broker restarted
        sent = await _ce_ids(kafka_bootstrap, topics.alerts)
        got: Counter[str] = Counter()
        for _ in range(60):
            got = await _ce_ids(kafka_bootstrap, partner_topic(partner))
            if got == sent:
                break
            await asyncio.sleep(1.0)
        assert sent and got == sent, (f"partner events differ from alerts.v1: missing {list((sent - got).items())[:5]}"
                                      f", extra {list((got - sent).items())[:5]}")
    finally:
        for s in services.values():
            s.stop()
    figures.update({
        "faults": faults, "restarts_by_supervisor": {n: s.restarts() for n, s in services.items()},
        "partner_events": sum(got.values()), "alert_records": sum(sent.values()),
        "wall_s": round(time.monotonic() - t0, 1),
    })
    print("fault suite (outages):", json.dumps(figures))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
