"""Direct field extraction for the hot message types (1, 2, 3, 18 at their full 168 bits).

Nine in ten AIS messages are class A/B position reports. For them, building pyais' attrs message object
(enum conversions, turn rate, radio state) costs more than the rest of ingest. This reads the same bits
with the same offsets and scale conversions as pyais' own fast path (``MessageType1._fast_path``,
``MessageType18._fast_path``) straight into a :class:`PositionReport`, with the sentinels of
:mod:`msa.ais.normalise`. A property test checks it equals pyais + ``normalise`` on random payloads.
Everything else, and any unusual bit length, goes through pyais.
"""

from __future__ import annotations

from msa.ais.bits import position_fields
from msa.ais.normalise import MMSI_MAX, MMSI_MIN, NormaliseError
from msa.domain import AisClass, PositionReport, TimeSource

__all__ = ["FAST_TYPES", "fast_position"]

FAST_TYPES = frozenset({1, 2, 3, 18})
_A = AisClass.A
_B = AisClass.B


def fast_position(v: int, ts_ms: int, source: str, time_source: TimeSource) -> PositionReport:
    """``v``: the 168-bit payload as an integer (message type in the top 6 bits, one of ``FAST_TYPES``)."""
    t, mmsi, lat, lon, sog, cog, heading, status, acc, second = position_fields(v)
    if not MMSI_MIN <= mmsi <= MMSI_MAX:
        raise NormaliseError("invalid_mmsi", str(mmsi))
    return PositionReport(mmsi, ts_ms, lat, lon, sog, cog, heading, status, t, _B if t == 18 else _A, source,
                          time_source, acc, second)
