"""Real public recordings in ../shared/data: counts and values checked against reference decoders."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from pyais.stream import IterMessages

from msa.ais.decoder import Decoder, Output
from msa.domain import AisOther, PositionReport, Record, Reject, StaticVesselData, TimeSource, parse_ts
from msa.formats.recordings import iter_file_lines

RECEIPT_MS = 1_700_000_000_000


def decode_file(path: Path, *, dedup: bool = True) -> tuple[list[Output], Decoder]:
    if not path.exists():
        pytest.skip(f"{path} absent")
    d = Decoder(path.name, dedup_window_ms=30_000 if dedup else None)
    out: list[Output] = []
    for line in iter_file_lines(path):
        d.feed(line, RECEIPT_MS, out)
    d.flush(out)
    assert d.counters["reject.unexpected_error"] == 0
    return out, d


def records(out: list[Output]) -> list[Record]:
    return [r for r in out if not isinstance(r, Reject)]


def reasons(out: list[Output]) -> Counter[str]:
    return Counter(r.reason for r in out if isinstance(r, Reject))


def test_gpsd_reference_every_position_matches(shared_data: Path) -> None:
    """gpsd's sample.aivdm with its expected scaled JSON: lat/lon/SOG/COG/heading/second/MMSI of every
    position message (types 1/2/3/18/19/27), with gpsd's 'not available' turned into None on our side."""
    out, _ = decode_file(shared_data / "gpsd-sample" / "sample.aivdm", dedup=False)
    expected = [json.loads(x) for x in (shared_data / "gpsd-sample" / "sample.aivdm.js.chk").read_text().splitlines()]
    exp_pos = [e for e in expected if e["type"] in (1, 2, 3, 18, 19, 27)]
    got_pos = [r for r in out if isinstance(r, PositionReport)]
    assert len(exp_pos) == len(got_pos) == 12
    for e, g in zip(exp_pos, got_pos, strict=True):
        assert (g.msg_type, g.mmsi) == (e["type"], e["mmsi"])
        tol = 1e-4 if e["type"] == 27 else 1e-6  # gpsd prints type 27 (1/10') with 4 decimals
        assert g.lat == pytest.approx(e["lat"], abs=tol) and g.lon == pytest.approx(e["lon"], abs=tol)
        assert g.sog_kn == pytest.approx(e["speed"]) and g.cog_deg == pytest.approx(e["course"])
        assert g.heading_deg == (None if e.get("heading", 511) == 511 else e["heading"])
        assert g.utc_second == (None if e["type"] == 27 or e["second"] >= 60 else e["second"])
        if e["type"] in (1, 2, 3):
            assert g.nav_status == e["status"]


def test_gpsd_reference_every_message_is_there(shared_data: Path) -> None:
    """Every message gpsd decodes we decode too (gpsd merges type 24 parts A+B into one object; we emit parts),
    except own-ship ``!AIVDO`` sentences, which gpsd decodes like any and we reject (``own_ship``)."""
    path = shared_data / "gpsd-sample" / "sample.aivdm"
    out, _ = decode_file(path, dedup=False)
    expected = [json.loads(x) for x in (shared_data / "gpsd-sample" / "sample.aivdm.js.chk").read_text().splitlines()]
    own = Counter()
    for m in IterMessages([x for x in iter_file_lines(path) if x.startswith(b"!AIVDO")]):
        own[(m.decode().msg_type, m.decode().mmsi)] += 1
    assert own == Counter({(8, 992509977): 3})
    exp = Counter((e["type"], e["mmsi"]) for e in expected if e["type"] != 24) - own
    got = Counter((r.msg_type, r.mmsi) for r in records(out)
                  if isinstance(r, (PositionReport, StaticVesselData, AisOther)) and r.msg_type != 24
                  and not (isinstance(r, StaticVesselData) and r.msg_type == 19))
    assert got == exp
    # 'AIVDM,2,2,…' without its '!' (the one gpsd skips too), and the three own-ship sentences
    assert reasons(out) == Counter({"not_nmea": 1, "own_ship": 3})
    statics = {(r.mmsi, r.part): r for r in out if isinstance(r, StaticVesselData) and r.msg_type == 24}
    for e in (e for e in expected if e["type"] == 24):
        assert statics[(e["mmsi"], 0)].name == e["shipname"]
        part_b = statics[(e["mmsi"], 1)]
        assert (part_b.call_sign, part_b.ship_type) == (e["callsign"], e["shiptype"])
        assert part_b.length_m == e["to_bow"] + e["to_stern"]
    for e in (e for e in expected if e["type"] == 5):
        s = next(r for r in out if isinstance(r, StaticVesselData) and r.mmsi == e["mmsi"])
        assert (s.name, s.call_sign, s.ship_type, s.draught_m) == (e["shipname"], e["callsign"], e["shiptype"],
                                                                      e["draught"])
        assert s.imo == (e["imo"] or None) and s.destination == (e["destination"] or None)


def test_libais_orbcomm_tag_blocks(shared_data: Path) -> None:
    out, _ = decode_file(shared_data / "libais" / "tagblock.nmea")
    expected = [json.loads(x) for x in (shared_data / "libais" / "tagblock.json").read_text().splitlines() if x]
    positions = [r for r in out if isinstance(r, PositionReport)]
    exp_pos = [e for e in expected if e["type"] == 1]
    assert len(positions) == len(exp_pos) == 3
    for e, g in zip(exp_pos, positions, strict=True):
        assert g.ts_ms == parse_ts(e["tagblock_timestamp"]) and g.time_source is TimeSource.TAG_BLOCK
        assert g.source == e["tagblock_station"] and g.mmsi == e["mmsi"]
        # libais stores float32: ~1.5e-5 degrees of resolution at 160 degrees of longitude
        assert g.lat == pytest.approx(e["lat"], abs=2e-5) and g.lon == pytest.approx(e["lon"], abs=2e-5)
    static = [r for r in out if isinstance(r, StaticVesselData)]
    assert len(static) == 1 and static[0].ts_ms == 1_418_169_601_000  # tag-block group 1604


