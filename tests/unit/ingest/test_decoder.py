"""The decoding pipeline: event time, wrappers, duplicates across receivers, robustness on any bytes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from msa.ais.decoder import Decoder
from msa.domain import PositionReport, Reject, StaticVesselData, TimeSource
from tests.unit.ingest.builders import (
    RECEIPT_MS,
    T0_S,
    TYPE1,
    TYPE5_1,
    TYPE5_2,
    decode_all,
    position_line,
    sentence,
    tag,
    type5_bodies,
)


def test_tag_block_time_beats_everything() -> None:
    out, _ = decode_all([b"$PGHP,1,2013,3,18,9,19,9,499,219,,2190048,1,28*23",
                         tag(f"s:rX,c:{T0_S}", TYPE1)])
    rec = out[0]
    assert isinstance(rec, PositionReport)
    assert (rec.ts_ms, rec.time_source, rec.source) == (T0_S * 1000, TimeSource.TAG_BLOCK, "rX")


def test_gatehouse_time_applies_to_the_next_message_only() -> None:
    out, _ = decode_all([b"$PGHP,1,2013,3,18,9,19,9,499,219,,2190048,1,28*23", TYPE1, TYPE1.replace(b"A,", b"B,", 1)
                         .replace(b"*23", b"*20")], dedup=False)
    assert [r.time_source for r in out if isinstance(r, PositionReport)] == [TimeSource.WRAPPER, TimeSource.RECEIPT]
    assert out[0].ts_ms == 1_363_598_349_499 and out[1].ts_ms == RECEIPT_MS


def test_receipt_time_when_nothing_else() -> None:
    out, _ = decode_all([TYPE1], receipt_ms=123_456_789_000)
    assert out[0].ts_ms == 123_456_789_000 and isinstance(out[0], PositionReport)
    assert out[0].time_source is TimeSource.RECEIPT


def test_multipart_time_and_station_from_first_tagged_fragment() -> None:
    out, _ = decode_all([tag(f"g:1-2-77,s:rA,c:{T0_S}", TYPE5_1), tag("g:2-2-77", TYPE5_2)])
    assert len(out) == 1 and isinstance(out[0], StaticVesselData)
    assert (out[0].ts_ms, out[0].time_source, out[0].source) == (T0_S * 1000, TimeSource.TAG_BLOCK, "rA")


def test_type5_groups_of_two_stations_with_the_same_group_id_stay_apart() -> None:
    """Two ships' type 5, heard by two receivers of one aggregated feed that both number the group 77."""
    a1, a2 = type5_bodies(244740981, "ALPHA")
    b1, b2 = type5_bodies(255806123, "BRAVO")
    out, d = decode_all([tag(f"g:1-2-77,s:rA,c:{T0_S}", sentence(a1)), tag(f"g:1-2-77,s:rB,c:{T0_S}", sentence(b1)),
                         tag("g:2-2-77,s:rA", sentence(a2)), tag("g:2-2-77,s:rB", sentence(b2))])
    got = {(r.mmsi, r.name, r.destination, r.source) for r in out if isinstance(r, StaticVesselData)}
    assert got == {(244740981, "ALPHA", "ALPHA", "rA"), (255806123, "BRAVO", "BRAVO", "rB")}
    assert d.counters["rejects"] == 0


def test_plain_fragments_from_two_udp_senders_stay_apart() -> None:
    """No tag block, same sequence id and channel: only the sender (the datagram's address) tells them apart."""
    a1, a2 = type5_bodies(244740981, "ALPHA")
    b1, b2 = type5_bodies(255806123, "BRAVO")
    d = Decoder("udp:10110")
    out: list[object] = []
    for body, peer in [(a1, "10.0.0.1:4001"), (b1, "10.0.0.2:4001"), (a2, "10.0.0.1:4001"), (b2, "10.0.0.2:4001")]:
        d.feed(sentence(body), RECEIPT_MS, out, peer)  # type: ignore[arg-type]
    d.flush(out)  # type: ignore[arg-type]
    got = {(r.mmsi, r.name, r.destination) for r in out if isinstance(r, StaticVesselData)}
    assert got == {(244740981, "ALPHA", "ALPHA"), (255806123, "BRAVO", "BRAVO")}
    assert all(r.source == "udp:10110" for r in out if isinstance(r, StaticVesselData))


