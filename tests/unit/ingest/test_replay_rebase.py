"""``msa replay --rebase-now`` and ``--loop``: event times moved to now, every pass after the previous one,
AIS NMEA, CSV exports and satellite GeoJSON (``delivered_at`` included) moved together."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from msa.ais.decoder import Decoder, Output
from msa.ais.fastline import Encoded
from msa.contracts.codec import loads, record_from_dict
from msa.domain import (
    PositionReport,
    Reject,
    SatelliteDetection,
    SceneFootprint,
    StaticVesselData,
    TimeSource,
    format_ts,
)
from services.ingest import rebase
from services.ingest.publisher import Publisher
from services.ingest.replay import ReplayOptions, replay
from services.ingest.shutdown import Stop
from tests.unit.ingest.builders import RECEIPT_MS, T0_S, position_line
from tests.unit.ingest.fakes import FakeProducer
from tests.unit.ingest.test_publish_replay import started

NOW_MS = 1_796_000_000_000  # the wall clock the tests say it is (2026-11-28)
H = 3_600_000


def pos(mmsi: int, t_ms: int, source: TimeSource = TimeSource.TAG_BLOCK) -> PositionReport:
    return PositionReport(mmsi, t_ms, 36.0, -5.0, 12.0, time_source=source, source="rX")


# -- the pure rules ------------------------------------------------------------------------------------------
def test_the_first_record_starts_now_unless_the_topic_already_holds_later_times() -> None:
    assert rebase.start_ms(NOW_MS, None) == NOW_MS
    assert rebase.start_ms(NOW_MS, NOW_MS - 100 * H, gap_ms=49 * H) == NOW_MS  # a topic long silent: now
    # a topic heard an hour ago: the seam gap after it, or its vessels would vanish among the new ones
    assert rebase.start_ms(NOW_MS, NOW_MS - H, gap_ms=49 * H) == NOW_MS + 48 * H
    ahead = NOW_MS + 10 * H  # a previous demo ran 60x ahead of the wall clock
    assert rebase.start_ms(NOW_MS, ahead, gap_ms=49 * H) == ahead + 49 * H


@given(times=st.lists(st.integers(0, 10 * H), min_size=1, max_size=40),
       gap_ms=st.integers(1, 60 * H), passes=st.integers(2, 5))
def test_every_pass_is_strictly_after_the_previous_and_keeps_relative_times(times: list[int], gap_ms: int,
                                                                              passes: int) -> None:
    recording = [1_710_273_600_000 + t for t in times]  # in file order, disorder included
    first, last = min(recording), max(recording)
    offset = rebase.start_ms(NOW_MS, None) - recording[0]  # the first record in the file plays now
    previous: list[int] = []
    for _ in range(passes):
        shifted = [rebase.rebase_item(pos(1, t), offset).ts_ms for t in recording]
        assert [s - shifted[0] for s in shifted] == [t - recording[0] for t in recording]
        if previous:
            assert min(shifted) > max(previous)
            assert min(shifted) - max(previous) == gap_ms
        previous = shifted
        offset = rebase.next_offset_ms(offset, first, last, gap_ms)


def test_a_gap_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="strictly later"):
        rebase.next_offset_ms(0, 0, 10, 0)


def test_data_times_move_receipt_times_and_rejects_do_not() -> None:
    assert rebase.rebase_item(pos(1, 1000), 5000).ts_ms == 6000
    static = StaticVesselData(244740981, 1000, time_source=TimeSource.TAG_BLOCK)
    assert rebase.rebase_item(static, 5000).ts_ms == 6000  # type: ignore[union-attr]
    received = pos(1, 1000, TimeSource.RECEIPT)  # no time in the line: the receipt time is already now
    assert rebase.rebase_item(received, 5000) is received
    reject = Reject("bad_checksum", "!AIVDM…", "rA", ts_ms=1000)
    assert rebase.rebase_item(reject, 5000) is reject
    assert rebase.data_time_ms(received) is None and rebase.data_time_ms(reject) is None


def test_an_encoded_fast_path_record_is_decoded_and_moved() -> None:
    decoder = Decoder("rX", encoded=True)  # the fast path: ready-made Kafka JSON
    out: list[Output] = []
    tagged = position_line(mmsi=244740981, t_s=T0_S)
    decoder.feed(tagged, RECEIPT_MS, out)
    untagged = position_line(mmsi=244740982, t_s=T0_S).split(b"\\")[-1]  # no tag block: the receipt time
    decoder.feed(untagged, RECEIPT_MS, out)
    fast, received = out
    assert isinstance(fast, Encoded) and isinstance(received, Encoded)
    moved = rebase.rebase_item(fast, H)
    assert isinstance(moved, PositionReport) and moved.ts_ms == T0_S * 1000 + H and moved.mmsi == 244740981
    assert rebase.rebase_item(received, H) is received


def test_satellite_records_move_with_ids_unique_to_the_pass() -> None:
    det = SatelliteDetection("sc1-d1", 1000, 36.0, -5.0, 0.9, "SAR", "sc1")
    scene = SceneFootprint("sc1", 1000, "SAR", (((-5.1, 35.9), (-4.9, 35.9), (-4.9, 36.1), (-5.1, 35.9)),))
    d2, s2 = rebase.rebase_item(det, 7200_000), rebase.rebase_item(scene, 7200_000)
    assert isinstance(d2, SatelliteDetection) and isinstance(s2, SceneFootprint)
    assert (d2.ts_ms, s2.ts_ms) == (7201_000, 7201_000)
    assert d2.scene_id == s2.scene_id == "sc1~r7200" and d2.detection_id == "sc1-d1~r7200"
    assert rebase.pass_id("sc1", 0) == "sc1"


def test_delivered_at_moves_with_the_data() -> None:
    det = SatelliteDetection("d", 1000, 36.0, -5.0, 0.9, "SAR", "sc")

    def when(item: object) -> int | None:
        return 4000 if isinstance(item, SatelliteDetection) else None

    shifted = rebase.shift_delivery(when, 10_000)
    assert shifted is not None and shifted(det) == 14_000 and shifted(pos(1, 1000)) is None
    assert rebase.shift_delivery(None, 10_000) is None


# -- through the replay: NMEA, CSV, GeoJSON ------------------------------------------------------------------
DMA_HEADER = ("# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,IMO,"
              "Callsign,Name,Ship type,Cargo type,Width,Length,Type of position fixing device,Draught,Destination,"
              "ETA,Data source type,A,B,C,D")


def _dma_row(t_s: int, mmsi: int) -> str:
    from datetime import UTC, datetime

    stamp = datetime.fromtimestamp(t_s, UTC).strftime("%d/%m/%Y %H:%M:%S")
    return (f"{stamp},Class A,{mmsi},36.2,-5.3,Under way using engine,0.0,10.2,123.4,122,,,,,,,,GPS,,,,AIS,,,,")


def _recordings(tmp: Path) -> list[Path]:
    ais = tmp / "ais.nmea"
    ais.write_bytes(b"\n".join(position_line(mmsi=244740981, t_s=T0_S + 60 * i) for i in range(5)) + b"\n")
    csv = tmp / "export.csv"
    csv.write_text("\n".join([DMA_HEADER, _dma_row(T0_S + 90, 219000429), _dma_row(T0_S + 150, 219000429)]) + "\n")
    sat = tmp / "sat.geojson"
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-5.0, 36.0]},
         "properties": {"detection_id": "sc1-d1", "detected_at": format_ts((T0_S + 30) * 1000), "confidence": 0.9,
                        "sensor": "SAR", "scene_id": "sc1", "delivered_at": format_ts((T0_S + 200) * 1000)}},
    ]
    sat.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return [ais, csv, sat]


class Recorder:
    """The publisher's items in order, by pass (a pass ends at the publisher's flush)."""

    def __init__(self, pub: Publisher, stop_after: int | None = None, stop: Stop | None = None) -> None:
        self.passes: list[list[object]] = [[]]
        real_publish, real_flush = pub.publish, pub.flush

        async def publish(items: Sequence[object]) -> None:
            self.passes[-1].extend(items)
            await real_publish(items)  # type: ignore[arg-type]

        async def flush() -> None:
            await real_flush()
            if stop is not None and stop_after is not None and len(self.passes) >= stop_after:
                stop.set("enough passes")
            self.passes.append([])

        pub.publish = publish  # type: ignore[method-assign]
        pub.flush = flush  # type: ignore[method-assign]


async def test_nmea_csv_and_geojson_are_rebased_to_now_together(tmp_path: Path) -> None:
    producer = FakeProducer()
    pub = await started(producer)
    rec = Recorder(pub)
    told: list[tuple[int, int]] = []
    opts = ReplayOptions(speed=None, rebase_now=True, sat_delivered=True, progress=False)
    await replay(_recordings(tmp_path), pub, opts, now_ms=lambda: NOW_MS,
                 on_rebase=lambda a, b: told.append((a, b)))
    items = rec.passes[0]
    offset = NOW_MS - T0_S * 1000
    assert told == [(T0_S * 1000, NOW_MS)]
    ais = [(i.mmsi, i.ts_ms) for i in items if isinstance(i, PositionReport)]
    assert [t for m, t in ais if m == 244740981] == [NOW_MS + 60_000 * i for i in range(5)]
    assert [t for m, t in ais if m == 219000429] == [NOW_MS + 90_000, NOW_MS + 150_000]  # the CSV export
    det, = (i for i in items if isinstance(i, SatelliteDetection))
    assert det.ts_ms == NOW_MS + 30_000 and det.detection_id == rebase.pass_id("sc1-d1", offset)
    # published at its delivered_at (T0 + 200 s): after every record up to T0 + 150 s, before T0 + 240 s
    order = [i.ts_ms - NOW_MS for i in items if isinstance(i, PositionReport | SatelliteDetection)]
    assert order == [0, 60_000, 90_000, 120_000, 150_000, 180_000, 30_000, 240_000]
    on_kafka = [record_from_dict(loads(v)) for _, _, v in producer.messages("ais.positions.v1.t")]
    assert min(r.ts_ms for r in on_kafka) == NOW_MS  # what the detector reads: now, not 2025


async def test_a_rebased_replay_starts_after_what_the_topic_already_holds(tmp_path: Path) -> None:
    pub = await started(FakeProducer())
    rec = Recorder(pub)
    newest = NOW_MS + 30 * H  # a first demo ran ahead of the wall clock
    opts = ReplayOptions(speed=None, rebase_now=True, progress=False, seam_gap_ms=49 * H)
    await replay(_recordings(tmp_path)[:1], pub, opts, now_ms=lambda: NOW_MS, newest_seen_ms=newest)
    assert min(i.ts_ms for i in rec.passes[0] if isinstance(i, PositionReport)) == newest + 49 * H


async def test_loop_passes_follow_each_other_with_satellite_ids_of_their_own(tmp_path: Path) -> None:
    pub = await started(FakeProducer())
    stop = Stop()
    rec = Recorder(pub, stop_after=3, stop=stop)
    gap = 49 * H
    opts = ReplayOptions(speed=None, rebase_now=True, loop=True, sat_delivered=True, progress=False,
                         seam_gap_ms=gap)
    await replay(_recordings(tmp_path), pub, opts, now_ms=lambda: NOW_MS, stop=stop)
    passes = [p for p in rec.passes if p][:3]
    assert len(passes) == 3
    spans = []
    for items in passes:
        times = [i.ts_ms for i in items if isinstance(i, PositionReport | SatelliteDetection)]
        spans.append((min(times), max(times)))
        assert max(times) - min(times) == 240_000  # the recording's own span, each pass
    assert spans[0][0] == NOW_MS
    for (_, end), (begin, _) in itertools.pairwise(spans):
        assert begin > end and begin - end == gap  # strictly after the previous pass
    mmsis = [{i.mmsi for i in items if isinstance(i, PositionReport)} for items in passes]
    assert mmsis[0] == mmsis[1] == mmsis[2] == {244740981, 219000429}  # the same vessels sail on
    scenes = [{i.scene_id for i in items if isinstance(i, SatelliteDetection)} for items in passes]
    assert len(set().union(*scenes)) == 3


async def test_pacing_follows_the_rebased_clock_and_waits_for_a_late_product(tmp_path: Path) -> None:
    pub = await started(FakeProducer())
    rec = Recorder(pub)
    clock = [0.0]
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(round(s, 3))
        clock[0] += s

    ais, _, sat = _recordings(tmp_path)
    opts = ReplayOptions(speed=60.0, rebase_now=True, sat_delivered=True, progress=False)
    await replay([ais, sat], pub, opts, now_ms=lambda: NOW_MS, wall=lambda: clock[0], sleep=sleep)
    # fixes every 60 s at 60x: 1 s apart; the product delivered at +200 s waits until 200/60 s
    assert slept == [1.0, 1.0, 1.0, 0.333, 0.667]
    kinds = [type(i).__name__ for i in rec.passes[0] if not isinstance(i, Reject)]
    assert kinds.index("SatelliteDetection") == 4  # after the fix at +180 s, before +240 s
