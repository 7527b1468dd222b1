"""The NMEA the simulator writes decodes with pyais: tag blocks, checksums, multi-part type 5."""

from __future__ import annotations

from functools import reduce

import pyais
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyais.messages import NMEASentenceFactory, TagBlock

from services.simulate.fastencode import encode_position
from services.simulate.model import VesselSpec
from services.simulate.nmea_encode import position_payload, static_payloads, tag_block, tagged_lines
from services.simulate.trajectory import State

SPEC_A = VesselSpec(224001001, "A", "IBERIA SUN", "EA1234", 70, 180.0, 28.0, 9123456, "ALGECIRAS")
SPEC_B = VesselSpec(224001002, "B", "BRAVO", "EB99", 37, 12.0)


def test_tag_block_checksum_is_xor_of_body() -> None:
    tb = tag_block("rx-tarifa", 1710273605)
    body, check = tb.strip("\\").split("*")
    assert body == "s:rx-tarifa,c:1710273605"
    assert int(check, 16) == reduce(lambda a, c: a ^ ord(c), body, 0)
    parsed = TagBlock(tb.strip("\\").encode())
    parsed.init()
    assert parsed.is_valid and parsed.receiver_timestamp == "1710273605" and parsed.source_station == "rx-tarifa"


@pytest.mark.parametrize(("spec", "status", "msg_type"), [(SPEC_A, 0, 1), (SPEC_A, 1, 3), (SPEC_B, 0, 18)])
def test_position_roundtrip(spec: VesselSpec, status: int, msg_type: int) -> None:
    state = State(36.01, -5.6, 47.3, 33.2, status)
    lines = tagged_lines(position_payload(spec, 1710273605_000, state, 36.012345, -5.654321), "rx", 1710273605,
                         0, "A")
    assert len(lines) == 1
    sentence = NMEASentenceFactory.produce(lines[0].encode())
    assert sentence.is_valid and sentence.tag_block is not None
    sentence.tag_block.init()
    assert sentence.tag_block.is_valid and sentence.tag_block.receiver_timestamp == "1710273605"
    d = pyais.decode(lines[0].split("\\")[-1]).asdict()
    assert d["msg_type"] == msg_type and d["mmsi"] == spec.mmsi
    assert d["lat"] == pytest.approx(36.012345, abs=1e-5) and d["lon"] == pytest.approx(-5.654321, abs=1e-5)
    assert d["speed"] == pytest.approx(47.3) and d["second"] == 5


def test_type5_is_two_parts_sharing_a_sequence_id() -> None:
    (payload,) = static_payloads(SPEC_A)
    lines = tagged_lines(payload, "rx", 1710273605, 7, "A")
    assert len(lines) == 2 and all(",7," in line for line in lines)
    msg = pyais.decode(*[line.split("\\")[-1] for line in lines]).asdict()
    assert msg["shipname"] == "IBERIA SUN" and msg["ship_type"] == 70 and msg["imo"] == 9123456
    assert msg["to_bow"] + msg["to_stern"] == 180


def test_class_b_static_is_type24_parts_a_and_b() -> None:
    parts = [pyais.decode(tagged_lines(p, "rx", 1, 0, "A")[0].split("\\")[-1]).asdict()
             for p in static_payloads(SPEC_B)]
    assert [p["partno"] for p in parts] == [0, 1]
    assert parts[0]["shipname"] == "BRAVO" and parts[1]["ship_type"] == 37


@settings(max_examples=300, deadline=None)
@given(mmsi=st.integers(200_000_000, 775_999_999), ais_class=st.sampled_from("AB"),
       lat=st.floats(-90, 90), lon=st.floats(-180, 180), sog=st.floats(0, 102.2), cog=st.floats(0, 359.9),
       status=st.sampled_from((0, 1, 5, 7)), ts=st.integers(0, 2 * 10**12), channel=st.sampled_from("AB"))
def test_fast_position_encoder_is_bit_for_bit_pyais(mmsi: int, ais_class: str, lat: float, lon: float, sog: float,
                                                    cog: float, status: int, ts: int, channel: str) -> None:
    payload = position_payload(VesselSpec(mmsi, ais_class), ts, State(lat, lon, sog, cog, status), lat, lon)
    assert encode_position(payload, channel) == pyais.encode_dict(payload, talker_id="AI", sentence_type="VDM",
                                                                  radio_channel=channel)
