"""Line parsing: tag blocks, checksums, talkers, $PGHP wrappers, USCG trailing fields."""

from __future__ import annotations

from functools import reduce
from operator import xor

import pytest
from hypothesis import given
from hypothesis import strategies as st

from msa.ais.nmea import (
    Gatehouse,
    NmeaError,
    Sentence,
    epoch_to_ms,
    nmea_checksum,
    parse_sentence,
    parse_tag_block,
    split_line,
)


@given(st.binary(max_size=300))
def test_checksum_fold_equals_xor_of_bytes(data: bytes) -> None:
    assert nmea_checksum(data) == reduce(xor, data, 0)


def test_plain_sentence_fields() -> None:
    s = parse_sentence(b"!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23", None)
    assert isinstance(s, Sentence)
    assert (s.talker, s.formatter, s.frag_count, s.frag_num, s.seq_id, s.channel, s.fill_bits) == \
        ("AI", "VDM", 1, 1, "", "A", 0)
    assert s.payload == b"13HOI:0P0000VOHLCnHQKwvL05Ip"
    assert s.trailer_ms is None


@pytest.mark.parametrize("line, talker, formatter", [
    (b"!BSVDM,1,1,,A,13mb9U0P00PRk8fT5nw>4?wj2006,0*5D", "BS", "VDM"),  # Kystverket base station talker
    (b"!ABVDM,1,1,,A,13tfH:022;PhpibQUS:FkUKj06kd,0*3A", "AB", "VDM"),  # Kystverket AB talker
    (b"!AIVDO,1,1,,,B>qc:003wk?8mP=18D3Q3wgTiT;T,0*13", "AI", "VDO"),  # own ship, empty channel
])
def test_any_talker_and_vdo(line: bytes, talker: str, formatter: str) -> None:
    s = parse_sentence(line, None)
    assert isinstance(s, Sentence) and (s.talker, s.formatter) == (talker, formatter)


@pytest.mark.parametrize("line, reason", [
    (b"!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*24", "bad_checksum"),  # last hex digit changed
    (b"!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0", "no_checksum"),
    (b"!AIVDM,1,1,,B,,0*25", "empty_payload"),  # MarineTraffic sample: 100 of these
    (b"AIVDM,2,2,1,B,00000000000,2*26", "not_nmea"),  # gpsd sample: leading '!' missing
    (b"$ABVSI,Nobbys Head,7,114702,87,-70,42*79", "unsupported_sentence"),  # AMSA: other NMEA sentence
    (b"!AIVDM,3,4,1,A,13HOI:0P0000,0*00", "bad_fragment_number"),
])
def test_bad_sentences_give_reasons(line: bytes, reason: str) -> None:
    if reason not in ("no_checksum", "not_nmea", "bad_checksum"):
        body = line[1:line.index(b"*")]
        line = line[:line.index(b"*") + 1] + f"{nmea_checksum(body):02X}".encode()
    with pytest.raises(NmeaError) as err:
        parse_sentence(line, None)
    assert err.value.reason == reason


def test_bad_payload_character_rejected() -> None:
    body = b"AIVDM,1,1,,A,13HOI:0P0000VOH|CnHQKwvL05Ip,0"  # '|' is outside the six-bit armour
    with pytest.raises(NmeaError) as err:
        parse_sentence(b"!" + body + f"*{nmea_checksum(body):02X}".encode(), None)
    assert err.value.reason == "bad_payload_char"


def test_tag_block_seconds_station_group() -> None:
    # libais ORBCOMM sample: group 1 of 2, id 1604, receiver time in seconds
    tb = parse_tag_block(b"g:1-2-1604,s:rORBCOMM008,c:1418169601,T:2014-12-10 00.00.01*37")
    assert tb.time_ms == 1_418_169_601_000
    assert tb.station == "rORBCOMM008"
    assert tb.group == (1, 2, "1604")
    assert tb.checksum_ok


def test_tag_block_milliseconds_by_magnitude() -> None:
    # GFW sdr-experiments sample: c: in milliseconds
    tb = parse_tag_block(b"c:1599239526500,s:sdr-experiments,T:2020-09-04 18.12.06*5D")
    assert tb.time_ms == 1_599_239_526_500


@pytest.mark.parametrize("body", [
    b"c:1420030798*00",  # AMSA timestamped sample writes *00 for every tag block
    b"g:1-2-9999,c:1565218798*00",  # neither the whole nor the block without its group matches
    b"s:rEVIL,c:4102444000*00",  # a time or a station that nothing vouches for
    b"g:2-1-1*00",  # Spire sample: a group field that would not even parse
])
def test_tag_block_with_a_bad_checksum_gives_nothing(body: bytes) -> None:
    tb = parse_tag_block(body)
    assert tb == (None, None, None, False, False)


