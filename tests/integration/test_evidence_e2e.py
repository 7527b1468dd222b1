"""The evidence contract across components, fed with what each upstream really writes:
``msa simulate`` → ``msa detect`` (its alerts.jsonl) → ``alerts`` topic on the real broker → ``msa sink`` →
PostGIS → ``GET /alerts/{id}``. Every kind comes back with its track, the satellite kinds with their detections;
the sink refuses nothing of the detector's, and dead-letters evidence that breaks the contract."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from shapely.geometry import Point, shape

from msa.contracts.codec import alert_from_dict
from msa.contracts.topics import TopicSpec
from msa.domain import Alert, AlertKind
from msa.evidence import parse_evidence
from msa.kafka import ensure_topics, make_producer
from services.api.metrics import SinkMetrics
from services.api.principal import Role
from services.api.sink import rejects_topic, run_sink
from services.api.wire import encode_alert
from services.simulate.model import merge_worlds
from services.simulate.scenarios import build_world
from services.simulate.scoring import run_detect
from services.simulate.world_files import render
from tests.unit.api.builders import token
from tests.unit.api.live import api_settings, bearer, running_api

pytestmark = pytest.mark.integration

# one scenario per kind (dark_sar: a dark period a SAR scene saw)
SCENARIOS = ("alboran_gofast", "dark_sar", "coastal_rendezvous", "dark_rendezvous", "coastal_dark_vessel",
             "identity_shared")


@pytest.fixture(scope="module")
def detector_alerts(tmp_path_factory: pytest.TempPathFactory) -> list[Alert]:
    run_dir = tmp_path_factory.mktemp("e2e")
    render(merge_worlds("e2e", [build_world(n, 1, 6.0) for n in SCENARIOS]), run_dir)
    lines = run_detect(run_dir).read_text(encoding="utf-8").splitlines()
    return [alert_from_dict(json.loads(line)) for line in lines if line.strip()]


def _final(alerts: list[Alert]) -> dict[str, Alert]:
    last: dict[str, Alert] = {}
    for a in alerts:
        if a.alert_id not in last or a.version > last[a.alert_id].version:
            last[a.alert_id] = a
    return last


Headers = list[tuple[str, bytes]]


async def _produce(bootstrap: str, topic: str, alerts: list[Alert], raw: list[tuple[Headers, bytes]]) -> None:
    producer = make_producer(bootstrap)
    await producer.start()
    try:
        for a in alerts:
            key, headers, value = encode_alert(a)
            await producer.send_and_wait(topic, value, key=key, headers=headers)
        for headers, value in raw:
            await producer.send_and_wait(topic, value, key=b"bad", headers=headers)
    finally:
        await producer.stop()


async def _dead_letters(bootstrap: str, topic: str, want: int) -> list[dict[str, object]]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    out: list[dict[str, object]] = []
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while len(out) < want and asyncio.get_running_loop().time() < deadline:
            for msgs in (await consumer.getmany(timeout_ms=500)).values():
                out += [json.loads(m.value) for m in msgs]
    finally:
        await consumer.stop()
    return out


def _broken(a: Alert) -> tuple[Headers, bytes]:
    """The detector's record with one track fix at latitude 95: the sink must refuse it."""
    ev = dict(a.evidence)
    ev["track"] = [{**ev["track"][0], "lat": 95.0}]
    bad = Alert(**{**{f: getattr(a, f) for f in a.__dataclass_fields__}, "evidence": ev, "version": a.version + 1})
    _, headers, value = encode_alert(bad)
    return [(k, v) for k, v in headers], value


