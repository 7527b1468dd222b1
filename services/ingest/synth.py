"""Synthetic but realistic NMEA recordings (tag-blocked) for the bundled demo and the benchmark.

Vessels sail straight lines from seeded start points; each reports its position every ``step_s`` seconds
(class A type 1 or class B type 18) and its static data (type 5, two sentences in a tag-block group) every
six minutes. A second receiver re-hears a share of the reports (multi-receiver duplicates), and a few
corrupt lines can be mixed in (rejects). Deterministic for a given seed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from typing import NamedTuple

from pyais.encode import encode_dict

from msa.ais.bits import TURN_NOT_AVAILABLE, armour, pack
from msa.ais.nmea import nmea_checksum

__all__ = ["position_payload", "synth_lines", "tagged"]

def position_payload(msg_type: int, mmsi: int, lat: float, lon: float, sog_kn: float, cog_deg: float,
                     heading: int, second: int, status: int = 0) -> str:
    """Type 1/2/3 or 18 payload (168 bits) packed directly (fast; checked against pyais in tests)."""
    lon_i = round(lon * 600000) & 0xFFFFFFF
    lat_i = round(lat * 600000) & 0x7FFFFFF
    sog = min(1023, round(sog_kn * 10))
    cog = round(cog_deg * 10) % 3600
    if msg_type == 18:
        fields = [(18, 6), (0, 2), (mmsi, 30), (0, 8), (sog, 10), (0, 1), (lon_i, 28), (lat_i, 27), (cog, 12),
                  (heading, 9), (second, 6), (0, 2), (1, 1), (0, 1), (1, 1), (1, 1), (1, 1), (0, 1), (0, 1),
                  (0, 20)]
    else:
        fields = [(msg_type, 6), (0, 2), (mmsi, 30), (status, 4), (TURN_NOT_AVAILABLE, 8), (sog, 10), (0, 1),
                  (lon_i, 28), (lat_i, 27), (cog, 12), (heading, 9), (second, 6), (0, 2), (0, 3), (0, 1), (0, 19)]
    return armour(*pack(fields))[0]


def tagged(sentence_body: str, time_s: int, station: str, group: str | None = None) -> str:
    """``\\g:…,s:station,c:time*hh\\!<body>*hh`` with both checksums."""
    tag = (f"g:{group}," if group else "") + f"s:{station},c:{time_s}"
    return (f"\\{tag}*{nmea_checksum(tag.encode()):02X}\\"
            f"!{sentence_body}*{nmea_checksum(sentence_body.encode()):02X}")


class _Vessel(NamedTuple):
    mmsi: int
    lat: float
    lon: float
    sog: float
    cog: float
    type: int
    name: str
    offset: int


def synth_lines(n_vessels: int, duration_s: int, *, step_s: int = 10, start_s: int = 1_735_689_600,
                seed: int = 7, duplicate_share: float = 0.1, corrupt_every: int = 0) -> Iterator[str]:
    rnd = random.Random(seed)
    vessels = [_Vessel(200_000_000 + rnd.randrange(1, 599_999_999), 36.0 + rnd.random() * 8,
                       -12.0 + rnd.random() * 18, rnd.choice([0.0, 0.1, 8.5, 11.0, 13.7, 18.2, 31.0]),
                       rnd.random() * 360, 18 if i % 5 == 4 else 1, f"SYNTH {i:04d}", rnd.randrange(step_s))
               for i in range(n_vessels)]
    group = 0
    count = 0
    for t in range(0, duration_s, step_s):
        for v in vessels:
            ts = start_s + t + v.offset
            hours = (t + v.offset) / 3600.0
            dist_nm = v.sog * hours
            lat = v.lat + dist_nm / 60.0 * math.cos(math.radians(v.cog))
            lon = v.lon + dist_nm / 60.0 * math.sin(math.radians(v.cog)) / math.cos(math.radians(lat))
            payload = position_payload(v.type, v.mmsi, lat, lon, v.sog, v.cog,
                                       round(v.cog) % 360, ts % 60)
            body = f"AIVDM,1,1,,{'AB'[count % 2]},{payload},0"
            yield tagged(body, ts, "rSYNTH1")
            count += 1
            if rnd.random() < duplicate_share:
                yield tagged(f"AIVDM,1,1,,B,{payload},0", ts + 1, "rSYNTH2")
            if corrupt_every and count % corrupt_every == 0:
                bad = tagged(body, ts, "rSYNTH1")
                yield bad[:-2] + ("00" if bad[-2:] != "00" else "11")  # checksum no longer matches
            if (t + v.offset) % 360 < step_s and v.type == 1:
                group = group % 9999 + 1
                parts = encode_dict({"type": 5, "mmsi": v.mmsi, "shipname": v.name, "callsign": "SYN"
                                     f"{v.mmsi % 10000}", "imo": 9_000_000 + v.mmsi % 999_999,
                                     "ship_type": 70, "to_bow": 90, "to_stern": 20, "to_port": 8,
                                     "to_starboard": 8, "draught": 6.5, "destination": "LISBOA"},
                                    radio_channel="A", talker_id="AI", sentence_type="VDM", seq_id=group % 10)
                for k, part in enumerate(parts, start=1):
                    yield tagged(part[1:part.index("*")], ts, "rSYNTH1", f"{k}-{len(parts)}-{group}")
