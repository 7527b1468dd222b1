"""Direct field extraction for the hot message types (1, 2, 3, 18 at their full 168 bits).

Nine in ten AIS messages are class A/B position reports. For them, building pyais' attrs message object
(enum conversions, turn rate, radio state) costs more than the rest of ingest. This reads the same bits
with the same offsets and scale conversions as pyais' own fast path (``MessageType1._fast_path``,
``MessageType18._fast_path``) straight into a :class:`PositionReport`, with the sentinels of
:mod:`msa.ais.normalise`. A property test checks it equals pyais + ``normalise`` on random payloads.
Everything else, and any unusual bit length, goes through pyais.
"""

from __future__ import annotations

from pyais.messages import to_lat_lon

from msa.ais.normalise import MMSI_MAX, MMSI_MIN, NormaliseError
from msa.domain import AisClass, PositionReport, TimeSource

__all__ = ["FAST_TYPES", "fast_position"]

FAST_TYPES = frozenset({1, 2, 3, 18})
_A = AisClass.A
_B = AisClass.B


def fast_position(v: int, ts_ms: int, source: str, time_source: TimeSource) -> PositionReport:
    """``v``: the 168-bit payload as an integer (message type in the top 6 bits, one of ``FAST_TYPES``)."""
    t = v >> 162
    mmsi = (v >> 130) & 0x3FFFFFFF
    if not MMSI_MIN <= mmsi <= MMSI_MAX:
        raise NormaliseError("invalid_mmsi", str(mmsi))
    if t == 18:
        sog_raw, acc, lx, ly = (v >> 112) & 1023, (v >> 111) & 1, (v >> 83) & 0xFFFFFFF, (v >> 56) & 0x7FFFFFF
        cog_raw, heading, second = (v >> 44) & 4095, (v >> 35) & 511, (v >> 29) & 63
        status = None
        cls = _B
    else:
        sog_raw, acc, lx, ly = (v >> 108) & 1023, (v >> 107) & 1, (v >> 79) & 0xFFFFFFF, (v >> 52) & 0x7FFFFFF
        cog_raw, heading, second = (v >> 40) & 4095, (v >> 31) & 511, (v >> 25) & 63
        st = (v >> 126) & 15
        status = None if st == 15 else st
        cls = _A
    if lx & 0x8000000:
        lx -= 0x10000000
    if ly & 0x4000000:
        ly -= 0x8000000
    lon = to_lat_lon(lx)
    lat = to_lat_lon(ly)
    return PositionReport(
        mmsi, ts_ms,
        lat if -90.0 <= lat <= 90.0 else None,
        lon if -180.0 <= lon <= 180.0 else None,
        sog_raw / 10.0 if sog_raw < 1023 else None,
        cog_raw / 10.0 if cog_raw < 3600 else None,
        heading if heading < 360 else None,
        status, t, cls, source, time_source, acc == 1,
        second if second < 60 else None,
    )
