"""Builders for NMEA test lines: real sentences, wrapped in tag blocks with correct checksums."""

from __future__ import annotations

from pyais.encode import encode_dict

from msa.ais.bits import armour
from msa.ais.decoder import Decoder, Output
from msa.ais.nmea import nmea_checksum
from services.ingest.synth import position_payload, tagged

__all__ = ["T0_S", "decode_all", "fragments", "position_line", "sentence", "tag", "tagged", "type5_bodies"]

T0_S = 1_735_689_600  # 2025-01-01T00:00:00Z
RECEIPT_MS = 1_700_000_000_000  # 2023-11-14T22:13:20Z: what the caller says it received lines at

# Real sentences (pyais / gpsd samples), annotated with what they exercise
TYPE1 = b"!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23"  # type 1, MMSI 227006760, heading 511 (n/a)
TYPE5_1 = b"!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C"  # type 5 part 1
TYPE5_2 = b"!AIVDM,2,2,1,A,88888888880,2*25"  # type 5 part 2 (MMSI 351759000, "EVER DIADEM")


def sentence(body: str) -> bytes:
    """``!<body>*hh`` with a correct checksum."""
    return f"!{body}*{nmea_checksum(body.encode()):02X}".encode()


def tag(fields: str, body: bytes) -> bytes:
    """Prefix a sentence with a tag block ``\\fields*hh\\``."""
    return f"\\{fields}*{nmea_checksum(fields.encode()):02X}\\".encode() + body


def position_line(mmsi: int = 244740981, *, t_s: int = T0_S, lat: float = 36.5, lon: float = -5.5,
                  sog_kn: float = 12.3, cog_deg: float = 100.0, heading: int = 99, station: str = "rTEST",
                  msg_type: int = 1, second: int | None = None) -> bytes:
    """A tag-blocked position report; the payload's UTC second is ``t_s % 60`` unless given."""
    payload = position_payload(msg_type, mmsi, lat, lon, sog_kn, cog_deg, heading,
                               t_s % 60 if second is None else second)
    return tagged(f"AIVDM,1,1,,A,{payload},0", t_s, station).encode()


def fragments(bits: int, n_bits: int, parts: int, seq: str, channel: str = "A") -> list[bytes]:
    """Split a payload into ``parts`` sentences with the given sequence id."""
    payload, fill = armour(bits, n_bits)
    size = -(-len(payload) // parts)
    chunks = [payload[i:i + size] for i in range(0, len(payload), size)]
    return [sentence(f"AIVDM,{len(chunks)},{i},{seq},{channel},{c},{fill if i == len(chunks) else 0}")
            for i, c in enumerate(chunks, start=1)]


def type5_bodies(mmsi: int, name: str, seq: int = 1, channel: str = "A") -> list[str]:
    """A type 5 (static and voyage data) as its two sentence bodies, ``AIVDM,2,k,…`` without ``!`` and checksum;
    the destination is the name too, so that the second sentences of two ships differ."""
    parts = encode_dict({"type": 5, "mmsi": mmsi, "shipname": name, "callsign": "TEST", "ship_type": 70,
                         "to_bow": 90, "to_stern": 20, "to_port": 8, "to_starboard": 8, "draught": 6.5,
                         "destination": name},
                        radio_channel=channel, talker_id="AI", sentence_type="VDM", seq_id=seq)
    return [part[1:part.index("*")] for part in parts]


def decode_all(lines: list[bytes], *, receipt_ms: int = RECEIPT_MS, dedup: bool = True,
               source: str = "test") -> tuple[list[Output], Decoder]:
    d = Decoder(source, dedup_window_ms=30_000 if dedup else None)
    out: list[Output] = []
    for line in lines:
        d.feed(line, receipt_ms, out)
    d.flush(out)
    return out, d
