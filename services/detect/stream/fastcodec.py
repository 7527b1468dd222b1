"""Fast decoding of the records the detector reads most: positions of the input topic.

``decode_input`` gives exactly ``record_from_dict(loads(value))`` (tested), without the generic path for the
common case: a ``position`` with a ``…SS[.mmm]Z`` timestamp and known enum values; anything else goes through
the codec (which also raises the same errors on bad input).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import orjson

from msa.contracts.codec import record_from_dict
from msa.domain import AisClass, PositionReport, Record, TimeSource, parse_ts

__all__ = ["decode_input", "fast_ts"]

_AIS_CLASS = {str(c): c for c in AisClass}
_TIME_SOURCE = {str(t): t for t in TimeSource}


@lru_cache(maxsize=1 << 16)
def _second_ms(prefix: str) -> int:
    return parse_ts(prefix + "Z")


def fast_ts(text: str) -> int:
    """``parse_ts`` for ``YYYY-MM-DDTHH:MM:SS[.mmm]Z`` (cached per second); other forms via ``parse_ts``."""
    n = len(text)
    if n == 20 and text[19] == "Z" and text[10] == "T":
        return _second_ms(text[:19])
    if n == 24 and text[23] == "Z" and text[19] == "." and text[10] == "T" and text[20:23].isdigit():
        return _second_ms(text[:19]) + int(text[20:23])
    return parse_ts(text)


def decode_input(value: bytes) -> Record:
    """A record of an input topic; raises ``ValueError``/``KeyError``/``TypeError`` like the codec."""
    d: Any = orjson.loads(value)
    if type(d) is dict and d.get("kind") == "position":
        g = d.get
        ts, mmsi, msg_type = g("ts"), g("mmsi"), g("msg_type", 1)
        ais_class = _AIS_CLASS.get(g("ais_class", "A"))
        time_source = _TIME_SOURCE.get(g("time_source", "receipt"))
        if (type(ts) is str and type(mmsi) is int and type(msg_type) is int and ais_class is not None
                and time_source is not None):
            return PositionReport(
                mmsi=mmsi, ts_ms=fast_ts(ts), lat=g("lat"), lon=g("lon"), sog_kn=g("sog_kn"),
                cog_deg=g("cog_deg"), heading_deg=g("heading_deg"), nav_status=g("nav_status"),
                msg_type=msg_type, ais_class=ais_class, source=g("source", ""), time_source=time_source,
                pos_accuracy=g("pos_accuracy"), utc_second=g("utc_second"))
    if not isinstance(d, dict):
        raise TypeError("not an object")
    return record_from_dict(d)
