"""AIS payload bits, the one definition: the six-bit armour, packing and reading bit fields, the layout of the
position reports (types 1/2/3 and 18) and the "not available" values of their fields.

Decoding (:mod:`msa.ais.nmea`, :mod:`msa.ais.fastpath`, :mod:`msa.ais.fastline`, :mod:`msa.ais.normalise`) and
encoding (the simulator, the synthetic recordings) use these, so the two cannot drift apart.

*Not available* values become ``None`` at ingest and never reach the detectors (``docs/ingest.md``):

=================  ==========================  ===========================================================
field              not available (raw)          also ``None``
=================  ==========================  ===========================================================
latitude           91° (0x3412140)              anything outside ±90°
longitude          181° (0x6791AC0)             anything outside ±180°
SOG                102.3 kn (1023)              — (type 27: 63 kn)
COG                360° (3600)                  3601–4095 (type 27: 511)
true heading       511                          360–510
UTC second         60                           61–63 (manual, dead reckoning, inoperative)
navigation status  15 (not defined)             —
rate of turn       -128 (0x80)                  (not decoded)
=================  ==========================  ===========================================================
"""

from __future__ import annotations

from binascii import a2b_base64
from collections.abc import Iterable

__all__ = [
    "ARMOUR",
    "ARMOUR_TO_B64",
    "COG_NOT_AVAILABLE",
    "HEADING_NOT_AVAILABLE",
    "LAT_NOT_AVAILABLE_DEG",
    "LON_NOT_AVAILABLE_DEG",
    "NAV_STATUS_NOT_DEFINED",
    "SECOND_NOT_AVAILABLE",
    "SOG_NOT_AVAILABLE",
    "SOG_NOT_AVAILABLE_KN",
    "TURN_NOT_AVAILABLE",
    "TYPE27_COG_NOT_AVAILABLE_DEG",
    "TYPE27_SOG_NOT_AVAILABLE_KN",
    "PositionFields",
    "armour",
    "pack",
    "payload_int",
    "position_fields",
]

# six-bit armour: value v is the character ARMOUR[v] ('0'..'W' for 0-39, '`'..'w' for 40-63)
ARMOUR = bytes(range(0x30, 0x58)) + bytes(range(0x60, 0x78))
# the armour onto the base64 alphabet: the 6→8 bit repacking of a payload then runs in C
ARMOUR_TO_B64 = bytes.maketrans(ARMOUR, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_ARMOUR_CHARS = ARMOUR.decode("ascii")

LAT_NOT_AVAILABLE_DEG = 91.0
LON_NOT_AVAILABLE_DEG = 181.0
SOG_NOT_AVAILABLE = 1023  # raw, tenths of a knot
SOG_NOT_AVAILABLE_KN = SOG_NOT_AVAILABLE / 10.0  # 102.3
COG_NOT_AVAILABLE = 3600  # raw, tenths of a degree
HEADING_NOT_AVAILABLE = 511  # degrees; 360-510 are not valid either
SECOND_NOT_AVAILABLE = 60  # 61-63: positioning system in manual, dead reckoning or inoperative mode
NAV_STATUS_NOT_DEFINED = 15
TURN_NOT_AVAILABLE = 0x80  # -128 in 8 bits, two's complement
TYPE27_SOG_NOT_AVAILABLE_KN = 63  # long-range broadcast: whole knots in 6 bits
TYPE27_COG_NOT_AVAILABLE_DEG = 511  # long-range broadcast: whole degrees in 9 bits


def payload_int(payload: bytes) -> int:
    """A payload whose bit count is a multiple of 24 (a 28-character position report, fill 0) as an integer;
    the caller checked the characters."""
    return int.from_bytes(a2b_base64(payload.translate(ARMOUR_TO_B64)), "big")


def pack(fields: Iterable[tuple[int, int]]) -> tuple[int, int]:
    """``(value, width)`` fields, first field in the most significant bits → (integer, total bits). A value
    is cut to its width (two's complement for negative values)."""
    value = total = 0
    for v, width in fields:
        value = (value << width) | (int(v) & ((1 << width) - 1))
        total += width
    return value, total


def armour(value: int, n_bits: int) -> tuple[str, int]:
    """Six-bit armour of an ``n_bits`` integer → (payload, fill bits appended to reach a multiple of 6)."""
    fill = (-n_bits) % 6
    value <<= fill
    n = (n_bits + fill) // 6
    return "".join(_ARMOUR_CHARS[(value >> (6 * (n - 1 - i))) & 63] for i in range(n)), fill


PositionFields = tuple[int, int, float | None, float | None, float | None, float | None, int | None, int | None,
                       bool, int | None]


def position_fields(v: int) -> PositionFields:
    """The fields of a 168-bit type 1/2/3 or 18 payload ``v``, not-available values as ``None``:
    ``(msg_type, mmsi, lat, lon, sog_kn, cog_deg, heading_deg, nav_status, pos_accuracy, utc_second)``
    (``nav_status`` always ``None`` for type 18). Offsets and scaling as pyais' fast path; the MMSI is not
    checked here."""
    t = v >> 162
    mmsi = (v >> 130) & 0x3FFFFFFF
    if t == 18:
        sog_raw, acc, lx, ly = (v >> 112) & 1023, (v >> 111) & 1, (v >> 83) & 0xFFFFFFF, (v >> 56) & 0x7FFFFFF
        cog_raw, heading, second = (v >> 44) & 4095, (v >> 35) & 511, (v >> 29) & 63
        status = None
    else:
        sog_raw, acc, lx, ly = (v >> 108) & 1023, (v >> 107) & 1, (v >> 79) & 0xFFFFFFF, (v >> 52) & 0x7FFFFFF
        cog_raw, heading, second = (v >> 40) & 4095, (v >> 31) & 511, (v >> 25) & 63
        st = (v >> 126) & 15
        status = None if st == NAV_STATUS_NOT_DEFINED else st
    if lx & 0x8000000:
        lx -= 0x10000000
    if ly & 0x4000000:
        ly -= 0x8000000
    lon = ((10 * lx + 3) // 6) / 1e6  # 1/10 000 minute → degrees rounded to 1e-6, as pyais.messages.to_lat_lon
    lat = ((10 * ly + 3) // 6) / 1e6
    return (t, mmsi,
            lat if -90.0 <= lat <= 90.0 else None,  # 91: not available
            lon if -180.0 <= lon <= 180.0 else None,  # 181: not available
            sog_raw / 10.0 if sog_raw < SOG_NOT_AVAILABLE else None,
            cog_raw / 10.0 if cog_raw < COG_NOT_AVAILABLE else None,
            heading if heading < 360 else None,
            status, acc == 1,
            second if second < SECOND_NOT_AVAILABLE else None)
