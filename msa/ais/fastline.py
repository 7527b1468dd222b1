"""The hot path of a feed, line to Kafka value in one step: single-sentence class A/B position reports.

Nine in ten lines of a coastal feed are ``[\\tag block\\]!xxVDM,1,1,,A,<28 chars>,0*hh``: a type 1/2/3 or
18 position in one sentence. For those, :meth:`msa.ais.decoder.Decoder.feed` (with
``encoded=True``) skips the general parser, the :class:`msa.domain.PositionReport` object and the
codec, and produces an :class:`Encoded` record: the Kafka key and the JSON value, byte-identical to
``dumps(record_to_dict(fast_position(...)))`` (property-tested). Anything unusual on the line (other
sentence shapes, own-ship ``VDO``, bad checksum, bad characters, other types, invalid MMSI, a trailer, a
pending ``$PGHP``, a time out of bounds) returns ``None`` and the line takes the general path, which gives the
reject with its reason.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import orjson

from msa.ais.bits import position_fields
from msa.ais.normalise import MMSI_MAX, MMSI_MIN

__all__ = ["SENTENCE", "Encoded", "position_json"]

# ``!xxVDM,1,1,<seq>,<channel>,<28 armoured chars>,0*hh``: groups talker+formatter, payload, checksum
# (``VDO``, own ship, is not the hot shape: the general path rejects it)
SENTENCE = re.compile(rb"!([^,\\]{2}VDM),1,1,\d*,[^,\\]*,([0-W`-w]{28}),0\*([0-9A-Fa-f]{2})")


class Encoded(NamedTuple):
    """A record already encoded for Kafka (what the publisher sends as is)."""

    kind: str  # position | static | other (the topic)
    key: bytes  # the MMSI as decimal text
    value: bytes  # JSON, exactly ``dumps(record_to_dict(record))``
    ts_ms: int  # event time (replay pacing and --from/--to)


def position_json(v: int, ts: str, source: str, time_source: str) -> tuple[int, bytes] | None:
    """(MMSI, JSON value) of a 168-bit type 1/2/3/18 payload ``v``, or None when the MMSI is invalid.

    The fields of :func:`msa.ais.bits.position_fields`, as :func:`msa.ais.fastpath.fast_position` reads them;
    keys inserted in sorted order so that orjson without ``OPT_SORT_KEYS`` gives the codec's bytes."""
    t, mmsi, lat, lon, sog, cog, heading, status, acc, second = position_fields(v)
    if not MMSI_MIN <= mmsi <= MMSI_MAX:
        return None
    return mmsi, orjson.dumps({
        "ais_class": "B" if t == 18 else "A",
        "cog_deg": cog,
        "heading_deg": heading,
        "kind": "position",
        "lat": lat,
        "lon": lon,
        "mmsi": mmsi,
        "msg_type": t,
        "nav_status": status,
        "pos_accuracy": acc,
        "sog_kn": sog,
        "source": source,
        "time_source": time_source,
        "ts": ts,
        "utc_second": second,
    })
