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
from binascii import a2b_base64
from typing import NamedTuple

import orjson

from msa.ais.normalise import MMSI_MAX, MMSI_MIN

__all__ = ["ARMOUR_TO_B64", "SENTENCE", "Encoded", "payload_int", "position_json"]

# ``!xxVDM,1,1,<seq>,<channel>,<28 armoured chars>,0*hh``: groups talker+formatter, payload, checksum
# (``VDO``, own ship, is not the hot shape: the general path rejects it)
SENTENCE = re.compile(rb"!([^,\\]{2}VDM),1,1,\d*,[^,\\]*,([0-W`-w]{28}),0\*([0-9A-Fa-f]{2})")

# AIS six-bit armour ('0'..'W', '`'..'w') onto the base64 alphabet: the 6→8 bit repacking runs in C
ARMOUR_TO_B64 = bytes.maketrans(bytes(range(0x30, 0x58)) + bytes(range(0x60, 0x78)),
                                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


class Encoded(NamedTuple):
    """A record already encoded for Kafka (what the publisher sends as is)."""

    kind: str  # position | static | other (the topic)
    key: bytes  # the MMSI as decimal text
    value: bytes  # JSON, exactly ``dumps(record_to_dict(record))``
    ts_ms: int  # event time (replay pacing and --from/--to)


def payload_int(payload: bytes) -> int:
    """A 28-character (168-bit, fill 0) payload as an integer; the caller checked the characters."""
    return int.from_bytes(a2b_base64(payload.translate(ARMOUR_TO_B64)), "big")


def position_json(v: int, ts: str, source: str, time_source: str) -> tuple[int, bytes] | None:
    """(MMSI, JSON value) of a 168-bit type 1/2/3/18 payload ``v``, or None when the MMSI is invalid.

    Same offsets, scaling and sentinels as :func:`msa.ais.fastpath.fast_position`; keys inserted
    in sorted order so that orjson without ``OPT_SORT_KEYS`` gives the codec's bytes."""
    t = v >> 162
    mmsi = (v >> 130) & 0x3FFFFFFF
    if not MMSI_MIN <= mmsi <= MMSI_MAX:
        return None
    if t == 18:
        sog_raw, acc, lx, ly = (v >> 112) & 1023, (v >> 111) & 1, (v >> 83) & 0xFFFFFFF, (v >> 56) & 0x7FFFFFF
        cog_raw, heading, second = (v >> 44) & 4095, (v >> 35) & 511, (v >> 29) & 63
        status = None
        cls = "B"
    else:
        sog_raw, acc, lx, ly = (v >> 108) & 1023, (v >> 107) & 1, (v >> 79) & 0xFFFFFFF, (v >> 52) & 0x7FFFFFF
        cog_raw, heading, second = (v >> 40) & 4095, (v >> 31) & 511, (v >> 25) & 63
        st = (v >> 126) & 15
        status = None if st == 15 else st
        cls = "A"
    if lx & 0x8000000:
        lx -= 0x10000000
    if ly & 0x4000000:
        ly -= 0x8000000
    lon = ((10 * lx + 3) // 6) / 1e6  # pyais.messages.to_lat_lon for |v| < 2**27, inlined
    lat = ((10 * ly + 3) // 6) / 1e6
    return mmsi, orjson.dumps({
        "ais_class": cls,
        "cog_deg": cog_raw / 10.0 if cog_raw < 3600 else None,
        "heading_deg": heading if heading < 360 else None,
        "kind": "position",
        "lat": lat if -90.0 <= lat <= 90.0 else None,
        "lon": lon if -180.0 <= lon <= 180.0 else None,
        "mmsi": mmsi,
        "msg_type": t,
        "nav_status": status,
        "pos_accuracy": acc == 1,
        "sog_kn": sog_raw / 10.0 if sog_raw < 1023 else None,
        "source": source,
        "time_source": time_source,
        "ts": ts,
        "utc_second": second if second < 60 else None,
    })
