"""pyais message → domain records: sentinels to None, text cleaning, MMSI validity, class and type mapping."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyais.bit_vector import bit_vector
from pyais.encode import encode_dict
from pyais.messages import MSG_CLASS

from msa.ais.bits import armour
from msa.ais.fastpath import fast_position
from msa.ais.normalise import NormaliseError, normalise
from msa.domain import AisClass, AisOther, PositionReport, Reject, StaticVesselData, TimeSource
from tests.unit.ingest.builders import TYPE1, TYPE5_1, TYPE5_2, decode_all, sentence


def encoded(**fields: object) -> list[bytes]:
    return [s.encode() for s in encode_dict(fields, radio_channel="A", talker_id="AI", sentence_type="VDM",
                                              seq_id=1)]


def one(lines: list[bytes]) -> PositionReport | StaticVesselData | AisOther | Reject:
    out, _ = decode_all(lines)
    assert len(out) == 1, out
    rec = out[0]
    assert isinstance(rec, (PositionReport, StaticVesselData, AisOther, Reject))
    return rec


def test_real_type1_values_and_heading_sentinel() -> None:
    rec = one([TYPE1])  # pyais mixed sample: heading 511 = not available
    assert isinstance(rec, PositionReport)
    assert (rec.mmsi, rec.lat, rec.lon, rec.sog_kn, rec.cog_deg) == (227006760, 49.475577, 0.13138, 0.0, 36.7)
    assert rec.heading_deg is None and rec.nav_status == 0 and rec.utc_second == 14
    assert rec.ais_class is AisClass.A and rec.time_source is TimeSource.RECEIPT


def test_all_position_sentinels_become_none() -> None:
    rec = one(encoded(type=1, mmsi=244740981, lat=91, lon=181, speed=102.3, course=360, heading=511,
                      second=60, status=15))
    assert isinstance(rec, PositionReport)
    assert (rec.lat, rec.lon, rec.sog_kn, rec.cog_deg, rec.heading_deg, rec.utc_second, rec.nav_status) == \
        (None, None, None, None, None, None, None)
    assert not rec.has_position


def test_speed_just_below_sentinel_is_kept() -> None:
    rec = one(encoded(type=1, mmsi=244740981, lat=36.0, lon=-5.0, speed=102.2, course=359.9, heading=359))
    assert isinstance(rec, PositionReport)
    assert (rec.sog_kn, rec.cog_deg, rec.heading_deg) == (102.2, 359.9, 359)


def test_class_b_and_long_range() -> None:
    b = one(encoded(type=18, mmsi=338087471, lat=40.68454, lon=-74.0721317, speed=0.1, course=79.6,
                    heading=511, second=49))
    assert isinstance(b, PositionReport) and b.ais_class is AisClass.B and b.msg_type == 18
    lr = one(encoded(type=27, mmsi=206914217, lat=4.84, lon=137.0233, speed=63, course=511, status=0))
    assert isinstance(lr, PositionReport) and lr.ais_class is AisClass.LONG_RANGE
    assert lr.sog_kn is None and lr.cog_deg is None and lr.lat == pytest.approx(4.84)


def test_type5_static_real_sentence() -> None:
    rec = one([TYPE5_1, TYPE5_2])
    assert isinstance(rec, StaticVesselData)
    assert (rec.mmsi, rec.name, rec.call_sign, rec.imo, rec.ship_type) == \
        (351759000, "EVER DIADEM", "3FOF8", 9134270, 70)
    assert (rec.length_m, rec.beam_m, rec.draught_m, rec.destination) == (295.0, 32.0, 12.2, "NEW YORK")


def test_text_is_cut_at_first_at_sign_like_gpsd() -> None:
    # pyais only strips trailing '@'; '@' is padding, anything after it is garbage
    rec = one(encoded(type=5, mmsi=244740981, shipname="SEA@ROSE", callsign="@@@", imo=0, ship_type=0,
                      destination="  "))
    assert isinstance(rec, StaticVesselData)
    assert rec.name == "SEA" and rec.call_sign is None and rec.imo is None and rec.ship_type is None
    assert rec.destination is None and rec.length_m is None and rec.draught_m is None


def test_type19_gives_position_and_static() -> None:
    out, _ = decode_all(encoded(type=19, mmsi=367059850, lat=29.543695, lon=-88.8103917, speed=8.7,
                                course=335.9, heading=511, second=46, shipname="CAPT.J.RIMES",
                                ship_type=70, to_bow=5, to_stern=21, to_port=4, to_starboard=4))
    assert [type(r) for r in out] == [PositionReport, StaticVesselData]
    static = out[1]
    assert isinstance(static, StaticVesselData)
    assert (static.name, static.length_m, static.beam_m, static.ais_class) == ("CAPT.J.RIMES", 26.0, 8.0, AisClass.B)


def test_type24_parts_and_invalid_part_3() -> None:
    a = one(encoded(type=24, mmsi=271041815, partno=0, shipname="PROGUY"))
    assert isinstance(a, StaticVesselData) and (a.part, a.name) == (0, "PROGUY")
    b = one(encoded(type=24, mmsi=271041815, partno=1, ship_type=60, callsign="TC6163", to_bow=0,
                    to_stern=15, to_port=0, to_starboard=5))
    assert isinstance(b, StaticVesselData) and (b.part, b.call_sign, b.length_m, b.beam_m) == (1, "TC6163", 15.0, 5.0)
    # part number 3: gpsd ignores it, pyais raises; we reject with a reason
    bits = (((24 << 2 | 0) << 30 | 271041815) << 2 | 3) << 128  # type, repeat, MMSI, part 3, 128 zero bits
    payload, fill = armour(bits, 168)
    rej = one([sentence(f"AIVDM,1,1,,A,{payload},{fill}")])
    assert isinstance(rej, Reject) and rej.reason == "type24_bad_part"


@pytest.mark.parametrize("mmsi", [0, 1_999_999])
def test_invalid_mmsi_rejected(mmsi: int) -> None:
    rej = one(encoded(type=1, mmsi=mmsi, lat=36.0, lon=-5.0))
    assert isinstance(rej, Reject) and rej.reason == "invalid_mmsi"


def test_base_station_kept_as_other_with_null_position() -> None:
    # libais USCG sample: type 4 base station with lat 91 / lon 181
    rec = one([b"!AIVDM,1,1,,A,403Ovl@000Htt<tSF0l4Q@100`Pq,0*28"])
    assert isinstance(rec, AisOther) and rec.msg_type == 4 and rec.mmsi == 3669713
    assert rec.fields["lat"] is None and rec.fields["lon"] is None and rec.fields["hour"] == 24


def test_wrong_bit_count_rejected() -> None:
    # GFW type1-bad-bitcount sample: 31 characters = 186 bits for a 168-bit message
    line = (b"\\s:rMT4097,t:ais-listener,c:1697012399*7E\\"
            b"!AIVDM,1,1,,A,13UuUj0P00QgDCLEiGAcOOwl2<0Igw;,0*28")
    rej = one([line])
    assert isinstance(rej, Reject) and rej.reason == "bad_bit_count" and rej.ts_ms == 1_697_012_399_000


@settings(max_examples=500, deadline=None)
@given(st.sampled_from([1, 2, 3, 18]), st.integers(0, (1 << 162) - 1))
def test_fast_path_equals_pyais_plus_normalise(msg_type: int, rest: int) -> None:
    """The direct extraction for types 1/2/3/18 gives exactly what pyais + normalise give, sentinels included."""
    v = (msg_type << 162) | rest
    bv = bit_vector(armour(v, 168)[0].encode(), 0)
    assert bv._value == v
    try:
        slow = normalise(MSG_CLASS[msg_type].from_vector(bv), 168, 1, "s", TimeSource.TAG_BLOCK)[0]
    except NormaliseError as e:
        with pytest.raises(NormaliseError) as err:
            fast_position(v, 1, "s", TimeSource.TAG_BLOCK)
        assert err.value.reason == e.reason
        return
    assert fast_position(v, 1, "s", TimeSource.TAG_BLOCK) == slow