def test_tag_block_with_a_bad_checksum_gives_neither_time_nor_station() -> None:
    """Its time and station are ignored (as if there were no tag block) and it is counted."""
    line = b"\\s:rEVIL,c:%d*00\\" % (T0_S + 3600) + TYPE1
    out, d = decode_all([line])
    assert len(out) == 1 and isinstance(out[0], PositionReport)
    assert (out[0].ts_ms, out[0].time_source, out[0].source) == (RECEIPT_MS, TimeSource.RECEIPT, "test")
    assert d.counters["tag_block_bad_checksum"] == 1 and d.counters["rejects"] == 0


def test_group_lines_with_bad_tag_checksums_join_by_their_sentences() -> None:
    """Tag blocks that vouch for nothing are ignored, the sentences' own sequence id joins them."""
    out, d = decode_all([b"\\g:1-2-9999,c:1565218798*00\\" + TYPE5_1, b"\\g:2-2-9999,c:1565218798*00\\" + TYPE5_2])
    assert len(out) == 1 and isinstance(out[0], StaticVesselData) and out[0].time_source is TimeSource.RECEIPT
    assert d.counters["tag_block_bad_checksum"] == 2


def test_kystverket_group_lines_keep_their_time() -> None:
    """Kystverket's group lines checksum the tag block without its ``g:`` field: a known fault, accepted."""
    out, d = decode_all([b"\\g:1-2-9999,c:1565218798*53\\" + TYPE5_1, b"\\g:2-2-9999,c:1565218798*53\\" + TYPE5_2])
    assert len(out) == 1 and isinstance(out[0], StaticVesselData)
    assert (out[0].ts_ms, out[0].time_source) == (1_565_218_798_000, TimeSource.TAG_BLOCK)
    assert d.counters["tag_block_checksum_without_group"] == 2 and d.counters["tag_block_bad_checksum"] == 0


FAR_FUTURE_S = 4_070_908_800  # 2099-01-01: a receiver clock decades off
GPS_ROLLOVER_S = 935_280_000  # 1999-08-22: where GPS week-rollover bugs put receiver clocks


def test_times_decades_away_are_rejected_not_published() -> None:
    out, d = decode_all([position_line(t_s=FAR_FUTURE_S), position_line(mmsi=244740982, t_s=GPS_ROLLOVER_S),
                         TYPE1 + b",%d" % FAR_FUTURE_S])  # USCG trailing epoch
    assert [(r.reason, r.raw.startswith(("\\", "!"))) for r in out if isinstance(r, Reject)] == \
        [("time_in_future", True), ("time_too_old", True), ("time_in_future", True)]
    assert not any(isinstance(r, PositionReport) for r in out) and d.counters["rejects"] == 3


def test_future_is_measured_against_the_wall_clock_not_the_recording() -> None:
    now_ms = (T0_S + 86_400) * 1000
    d = Decoder("test", clock=lambda: now_ms)
    out: list[object] = []
    for t_s in (T0_S, T0_S + 2 * 86_400 - 60, T0_S + 2 * 86_400 + 60):  # old, 23 h 59 ahead, 24 h 01 ahead
        d.feed(position_line(t_s=t_s, second=0), RECEIPT_MS, out)  # type: ignore[arg-type]
    d.feed(b"$PGHP,1,2099,3,18,9,19,9,499,219,,2190048,1,28*21", RECEIPT_MS, out)  # type: ignore[arg-type]
    d.feed(TYPE1, RECEIPT_MS, out)  # type: ignore[arg-type]  # its time is the Gatehouse wrapper's
    assert [type(r).__name__ for r in out] == ["PositionReport", "PositionReport", "Reject", "Reject"]
    assert [r.reason for r in out if isinstance(r, Reject)] == ["time_in_future", "time_in_future"]


