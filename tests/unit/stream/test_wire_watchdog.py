"""By-cell wire records round-trip; malformed values raise; the watchdog needs lag and no progress."""

from __future__ import annotations

import pytest

from msa.domain import PositionReport
from services.detect.stream.watchdog import Watchdog
from services.detect.stream.wire import CellRecord, Marker, decode, encode_marker, encode_record


def test_record_and_marker_round_trip() -> None:
    rec = PositionReport(mmsi=224000001, ts_ms=1_700_000_000_000, lat=36.1, lon=-5.4, sog_kn=2.5)
    got = decode(encode_record("p3", 42, 1, rec))
    assert got == CellRecord("p3", 42, 1, rec)
    assert decode(encode_marker("s0", 123, True)) == Marker("s0", 123, True)


BAD = [b"[]", b"{}", b'{"src": "p1", "o": 1, "i": 0, "r": {"kind": "?"}}', b"nope"]


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
