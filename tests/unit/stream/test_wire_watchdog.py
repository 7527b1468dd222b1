"""By-cell wire records (stage 1 → stage 2) round-trip exactly and in order; malformed values raise whole;
the watchdog needs lag and no progress."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.detect.rendezvous import IdentityChange, RendezvousInput
from services.detect.stream.cell_records import Marker, decode, encode_batch, encode_marker, identity_row, input_row
from services.detect.stream.watchdog import Watchdog
from services.detect.track import VesselStatic

_coord = st.floats(-180.0, 180.0, allow_nan=False)
_ts = st.integers(0, 4_000_000_000_000)
_mmsi = st.integers(1, 999_999_999)
statics = st.builds(VesselStatic, name=st.one_of(st.none(), st.text(max_size=20)),
                    call_sign=st.one_of(st.none(), st.text(max_size=7)),
                    imo=st.one_of(st.none(), st.integers(1, 9_999_999)),
                    ship_type=st.one_of(st.none(), st.integers(0, 99)),
                    length_m=st.one_of(st.none(), st.floats(0.0, 500.0)))
inputs = st.builds(RendezvousInput, mmsi=_mmsi, ts_ms=_ts, lon=_coord, lat=st.floats(-90.0, 90.0, allow_nan=False),
                   speed_kn=st.one_of(st.none(), st.floats(0.0, 80.0)), zone=st.one_of(st.none(), st.text(max_size=20)),
                   identity=st.one_of(st.none(), statics),
                   prev=st.one_of(st.none(), st.tuples(_ts, _coord, st.floats(-90.0, 90.0, allow_nan=False))))
changes = st.builds(IdentityChange, mmsi=_mmsi, ts_ms=_ts, identity=statics)


@given(st.lists(st.tuples(st.one_of(inputs, changes), st.booleans()), max_size=20))
def test_batches_round_trip_exactly(items: list[tuple[RendezvousInput | IdentityChange, bool]]) -> None:
    encoded = [input_row(i, attach) if isinstance(i, RendezvousInput) else identity_row(i) for i, attach in items]
    src, got = decode(encode_batch("p3", encoded))
    want: list[RendezvousInput | IdentityChange] = []
    for i, attach in items:
        if isinstance(i, RendezvousInput):
            if attach and i.identity is not None:
                want.append(IdentityChange(i.mmsi, i.ts_ms, i.identity))
            want.append(i._replace(identity=None))  # the identity travels as its own item
        else:
            want.append(i)
    assert src == "p3" and [item for _, item in got] == want


def test_positions_put_identity_changes_first_and_an_attached_identity_before_its_input() -> None:
    ident = VesselStatic(name="X")
    r = RendezvousInput(224000001, 1_000, -5.4, 36.1, 2.5, "Strait", ident)
    other = RendezvousInput(224000000, 1_000, -5.4, 36.1, 2.5, "Strait")
    _, got = decode(encode_batch("p0", [identity_row(IdentityChange(224000009, 1_000, ident)),
                                        input_row(other), input_row(r, True)]))
    positions = [pos for pos, _ in got]
    assert positions == sorted(positions) and len(set(positions)) == 4
    assert decode(encode_marker("p0", 123, True)) == Marker("p0", 123, True)


BAD = [b"[]", b"{}", b"nope", b'{"src": 3, "b": []}', b'{"src": "p1", "b": {}}', b'{"src": "p1", "wm": "x"}',
       b'{"src": "p1", "b": [[1, 2, 3]]}', b'{"src": "p1", "b": [[1.5, 2, 0.0, 0.0, null, null]]}',
       b'{"src": "p1", "b": [[1, 2, "x", 0.0, null, null]]}', b'{"src": "p1", "b": [[1, 2, 0.0, 0.0, null, 7]]}',
       b'{"src": "p1", "b": [[1, 2, {"imo": "IMO123"}]]}', b'{"src": "p1", "b": [[1, 2, 0.0, 0.0, null, null, 5]]}',
       b'{"src": "p1", "b": [[1, 2, 0.0, 0.0, 1.0, "z", [1, 2.0]]]}',  # a bad previous fix
       b'{"src": "p1", "b": [[1, 2, 0.0, 0.0, 1.0, "z", null], [1, 2, 3]]}']  # one bad item rejects the batch


@pytest.mark.parametrize("value", BAD)
def test_malformed_values_raise(value: bytes) -> None:
    with pytest.raises((ValueError, KeyError, TypeError)):
        decode(value)


def test_watchdog() -> None:
    w = Watchdog(stuck_after_s=10.0)
    w.progress(0.0)
    assert not w.check(5.0, lag=100)
    assert w.check(11.0, lag=100)
    w.progress(12.0)
    assert not w.check(13.0, lag=100)
    assert not w.check(100.0, lag=0)  # nothing to do is not stuck
    assert not w.check(105.0, lag=5)


def test_watchdog_does_not_count_start_up_as_a_stall() -> None:
    w = Watchdog(stuck_after_s=10.0)
    # the first check long after the epoch, with lag: the clock starts now, not at 0
    assert not w.check(5000.0, lag=100)
    assert not w.check(5009.0, lag=100)
    assert w.check(5011.0, lag=100)