def test_receipt_times_are_the_callers_and_not_checked() -> None:
    out, _ = decode_all([TYPE1], receipt_ms=0)  # e.g. a test harness that passes 0
    assert isinstance(out[0], PositionReport) and out[0].time_source is TimeSource.RECEIPT


SECOND = sentence("AIVDM,1,1,,B,13aIkM@P00PGJ2NMD7n>4?wl0<0l,0")  # type 1, MMSI 244740981


def test_two_sentences_on_one_line_are_both_decoded() -> None:
    out, d = decode_all([TYPE1 + SECOND])
    assert [(type(r).__name__, r.mmsi) for r in out] == [("PositionReport", 227006760),  # type: ignore[union-attr]
                                                        ("PositionReport", 244740981)]
    assert d.counters["lines"] == 1 and d.counters["sentences"] == 2


def test_the_tag_block_belongs_to_the_first_sentence_only() -> None:
    out, _ = decode_all([tag(f"s:rA,c:{T0_S}", TYPE1 + SECOND)])
    first, second = out
    assert isinstance(first, PositionReport) and isinstance(second, PositionReport)
    assert (first.ts_ms, first.source) == (T0_S * 1000, "rA")
    assert (second.ts_ms, second.time_source, second.source) == (RECEIPT_MS, TimeSource.RECEIPT, "test")


def test_a_broken_second_sentence_is_rejected_with_its_own_text() -> None:
    remainder = b"!AIVDM,1,1,,A,13HOI:0P0000VOH"  # cut short: no checksum
    out, _ = decode_all([TYPE1 + remainder])
    assert isinstance(out[0], PositionReport)
    assert [(r.reason, r.raw) for r in out if isinstance(r, Reject)] == [("no_checksum", remainder.decode())]


def test_both_fragments_of_a_message_on_one_line() -> None:
    out, _ = decode_all([TYPE5_1 + TYPE5_2])
    assert len(out) == 1 and isinstance(out[0], StaticVesselData) and out[0].name == "EVER DIADEM"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([TYPE1, SECOND, TYPE5_1, TYPE5_2, TYPE1[:-1] + b"4", TYPE1[:-3],
                                 b"$PGHP,1,2013,3,18,9,19,9,499,219,,2190048,1,28*23",
                                 sentence("AIVDO,1,1,,,13HOI:0P0000VOHLCnHQKwvL05Ip,0")]), min_size=2, max_size=6))
def test_sentences_on_one_line_decode_as_on_separate_lines(sentences: list[bytes]) -> None:
    """Whatever they are — good, broken, fragments, wrappers, own ship — nothing is lost or changed by a lost
    line ending (rejects carry each sentence's own text in both cases)."""
    joined, _ = decode_all([b"".join(sentences)])
    separate, _ = decode_all(sentences)
    assert joined == separate


OWN_SHIP = sentence("AIVDO,1,1,,,13HOI:0P0000VOHLCnHQKwvL05Ip,0")  # TYPE1's payload, from the own transponder


def test_own_ship_reports_are_rejected_not_published_as_positions() -> None:
    """AIVDO is the receiving station's own vessel: not heard over the air, output even when its transponder
    is silent. The position record has no field to say so, so it goes to the rejects, raw text and all."""
    tagged = tag(f"s:rA,c:{T0_S}", OWN_SHIP)
    out, d = decode_all([OWN_SHIP, tagged])
    assert [(r.reason, r.raw) for r in out if isinstance(r, Reject)] == [("own_ship", OWN_SHIP.decode()),
                                                                         ("own_ship", tagged.decode())]
    assert not any(isinstance(r, PositionReport) for r in out)
    assert d.counters["reject.own_ship"] == 2 and d.counters["sentences"] == 2


