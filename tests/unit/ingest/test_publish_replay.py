"""Publisher (keys, topics, batching, counters), replay pacing and progress, the worker loop, HTTP upload."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx
import pytest
from aiokafka.partitioner import DefaultPartitioner
from prometheus_client import CollectorRegistry

from msa.ais.decoder import Decoder
from msa.contracts.codec import loads, record_from_dict
from msa.domain import PositionReport, Reject, TimeSource
from services.ingest.http_upload import create_app
from services.ingest.publisher import IngestMetrics, Publisher, TopicMap
from services.ingest.replay import Pacer, Progress, ReplayOptions, in_window, merged_chunks, replay
from services.ingest.worker import batched, pump, summary
from tests.unit.ingest.builders import T0_S, position_line
from tests.unit.ingest.fakes import FakeProducer


def pos(mmsi: int, t_ms: int) -> PositionReport:
    return PositionReport(mmsi, t_ms, 36.0, -5.0, 30.0, time_source=TimeSource.TAG_BLOCK, source="rX")


async def started(producer: FakeProducer, registry: CollectorRegistry | None = None) -> Publisher:
    pub = Publisher(producer, TopicMap().suffixed(".t"), IngestMetrics(registry or CollectorRegistry()))
    await pub.start()
    return pub


async def test_records_keyed_by_mmsi_on_the_java_partition() -> None:
    producer = FakeProducer(partitions=6, capacity=2)
    pub = await started(producer)
    await pub.publish([pos(244740981, 1000), pos(244740981, 2000), pos(244740981, 3000), pos(227006760, 1000),
                       Reject("bad_checksum", "!AIVDM…", "rA")])
    await pub.flush()
    msgs = producer.messages("ais.positions.v1.t")
    assert len(msgs) == 4
    for p, key, value in msgs:
        rec = record_from_dict(loads(value))
        assert key == str(rec.mmsi).encode()  # type: ignore[union-attr]
        assert p == DefaultPartitioner()(key, list(range(6)), list(range(6)))
    assert [record_from_dict(loads(v)).ts_ms for _, k, v in msgs if k == b"244740981"] == [1000, 2000, 3000]
    (_, key, value), = producer.messages("ais.rejects.v1.t")
    assert key == b"rA" and loads(value)["reason"] == "bad_checksum"
    assert pub.published == {"position": 4}


async def test_counters_for_every_outcome() -> None:
    registry = CollectorRegistry()
    pub = await started(FakeProducer(), registry)
    await pub.publish([pos(244740981, 1000), Reject("orphan_fragment", "x", "s"), Reject("orphan_fragment", "y")])
    assert registry.get_sample_value("msa_ingest_records_total", {"kind": "position"}) == 1
    assert registry.get_sample_value("msa_ingest_rejects_total", {"reason": "orphan_fragment"}) == 2


def test_topic_map_specs_keep_partitions() -> None:
    specs = TopicMap().suffixed(".x").specs()
    assert specs[0].name == "ais.positions.v1.x" and specs[0].partitions == 6


def test_pacer_scales_event_time() -> None:
    p = Pacer(speed=10.0)
    assert p.delay_s(1_000_000, wall_s=100.0) == 0.0
    assert p.delay_s(1_010_000, wall_s=100.2) == pytest.approx(0.8)  # 10 s of event time at 10x = 1 s after the anchor
    assert p.delay_s(1_005_000, wall_s=100.3) == 0.0  # out of order: never waits again
    assert Pacer(speed=None).delay_s(5_000_000, wall_s=0.0) == 0.0


def test_progress_line() -> None:
    clock = iter([0.0, 2.0, 2.0])
    buf = io.StringIO()
    pr = Progress(total_lines=100, stream=buf, clock=lambda: next(clock))
    pr.update(50, 40, 1_735_689_600_000)
    line = buf.getvalue()
    assert "[ 50.0%]" in line and "40 msgs" in line and "20 msg/s" in line
    assert "sim 2025-01-01T00:00:00Z" in line and "ETA 00:02" in line


def test_window_filter() -> None:
    assert in_window(pos(1, 5), 5, 6) and not in_window(pos(1, 6), 5, 6) and not in_window(pos(1, 4), 5, None)
    assert in_window(Reject("x", "y"), 5, 6)  # rejects without time always pass


async def test_replay_paces_filters_and_publishes(tmp_path: Path) -> None:
    path = tmp_path / "rec.nmea"
    lines = [position_line(mmsi=244740981 + i, t_s=T0_S + 60 * i) for i in range(5)]
    path.write_bytes(b"\n".join(lines) + b"\n")
    producer = FakeProducer()
    pub = await started(producer)
    slept: list[float] = []
    clock = [0.0]

    async def sleep(s: float) -> None:
        slept.append(s)
        clock[0] += s

    opts = ReplayOptions(speed=60.0, from_ms=(T0_S + 60) * 1000, to_ms=(T0_S + 240) * 1000, progress=False)
    totals = await replay([path], pub, opts, wall=lambda: clock[0], sleep=sleep)
    assert totals == {"published": 3, "filtered": 2}
    assert [round(s, 3) for s in slept] == [1.0, 1.0]  # 60 s apart at 60x
    got = [record_from_dict(loads(v)) for _, _, v in producer.messages("ais.positions.v1.t")]
    assert sorted(r.mmsi for r in got) == [244740982, 244740983, 244740984]  # type: ignore[union-attr]


def test_several_files_are_interleaved_by_event_time_each_in_its_own_order() -> None:
    ais = iter([(3, [pos(1, 10), pos(2, 30), pos(3, 20)]), (2, [pos(4, 50), Reject("bad", "x")])])
    sat = iter([(1, [pos(9, 25), pos(8, 40)])])
    chunks = list(merged_chunks([ais, sat], chunk_items=3))
    got = [it.mmsi if isinstance(it, PositionReport) else "reject" for _, items in chunks for it in items]
    assert got == [1, 9, 2, 3, 8, 4, "reject"]  # 30 before 20: the AIS file's own order is kept
    assert sum(n for n, _ in chunks) == 6  # every line counted once
    one = [(2, [pos(1, 10)])]
    assert list(merged_chunks([iter(one)], 3)) == one


async def test_a_paced_replay_publishes_a_scene_at_its_time(tmp_path: Path) -> None:
    ais = tmp_path / "ais.nmea"
    ais.write_bytes(b"\n".join(position_line(mmsi=244740981 + i, t_s=T0_S + 60 * i) for i in range(4)) + b"\n")
    sat = tmp_path / "sat.geojson"
    from msa.domain import format_ts

    sat.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", '
                   '"coordinates": [-5.0, 36.0]}, "properties": {"detection_id": "d1", "detected_at": "'
                   + format_ts((T0_S + 90) * 1000) + '", "confidence": 0.9, "sensor": "SAR", "scene_id": "s1"}}]}')
    producer = FakeProducer()
    pub = await started(producer)
    order: list[str] = []
    real_publish = pub.publish

    async def publish(items: Sequence[object]) -> None:
        order.extend(type(i).__name__ for i in items)
        await real_publish(items)

    pub.publish = publish  # type: ignore[method-assign]
    clock = [0.0]

    async def sleep(s: float) -> None:
        clock[0] += s

    await replay([ais, sat], pub, ReplayOptions(speed=60.0, progress=False), wall=lambda: clock[0], sleep=sleep)
    assert [o for o in order if o != "Encoded"] == ["SatelliteDetection"]
    assert order.index("SatelliteDetection") == 2  # after the fixes at +0 s and +60 s, before +120 s


async def test_worker_pump_over_a_live_source() -> None:
    async def source() -> AsyncIterator[tuple[bytes, int, str]]:
        for i in range(7):
            yield position_line(mmsi=244740981 + i, t_s=T0_S + i), 0, "peer"
        yield b"garbage", 0, "peer"

    producer = FakeProducer()
    pub = await started(producer)
    counters = await pump(batched(source(), max_items=3), Decoder("live"), pub, live=True)
    assert counters["position"] == 7 and counters["reject.not_nmea"] == 1
    assert len(producer.messages("ais.positions.v1.t")) == 7 and len(producer.messages("ais.rejects.v1.t")) == 1


async def test_ignored_tag_blocks_are_counted_where_operators_look() -> None:
    """A tag block with a bad checksum is ignored, not rejected: its count is a metric and in the summary."""
    async def source() -> AsyncIterator[tuple[bytes, int, str]]:
        yield b"\\c:%d*00\\" % T0_S + position_line().split(b"\\")[-1], 0, "peer"
        yield position_line(mmsi=244740982), 0, "peer"

    registry = CollectorRegistry()
    pub = await started(FakeProducer(), registry)
    counters = await pump(batched(source()), Decoder("live"), pub, live=True)
    assert counters["tag_block_bad_checksum"] == 1 and counters["position"] == 2
    assert registry.get_sample_value("msa_ingest_tag_blocks_ignored_total") == 1
    assert "tag_block_bad_checksum 1" in summary("ingest udp:1", counters, pub)


async def test_http_upload_validates_and_publishes() -> None:
    published: list[object] = []

    async def publish(items: Sequence[object]) -> None:
        published.extend(items)

    app = create_app(publish, upload_key=UPLOAD_KEY, registry=CollectorRegistry())
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-9.5, 38.6]},
         "properties": {"detection_id": "d1", "detected_at": "2025-01-01T10:00:00Z", "confidence": 0.9,
                        "sensor": "S1", "scene_id": "sc1"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-9.5, 38.6]},
         "properties": {"detection_id": "d2", "detected_at": "2025-01-01T10:00:00Z", "confidence": 7,
                        "sensor": "S1", "scene_id": "sc1"}},
    ]}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t",
                                 headers={"Authorization": f"Bearer {UPLOAD_KEY}"}) as client:
        ok = await client.post("/detections", json=doc)
        bad = await client.post("/detections", content=b"{]")
    assert ok.status_code == 202
    assert ok.json() == {"accepted": 1,
                         "rejected": [{"reason": "bad_confidence", "detail": "feature 1: 7.0 not in [0, 1]"}]}
    assert bad.status_code == 422 and bad.json()["rejected"][0]["reason"] == "bad_json"
    assert [type(x).__name__ for x in published] == ["SatelliteDetection", "Reject", "Reject"]


UPLOAD_KEY = "provider-upload-key-that-is-long-enough-x"


async def test_http_upload_needs_the_key_and_checks_the_size_while_streaming() -> None:
    published: list[object] = []

    async def publish(items: Sequence[object]) -> None:
        published.extend(items)

    app = create_app(publish, upload_key=UPLOAD_KEY, max_body_bytes=4096)
    doc = b'{"type": "FeatureCollection", "features": []}'
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        for headers in ({}, {"Authorization": "Bearer wrong-key-of-the-same-length-as-the-real-o"},
                        {"Authorization": UPLOAD_KEY}):
            r = await client.post("/detections", content=doc, headers=headers)
            assert r.status_code == 401 and "Bearer" in r.headers["www-authenticate"], headers
        auth = {"Authorization": f"Bearer {UPLOAD_KEY}"}
        r = await client.post("/detections", content=b"x" * 5000, headers=auth)
        assert r.status_code == 413
        pulled = 0

        async def endless() -> AsyncIterator[bytes]:  # chunked, no Content-Length: refused once over
            nonlocal pulled
            for _ in range(10_000):
                pulled += 1
                yield b"z" * 1024

        r = await client.post("/detections", content=endless(), headers=auth)
        assert r.status_code == 413 and pulled < 20
        assert (await client.post("/detections", content=doc, headers=auth)).status_code == 422  # no features
    assert published == []  # nothing from the refused uploads


def test_the_upload_endpoint_will_not_start_without_a_strong_key(monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from msa.cli import main
    from services.ingest.http_upload import UploadKeyError

    for key in (None, "short"):
        with pytest.raises(UploadKeyError, match="MSA_SAT_UPLOAD_KEY"):
            create_app(lambda items: None, upload_key=key)  # type: ignore[arg-type, return-value]
    monkeypatch.delenv("MSA_SAT_UPLOAD_KEY", raising=False)
    assert main(["ingest", "sat-http", "--port", "1"]) == 2
    assert "MSA_SAT_UPLOAD_KEY" in capsys.readouterr().err


async def test_source_failure_is_raised_not_swallowed() -> None:
    async def broken() -> AsyncIterator[tuple[bytes, int]]:
        yield position_line(), 0
        raise OSError("address already in use")

    got = []
    with pytest.raises(OSError, match="in use"):
        async for batch in batched(broken()):
            got.extend(batch)
    assert len(got) == 1


def test_satellite_records_can_be_delivered_late_in_delivery_order() -> None:
    from msa.domain import SatelliteDetection

    def det(i: str, t_s: int) -> SatelliteDetection:
        return SatelliteDetection(detection_id=i, ts_ms=t_s * 1000, lat=36.0, lon=-5.0, confidence=0.9,
                                  sensor="SAR", scene_id=f"sc-{i}")

    ais = iter([(5, [pos(k, t * 1000) for k, t in ((1, 10), (2, 30), (3, 50), (4, 70), (5, 90))])])
    sat = iter([(2, [det("a", 20), det("b", 25)])])
    delays = {"a": 60, "b": 10}  # b is delivered before a, although acquired after it

    def when(item: object) -> int | None:
        return (item.ts_ms + delays[item.detection_id] * 1000) if isinstance(item, SatelliteDetection) else None

    got = [getattr(it, "mmsi", None) or it.detection_id  # type: ignore[attr-defined]
           for _, items in merged_chunks([ais, sat], 10, when) for it in items]
    assert got == [1, 2, "b", 3, 4, "a", 5]
