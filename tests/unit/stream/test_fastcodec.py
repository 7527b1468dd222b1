"""The detector's fast input decoder equals the codec (any position, any timestamp form); malformed input
raises."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from msa.contracts.codec import dumps, record_from_dict, record_to_dict
from msa.domain import AisClass, PositionReport, SatelliteDetection, StaticVesselData, TimeSource, parse_ts
from services.detect.stream.fastcodec import decode_input, fast_ts

_floats = st.one_of(st.none(), st.floats(-180.0, 180.0, allow_nan=False), st.integers(-90, 90))
positions = st.builds(
    PositionReport, mmsi=st.integers(1, 999_999_999), ts_ms=st.integers(0, 4_000_000_000_000), lat=_floats,
    lon=_floats, sog_kn=_floats, cog_deg=_floats, heading_deg=st.one_of(st.none(), st.integers(0, 511)),
    nav_status=st.one_of(st.none(), st.integers(0, 15)), msg_type=st.integers(1, 27),
    ais_class=st.sampled_from(list(AisClass)), source=st.text(max_size=5),
    time_source=st.sampled_from(list(TimeSource)), pos_accuracy=st.one_of(st.none(), st.booleans()),
    utc_second=st.one_of(st.none(), st.integers(0, 59)))


@given(positions)
def test_decode_input_equals_codec(rec: PositionReport) -> None:
    value = dumps(record_to_dict(rec))
    assert decode_input(value) == record_from_dict(record_to_dict(rec))


@given(st.integers(0, 4_000_000_000_000), st.sampled_from(["{}Z", "{}.{:03d}Z", "{}+00:00", "{}.{:06d}Z"]))
def test_fast_ts_equals_parse_ts(ts_ms: int, form: str) -> None:
    from msa.domain import format_ts

    base = format_ts(ts_ms - ts_ms % 1000)[:19]
    text = form.format(base, ts_ms % 1000 * (1000 if "06d" in form else 1))
    assert fast_ts(text) == parse_ts(text)


def test_other_records_go_through_the_codec() -> None:
    st_rec = StaticVesselData(mmsi=5, ts_ms=1_000, name="X", length_m=12.0)
    det = SatelliteDetection(detection_id="d1", ts_ms=2_000, lat=36.0, lon=-5.0, confidence=0.9, sensor="s1",
                             scene_id="sc")
    assert decode_input(dumps(record_to_dict(st_rec))) == st_rec
    assert decode_input(dumps(record_to_dict(det))) == det


BAD = [b"[1]", b"nope", b'{"kind": "position", "mmsi": 1}', b'{"kind": "position", "ts": "x", "mmsi": 1}',
       b'{"kind": "position", "ts": "2025-01-01T00:00:00Z", "mmsi": 1, "ais_class": "Q"}']


@pytest.mark.parametrize("value", BAD)
def test_malformed_inputs_raise(value: bytes) -> None:
    with pytest.raises((ValueError, KeyError, TypeError)):
        decode_input(value)