async def test_every_kind_reaches_the_officer_with_its_track_and_detections(
        detector_alerts: list[Alert], migrated_database_url: str, kafka_bootstrap: str, unique: str) -> None:
    final = _final(detector_alerts)
    kinds = {a.kind for a in final.values()}
    assert kinds >= {AlertKind.GO_FAST, AlertKind.DARK_PERIOD, AlertKind.RENDEZVOUS, AlertKind.DARK_VESSEL,
                     AlertKind.DARK_RENDEZVOUS, AlertKind.IDENTITY_ANOMALY}, kinds
    for a in detector_alerts:  # the producer's real output follows the contract, every version
        parse_evidence(a.kind.value, a.evidence)

    topic = f"test.alerts.{unique}"
    await ensure_topics(kafka_bootstrap, [TopicSpec(topic, 3, "alert_id", "alert", "test"),
                                          TopicSpec(rejects_topic(topic), 1, "source", "reject", "test")])
    go_fast = next(a for a in final.values() if a.kind == AlertKind.GO_FAST)
    broken = _broken(go_fast)
    settings = api_settings(migrated_database_url, kafka_bootstrap, alerts_topic=topic)
    metrics = SinkMetrics()
    stop = asyncio.Event()
    sink = asyncio.create_task(run_sink(settings, stop, group=f"sink-{unique}", metrics=metrics))
    try:
        await _produce(kafka_bootstrap, topic, detector_alerts, [broken])
        dead = await _dead_letters(kafka_bootstrap, rejects_topic(topic), 1)
        assert [d["reason"] for d in dead] == ["bad_evidence"], dead
        assert "track.0.lat" in str(dead[0]["detail"]) and str(dead[0]["raw"]).startswith("{")
        assert metrics.rejected.labels("bad_evidence")._value.get() == 1  # only the broken one
        tok = token(Role.OFFICER, ("*",))
        async with running_api(settings) as base, httpx.AsyncClient(base_url=base, timeout=30) as c:
            seen: dict[AlertKind, int] = {}
            for a in final.values():
                for _ in range(100):
                    r = await c.get(f"/alerts/{a.alert_id}", headers=bearer(tok))
                    if r.status_code == 200 and r.json()["version"] == a.version:
                        break
                    await asyncio.sleep(0.1)
                assert r.status_code == 200 and r.json()["version"] == a.version, (a.kind, r.text[:300])
                d = r.json()
                assert d["track"], (a.kind, a.status, a.alert_id, d["evidence"].keys())  # open ones too
                assert {f["mmsi"] for f in d["track"]} >= set(a.mmsi), a.kind
                seen[a.kind] = seen.get(a.kind, 0) + 1
                if a.kind in (AlertKind.DARK_VESSEL, AlertKind.DARK_RENDEZVOUS):
                    assert [x["detection_id"] for x in d["detections"]] == list(a.detection_ids)
                    # the scene's footprint (the simulator delivers one per scene) covers the detection
                    fp = shape(d["evidence"]["footprint"])
                    det = d["detections"][0]
                    assert fp.is_valid and fp.covers(Point(det["lon"], det["lat"])), (a.alert_id, fp.wkt[:200])
                if a.kind == AlertKind.DARK_PERIOD and a.detection_ids:
                    assert {x["detection_id"] for x in d["detections"]} == set(a.detection_ids)
                    seen[AlertKind.DARK_PERIOD] = seen.get(AlertKind.DARK_PERIOD, 0) + 100
                if a.kind == AlertKind.RENDEZVOUS and a.status.value == "closed":
                    assert len({f["mmsi"] for f in d["track"]}) == 2 and d["evidence"]["distance_series"]
            assert set(seen) == kinds, seen
            assert seen[AlertKind.DARK_PERIOD] >= 100, "no dark period with its SAR detection"
            # the OGC tracks collection holds every kind's evidence, and serves its items by id
            by_kind: dict[str, int] = {}
            for kind in sorted({k.value for k in kinds}):
                r = await c.get("/collections/tracks/items", params={"kind": kind, "limit": 5},
                                headers=bearer(tok))
                assert r.status_code == 200, r.text[:300]
                by_kind[kind] = len(r.json()["features"])
                first = r.json()["features"][0]
                one = await c.get(f"/collections/tracks/items/{first['id']}", headers=bearer(tok))
                assert one.status_code == 200 and one.json() == first
            assert all(by_kind.values()), by_kind
            assert (await c.get("/collections/tracks/items/99999999999", headers=bearer(tok))).status_code == 404
    finally:
        stop.set()
        await asyncio.wait_for(sink, 20)