def test_own_ship_fragments_are_rejected_and_never_joined_to_heard_ones() -> None:
    vdo_1 = sentence(TYPE5_1[1:TYPE5_1.index(b"*")].decode().replace("AIVDM", "AIVDO"))
    out, _ = decode_all([vdo_1, TYPE5_2])
    assert sorted(r.reason for r in out if isinstance(r, Reject)) == ["orphan_fragment", "own_ship"]
    assert not any(isinstance(r, StaticVesselData) for r in out)


def test_same_report_from_two_receivers_published_once() -> None:
    a = position_line(t_s=T0_S, station="rA", second=0)
    b = position_line(t_s=T0_S + 2, station="rB", second=0)  # same payload, heard 2 s later elsewhere
    out, d = decode_all([a, b])
    assert len(out) == 1 and d.counters["duplicates"] == 1 and out[0].source == "rA"  # type: ignore[union-attr]
    # outside the 30 s window the same bits are a new report (e.g. a moored vessel repeating itself)
    later = position_line(t_s=T0_S + 120, station="rB", second=0)
    out2, _ = decode_all([a, b, later])
    assert len(out2) == 2


def test_dedup_can_be_switched_off() -> None:
    a = position_line(t_s=T0_S, station="rA")
    out, _ = decode_all([a, a], dedup=False)
    assert len(out) == 2


def test_orphans_and_bad_checksum_are_rejects_with_reasons() -> None:
    out, d = decode_all([TYPE5_1, TYPE1[:-1] + b"4"])
    reasons = sorted(r.reason for r in out if isinstance(r, Reject))
    assert reasons == ["bad_checksum", "orphan_fragment"]
    assert d.counters["reject.bad_checksum"] == 1 and d.counters["rejects"] == 2


def test_escaped_line_endings_in_recordings() -> None:
    # gpsd sample.aivdm carries "\x0d\x0a" as text at the end of two lines
    out, _ = decode_all([TYPE5_1 + b"\\x0d\\x0a", TYPE5_2 + b"\\x0d\\x0a"])
    assert len(out) == 1 and isinstance(out[0], StaticVesselData)


def test_comments_and_blank_lines_are_counted_not_rejected() -> None:
    out, d = decode_all([b"# comment", b"", b"   "])
    assert out == [] and d.counters["comment_lines"] == 1 and d.counters["blank_lines"] == 2


nmea_ish = st.one_of(
    st.binary(max_size=200),
    st.lists(st.sampled_from([b"!", b"$", b"\\", b"*", b",", b"AIVDM", b"PGHP", b"g:1-2-3", b"c:1600000000",
                              b"s:x", b"1", b"2", b"A", b"13HOI:0P0000VOHLCnHQKwvL05Ip", b"0*23", b"\r\n",
                              b"\\x0d\\x0a", b"@", b"FF"]), max_size=30).map(b"".join),
    st.sampled_from([TYPE1, TYPE5_1, TYPE5_2]).flatmap(
        lambda line: st.integers(0, len(line) - 1).flatmap(
            lambda i: st.binary(min_size=1, max_size=3).map(lambda x: line[:i] + x + line[i + 1:]))),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(nmea_ish, max_size=20))
def test_any_bytes_give_records_or_rejects_never_an_exception(lines: list[bytes]) -> None:
    d = Decoder("fuzz")
    out: list[object] = []
    for line in lines:
        d.feed(line, RECEIPT_MS, out)  # type: ignore[arg-type]
    d.flush(out)  # type: ignore[arg-type]
    assert d.counters["reject.unexpected_error"] == 0, [r for r in out if isinstance(r, Reject)]
    assert all(isinstance(r, (Reject, PositionReport, StaticVesselData)) or hasattr(r, "mmsi") for r in out)