def test_a_checksum_of_the_block_without_its_group_field_is_a_known_fault_and_accepted() -> None:
    """Kystverket's group lines: ``*53`` is the checksum of ``c:1565218798`` alone (computed before ``g:`` was
    added). The fields are kept and the case is flagged; a block whose checksum matches neither is not."""
    tb = parse_tag_block(b"g:1-2-9999,c:1565218798*53")
    assert tb == (1_565_218_798_000, None, (1, 2, "9999"), True, True)
    assert parse_tag_block(b"g:1-2-9999,c:1565218799*53").checksum_ok is False  # the time changed
    assert parse_tag_block(b"c:1565218798*53") == (1_565_218_798_000, None, None, True, False)


def _checked(content: bytes) -> bytes:
    return content + b"*%02X" % nmea_checksum(content)


@pytest.mark.parametrize("body, reason", [
    (b"g:1-2--001,c:1326055296*3C", "bad_tag_group"),  # GFW bad-tagblock-group sample (its checksum matches)
    (_checked(b"g:2-1-1"), "bad_tag_group"),  # sentence 2 of 1
    (_checked(b"c:12x4"), "bad_timestamp"),
    (_checked(b"c:99"), "bad_timestamp"),  # 1970: out of range
    (b"c:1418169601", "bad_tag_block"),  # no checksum
    (b"c:1418169601*0", "bad_tag_block"),  # checksum not two hex digits
])
def test_bad_tag_blocks(body: bytes, reason: str) -> None:
    with pytest.raises(NmeaError) as err:
        parse_tag_block(body)
    assert err.value.reason == reason


def test_split_line_with_two_tagged_sentences() -> None:
    # GFW bad-type5 sample: both fragments on one line
    line = (b"\\s:rMT2083,c:1698785948*44\\!ABVDM,2,1,8,A,53l3,0*28"
            b"\\s:rMT2083,c:1698785947*4B\\!AIVDM,2,2,8,A,888,2*2C")
    pairs = split_line(line)
    assert [p[0] for p in pairs] == [b"s:rMT2083,c:1698785948*44", b"s:rMT2083,c:1698785947*4B"]
    assert pairs[1][1].startswith(b"!AIVDM,2,2,8")


def test_split_line_with_sentences_back_to_back() -> None:
    """A lost line ending: each sentence is its own; a tag block belongs to the one sentence it precedes."""
    a = b"!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23"
    b = b"!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C"
    g = b"$PGHP,1,2013,3,18,9,19,9,499,219,,2190048,1,28*23"
    assert split_line(a + b) == [(None, a), (None, b)]
    assert split_line(b"\\c:1418169601*00\\" + a + b + a) == [(b"c:1418169601*00", a), (None, b), (None, a)]
    assert split_line(g + a) == [(None, g), (None, a)]
    assert split_line(a + b",1325394060" + a) == [(None, a + b",1325394060"), (None, a)]  # USCG trailer stays
    assert split_line(b"junk" + a) == [(None, b"junk" + a)]  # not a sentence: one piece, rejected whole


def test_split_line_unbalanced() -> None:
    with pytest.raises(NmeaError):
        split_line(b"\\c:1418169601*00!AIVDM,1,1,,A,1,0*00")


def test_gatehouse_wrapper_time() -> None:
    # DMA replay dump: 2013-03-18 09:19:09.499 UTC
    g = parse_sentence(b"$PGHP,1,2013,3,18,9,19,9,499,219,,2190048,1,28*23", None)
    assert isinstance(g, Gatehouse)
    assert g.time_ms == 1_363_598_349_499


def test_uscg_trailing_epoch() -> None:
    # libais USCG sample: fields after the checksum, last one the receiver epoch
    s = parse_sentence(b"!AIVDM,1,1,,A,15N1u<PP1FJuvSRHOE6QIwwh0HQ6,0*30,d-080,S2118,t050056.00,T56.4837741,"
                       b"r003669946,1325394060,1325394001", None)
    assert isinstance(s, Sentence) and s.trailer_ms == 1_325_394_001_000


def test_exact_earth_trailing_milliseconds() -> None:
    s = parse_sentence(b"!AIVDM,1,1,,A,144gjIP0085KKPQHMPjT81Sb1PSL,0*22,1328133720087", None)
    assert isinstance(s, Sentence) and s.trailer_ms == 1_328_133_720_087


def test_epoch_to_ms_rejects_garbage() -> None:
    assert epoch_to_ms(b"1565218798") == 1_565_218_798_000
    with pytest.raises(NmeaError):
        epoch_to_ms(b"9" * 40)