def test_kystverket_tag_block_times_and_talkers(shared_data: Path) -> None:
    out, d = decode_file(shared_data / "kystverket-aisnet" / "Ais1000Lines.nm4")
    recs = records(out)
    kinds = Counter(type(r).__name__ for r in recs)
    assert kinds == Counter({"PositionReport": 748, "StaticVesselData": 129})
    assert reasons(out) == Counter()
    # the tag blocks of its 246 group lines carry the checksum of "c:…" alone (computed before g: was added):
    # a known fault, accepted and counted, so their 123 type 5 keep the receiver's time
    assert d.counters["tag_block_checksum_without_group"] == 246 and d.counters["tag_block_bad_checksum"] == 0
    assert Counter(r.time_source for r in recs) == Counter({TimeSource.TAG_BLOCK: 877})
    timed = [r.ts_ms for r in recs if r.time_source is TimeSource.TAG_BLOCK]  # type: ignore[union-attr]
    assert min(timed) == 1_565_218_798_000 and max(timed) == 1_565_218_827_000
    # cross-check: pyais alone finds the same messages
    lines = list(iter_file_lines(shared_data / "kystverket-aisnet" / "Ais1000Lines.nm4"))
    bare = Counter()
    for m in IterMessages(lines):
        msg = m.decode()
        bare[(msg.msg_type, msg.mmsi)] += 1
    ours = Counter((r.msg_type, r.mmsi) for r in recs if isinstance(r, (PositionReport, StaticVesselData)))
    assert ours == bare


def test_dma_gatehouse_stream_event_time_and_fast_craft(shared_data: Path) -> None:
    out, d = decode_file(shared_data / "dma-aislib" / "stream_example.txt")
    recs = records(out)
    # 4,051 messages, 143 of them own transmissions (154 !xxVDO sentences: base stations' type 4 and 20)
    assert d.counters["messages"] == 4051 - 143 and d.counters["gatehouse"] == 4051
    assert {r.time_source for r in recs} == {TimeSource.WRAPPER}
    span_ms = max(r.ts_ms for r in recs) - min(r.ts_ms for r in recs)
    assert 25_000 < span_ms < 31_000  # "4,033 messages in 30 s"
    assert max(r.sog_kn or 0 for r in recs if isinstance(r, PositionReport)) == 38.6  # HSC
    assert d.counters["duplicates"] == 19 and reasons(out) == Counter({"invalid_mmsi": 22, "own_ship": 154})


def test_marinetraffic_sample_empty_payloads_rejected(shared_data: Path) -> None:
    out, _ = decode_file(shared_data / "pyais" / "tests_nmea_data_sample.txt")
    r = reasons(out)
    assert r["empty_payload"] == 100
    assert set(r) <= {"empty_payload", "orphan_fragment"}
    fast = [p for p in out if isinstance(p, PositionReport) and (p.sog_kn or 0) > 25]
    assert fast  # fast ferries in the Aegean sample (a known go-fast false positive)


@pytest.mark.parametrize("name, expected_reasons, n_records", [
    ("errors.nmea", {"bad_checksum": 2, "bad_bit_count": 2}, 1),
    ("type1-bad-bitcount.nmea", {"bad_bit_count": 12}, 0),
    ("bad-tagblock-group.nmea", {"bad_tag_group": 2}, 0),
    ("bad-type5.nmea", {"bad_bit_count": 3, "not_nmea": 3}, 0),
    ("spire-test.nmea", {}, 1),  # *00 tag blocks ignored: the second line's type 5 is the first's again (dedup)
    ("single-message-type-5.nmea", {"bad_checksum": 1}, 0),
    ("ee-multiline.nmea", {"orphan_fragment": 2}, 7),
    ("multi-part.nmea", {}, 36),
])
def test_gfw_malformed_samples_give_reasons(shared_data: Path, name: str, expected_reasons: dict[str, int],
                                            n_records: int) -> None:
    out, _ = decode_file(shared_data / "gfw-ais-tools" / name)
    assert reasons(out) == Counter(expected_reasons)
    assert len(records(out)) == n_records


def test_gfw_multipart_matches_pyais(shared_data: Path) -> None:
    path = shared_data / "gfw-ais-tools" / "multi-part.nmea"
    out, _ = decode_file(path, dedup=False)
    bare = Counter()
    for m in IterMessages(list(iter_file_lines(path))):
        msg = m.decode()
        bare[(msg.msg_type, msg.mmsi)] += 1
    assert Counter((r.msg_type, r.mmsi) for r in records(out)) == bare  # type: ignore[union-attr]


def test_amsa_gzip_recording(shared_data: Path) -> None:
    out, d = decode_file(shared_data / "amsa-risky" / "ais.txt.gz")
    assert d.counters["lines"] == 44_687
    assert len(records(out)) > 20_000
    assert reasons(out)["unsupported_sentence"] > 10_000  # other NMEA sentences of the receiver log
    assert reasons(out)["own_ship"] == 4517  # its stations' own !ABVDO/!BSVDO/!AIVDO: type 4, and 1/3/18 positions
