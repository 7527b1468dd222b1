"""The domain model and its JSON wire format."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from msa.contracts.codec import alert_from_dict, alert_to_dict, dumps, loads, record_from_dict, record_to_dict
from msa.contracts.schemas import PAYLOADS
from msa.domain import (
    AisClass,
    AisOther,
    Alert,
    AlertKind,
    AlertStatus,
    PositionReport,
    SatelliteDetection,
    SceneFootprint,
    Severity,
    StaticVesselData,
    TimeSource,
    VesselIdentity,
    format_ts,
    make_alert_id,
    parse_ts,
)

T0 = parse_ts("2026-03-01T02:00:00Z")


def test_timestamps_round_trip_with_and_without_milliseconds() -> None:
    assert format_ts(T0) == "2026-03-01T02:00:00Z"
    assert format_ts(T0 + 250) == "2026-03-01T02:00:00.250Z"
    assert parse_ts("2026-03-01T03:00:00+01:00") == T0
    assert parse_ts("2026-03-01T02:00:00") == T0  # naive means UTC


@given(st.integers(min_value=0, max_value=4_102_444_800_000))
def test_any_epoch_millisecond_round_trips(ts_ms: int) -> None:
    assert parse_ts(format_ts(ts_ms)) == ts_ms


def test_alert_id_is_a_content_hash_independent_of_mmsi_order() -> None:
    a = make_alert_id(AlertKind.RENDEZVOUS, (224000001, 538000002), T0, "alboran")
    b = make_alert_id(AlertKind.RENDEZVOUS, [538000002, 224000001], T0, "alboran")
    assert a == b and len(a) == 32
    assert make_alert_id(AlertKind.RENDEZVOUS, (224000001, 538000002), T0 + 1, "alboran") != a
    assert make_alert_id(AlertKind.GO_FAST, (224000001, 538000002), T0, "alboran") != a


RECORDS = [
    PositionReport(mmsi=224123456, ts_ms=T0, lat=36.1, lon=-5.3, sog_kn=42.5, cog_deg=12.0, heading_deg=None,
                   nav_status=0, msg_type=18, ais_class=AisClass.B, source="rx1", time_source=TimeSource.TAG_BLOCK),
    PositionReport(mmsi=224123456, ts_ms=T0, lat=None, lon=None),
    StaticVesselData(mmsi=224123456, ts_ms=T0, name="NAUTILUS", call_sign="EA1234", imo=9074729, ship_type=37,
                     length_m=12.0, beam_m=3.0, source="rx1", part=None),
    AisOther(mmsi=2241234, ts_ms=T0, msg_type=4, fields={"year": 2026}),
    SatelliteDetection(detection_id="d1", ts_ms=T0, lat=35.9, lon=-4.0, confidence=0.8, sensor="S1A",
                       scene_id="sc1", length_m=14.0),
    SceneFootprint(scene_id="sc1", ts_ms=T0, sensor="S1A",
                   rings=(((-5.0, 35.0), (-3.0, 35.0), (-3.0, 37.0), (-5.0, 37.0), (-5.0, 35.0)),)),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_records_round_trip_and_validate_against_their_schema(record: object) -> None:
    d = record_to_dict(record)  # type: ignore[arg-type]
    assert record_from_dict(loads(dumps(d))) == record
    schema_name = {"position": "position", "static": "static", "other": "other", "detection": "satellite",
                   "scene": "scene"}[d["kind"]]
    PAYLOADS[schema_name].model_validate(d)


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown record kind"):
        record_from_dict({"kind": "banana"})


def make_alert(version: int = 1) -> Alert:
    return Alert(
        alert_id=make_alert_id(AlertKind.GO_FAST, (224123456,), T0, "alboran"), kind=AlertKind.GO_FAST,
        status=AlertStatus.OPEN if version == 1 else AlertStatus.UPDATED, version=version, mmsi=(224123456,),
        start_ms=T0, end_ms=None, updated_ms=T0 + 60_000 * version, zone="alboran", severity=Severity.HIGH,
        score=0.9, geometry={"type": "LineString", "coordinates": [[-4.0, 35.5], [-4.1, 35.7]]},
        vessels=(VesselIdentity(mmsi=224123456, name="X", flag="ES"),), summary="go-fast 45 kn",
        evidence={"max_sog_kn": 45.0},
    )


def test_alert_round_trips_and_serialises_deterministically() -> None:
    alert = make_alert()
    d = alert_to_dict(alert)
    assert alert_from_dict(loads(dumps(d))) == alert
    assert dumps(alert_to_dict(make_alert())) == dumps(d)


_opt_float = st.one_of(st.none(), st.floats(allow_nan=False))
_positions = st.builds(
    PositionReport, mmsi=st.integers(0, 999_999_999), ts_ms=st.integers(0, 4_102_444_800_000), lat=_opt_float,
    lon=_opt_float, sog_kn=_opt_float, cog_deg=_opt_float, heading_deg=st.one_of(st.none(), st.integers(0, 511)),
    nav_status=st.one_of(st.none(), st.integers(0, 15)), msg_type=st.integers(1, 27),
    ais_class=st.sampled_from(list(AisClass)), source=st.text(max_size=8),
    time_source=st.sampled_from(list(TimeSource)),
    pos_accuracy=st.one_of(st.none(), st.booleans()), utc_second=st.one_of(st.none(), st.integers(0, 59)))


@given(_positions)
def test_a_position_pickles_to_an_equal_position(rec: PositionReport) -> None:
    import dataclasses
    import pickle

    back = pickle.loads(pickle.dumps(rec, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == rec and type(back) is PositionReport
    assert [f.name for f in dataclasses.fields(PositionReport)] == [  # the order __reduce__ relies on
        "mmsi", "ts_ms", "lat", "lon", "sog_kn", "cog_deg", "heading_deg", "nav_status", "msg_type", "ais_class",
        "source", "time_source", "pos_accuracy", "utc_second"]
