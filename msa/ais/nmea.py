"""NMEA 0183 line parsing for AIS: tag blocks, checksums, ``$PGHP`` wrappers, USCG trailing fields.

Pure and allocation-light: a line is bytes, the result is a few named tuples. Nothing here decodes
the AIS payload bits (that is pyais' job in :mod:`msa.ais.normalise`).

Accepted shapes (one line may hold several tag-block/sentence pairs, or sentences written back to back)::

    !AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23                       plain, any talker (AI, BS, AB…)
    \\s:rORBCOMM008,c:1418169601,g:1-2-1604*37\\!AIVDM,2,1,6,A,…,0*63     NMEA 4 tag block
    !AIVDM,1,1,,A,…,0*28,d-109,S2105,t050056.00,T56.1,r003669946,1325394060   USCG trailing fields
    $PGHP,1,2013,3,18,9,19,9,499,219,,2190048,1,28*23                     Gatehouse time wrapper
"""

from __future__ import annotations

import calendar
import re
from typing import NamedTuple

from msa.ais.bits import ARMOUR

__all__ = [
    "MAX_EPOCH_MS",
    "MIN_EPOCH_MS",
    "Gatehouse",
    "NmeaError",
    "Sentence",
    "TagBlock",
    "epoch_to_ms",
    "nmea_checksum",
    "parse_gatehouse",
    "parse_sentence",
    "parse_tag_block",
    "split_line",
]

MIN_EPOCH_MS = 315_532_800_000  # 1980-01-01: nothing AIS is older
MAX_EPOCH_MS = 4_102_444_800_000  # 2100-01-01

_DIGITS = b"0123456789"
_HEX = b"0123456789ABCDEFabcdef"
_SMALL = {str(i).encode(): i for i in range(10)}
_STARTS = re.compile(rb"(?=[!$])")  # before every sentence start


class NmeaError(Exception):
    """A line that cannot be used; ``reason`` is a short stable code, ``detail`` free text."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


class TagBlock(NamedTuple):
    time_ms: int | None  # ``c:`` receiver time
    station: str | None  # ``s:`` source station
    group: tuple[int, int, str] | None  # ``g:`` (sentence number, total, group id)
    checksum_ok: bool  # False: the checksum does not match, and every field is None
    # the checksum covers the block without its ``g:`` field (a known provider fault, e.g. Kystverket's group
    # lines: ``\\g:1-2-9999,c:1565218798*53\\`` where 53 is the checksum of ``c:1565218798``): accepted, counted
    checksum_without_group: bool = False


class Sentence(NamedTuple):
    talker: str
    formatter: str  # VDM (heard) or VDO (own ship)
    frag_count: int
    frag_num: int
    seq_id: str
    channel: str
    payload: bytes
    fill_bits: int
    raw: bytes
    tag: TagBlock | None
    trailer_ms: int | None  # USCG / exactEarth trailing epoch after the checksum


class Gatehouse(NamedTuple):
    time_ms: int
    raw: bytes


_FOLD_MASKS = tuple((1 << b) - 1 for b in (256, 128, 64, 32, 16, 8))


def nmea_checksum(body: bytes) -> int:
    """XOR of all bytes, computed by folding one big integer (much faster than a byte loop)."""
    n = len(body)
    v = int.from_bytes(body, "big")
    if n <= 64:  # every AIS sentence: six fixed folds of 512 bits down to 8
        m256, m128, m64, m32, m16, m8 = _FOLD_MASKS
        v = (v >> 256) ^ (v & m256)
        v = (v >> 128) ^ (v & m128)
        v = (v >> 64) ^ (v & m64)
        v = (v >> 32) ^ (v & m32)
        v = (v >> 16) ^ (v & m16)
        return (v >> 8) ^ (v & m8)
    while n > 1:
        half = n >> 1
        bits = half * 8
        v = (v >> bits) ^ (v & ((1 << bits) - 1))
        n -= half
    return v


def epoch_to_ms(text: bytes) -> int:
    """Epoch seconds or milliseconds (decided by magnitude) to milliseconds; range-checked."""
    if not text or not text.isdigit() or len(text) > 16:
        raise NmeaError("bad_timestamp", text.decode("ascii", "replace"))
    value = int(text)
    ms = value if value >= 100_000_000_000 else value * 1000
    if not MIN_EPOCH_MS <= ms <= MAX_EPOCH_MS:
        raise NmeaError("bad_timestamp", f"epoch {value} out of range")
    return ms


def split_line(line: bytes) -> list[tuple[bytes | None, bytes]]:
    """Split a line into (tag block body or None, sentence) pairs; bytes outside any sentence are errors.

    Sentences written back to back (``!AIVDM…*hh!AIVDM…*hh``: a line ending lost on the way) are split before
    each ``!`` or ``$``, which cannot occur inside a sentence (the payload armour has neither). A tag block
    belongs to the one sentence it precedes: the sentences after it have none. Text that does not start like
    a sentence is left whole (and rejected whole)."""
    if 92 not in line:  # no backslash: the common plain case
        if line.find(b"!", 1) < 0 and line.find(b"$", 1) < 0:
            return [(None, line)]
        return _back_to_back([(None, line)])
    parts = line.split(b"\\")
    if len(parts) == 3 and not parts[0]:  # one tag block and its sentence: the common tagged case
        text = parts[2]
        if text.find(b"!", 1) < 0 and text.find(b"$", 1) < 0:
            return [(parts[1], text)]
        return _back_to_back([(parts[1], text)])
    if parts[0]:
        # text before the first tag block: a sentence followed by tag-blocked sentences
        head: list[tuple[bytes | None, bytes]] = [(None, parts[0])]
    else:
        head = []
    rest = parts[1:]
    if len(rest) % 2:
        raise NmeaError("bad_tag_block", "unbalanced backslashes")
    for i in range(0, len(rest), 2):
        head.append((rest[i], rest[i + 1]))
    return _back_to_back(head)


def _back_to_back(pairs: list[tuple[bytes | None, bytes]]) -> list[tuple[bytes | None, bytes]]:
    """``pairs`` with each text that starts like a sentence and holds several cut into them; the tag block
    goes with the first."""
    out: list[tuple[bytes | None, bytes]] = []
    for tag, text in pairs:
        if text[:1] not in (b"!", b"$") or (text.find(b"!", 1) < 0 and text.find(b"$", 1) < 0):
            out.append((tag, text))
            continue
        first, *more = [t for t in _STARTS.split(text) if t]
        out.append((tag, first))
        out.extend((None, t) for t in more)
    return out


_UNVERIFIED = TagBlock(None, None, None, False)


def parse_tag_block(body: bytes) -> TagBlock:
    """The fields of a tag block body (``c:…,s:…*hh``). One whose checksum does not match gives no field at
    all (``checksum_ok`` False): its time, station and group could be anything, so none is read."""
    star = body.rfind(b"*")
    if star < 0:
        raise NmeaError("bad_tag_block", "no checksum")
    chk = body[star + 1:]
    if len(chk) != 2 or chk.strip(_HEX):
        raise NmeaError("bad_tag_block", "checksum not two hex digits")
    content = body[:star]
    without_group = False
    if nmea_checksum(content) != int(chk, 16):
        rest = b",".join(f for f in content.split(b",") if not f.startswith(b"g:"))
        if rest == content or not rest or nmea_checksum(rest) != int(chk, 16):
            return _UNVERIFIED
        without_group = True  # the provider checksummed the block before adding its group field
    time_ms: int | None = None
    station: str | None = None
    group: tuple[int, int, str] | None = None
    for field in content.split(b","):
        if len(field) < 2 or field[1:2] != b":":
            raise NmeaError("bad_tag_block", f"field {field!r}")
        key = field[:1]
        value = field[2:]
        if key == b"c":
            time_ms = epoch_to_ms(value)
        elif key == b"s":
            station = value.decode("ascii", "replace")
        elif key == b"g":
            group = _parse_group(value)
    return TagBlock(time_ms, station, group, True, without_group)


def _parse_group(value: bytes) -> tuple[int, int, str]:
    bits = value.split(b"-")
    if len(bits) != 3 or not (bits[0].isdigit() and bits[1].isdigit() and bits[2].isdigit()):
        raise NmeaError("bad_tag_group", value.decode("ascii", "replace"))
    num, total = int(bits[0]), int(bits[1])
    if not 1 <= num <= total <= 9:
        raise NmeaError("bad_tag_group", f"sentence {num} of {total}")
    return num, total, bits[2].decode("ascii")


def _trailer_ms(trailer: bytes) -> int | None:
    """The last all-digit field after the checksum is a receiver epoch (USCG, exactEarth)."""
    if not trailer or trailer[:1] != b",":
        return None  # nothing, or stray bytes (a quote, a CR) we ignore
    for field in reversed(trailer[1:].split(b",")):
        if field.isdigit() and len(field) >= 9:
            try:
                return epoch_to_ms(field)
            except NmeaError:
                return None
    return None


_HEADS: dict[bytes, tuple[str, str]] = {}  # b"AIVDM" -> ("AI", "VDM"): a feed has a handful of these
_TEXT: dict[bytes, str] = {}  # channels and sequence ids, decoded once


def _text(b: bytes) -> str:
    t = _TEXT.get(b)
    if t is None:
        t = b.decode("ascii", "replace")
        if len(_TEXT) < 256:
            _TEXT[b] = t
    return t


def parse_sentence(text: bytes, tag: TagBlock | None) -> Sentence | Gatehouse:
    """Parse one ``!xxVDM``/``!xxVDO`` or ``$PGHP`` sentence (checksum validated)."""
    if not text:
        raise NmeaError("empty_line")
    start = text[0]
    if start != 33 and start != 36:  # '!' '$'
        raise NmeaError("not_nmea")
    star = text.find(b"*")
    if star < 0:
        raise NmeaError("no_checksum")
    chk = text[star + 1:star + 3]
    if len(chk) != 2 or chk.strip(_HEX):
        raise NmeaError("no_checksum", "checksum not two hex digits")
    body = text[1:star]
    if nmea_checksum(body) != int(chk, 16):
        raise NmeaError("bad_checksum", f"expected {nmea_checksum(body):02X}, got {chk.decode()}")
    fields = body.split(b",")
    head = fields[0]
    if start == 36:
        if head.endswith(b"PGHP"):
            return parse_gatehouse(fields, text)
        raise NmeaError("unsupported_sentence", head.decode("ascii", "replace"))
    names = _HEADS.get(head)
    if names is None:
        formatter = head[2:]
        if len(head) != 5 or (formatter != b"VDM" and formatter != b"VDO"):
            raise NmeaError("unsupported_sentence", head.decode("ascii", "replace"))
        names = (head[:2].decode("ascii", "replace"), formatter.decode())
        if len(_HEADS) < 256:
            _HEADS[head] = names
    if len(fields) != 7:
        raise NmeaError("bad_field_count", f"{len(fields)} fields")
    _, cnt_b, num_b, seq_b, chan_b, payload, fill_b = fields
    frag_count = _SMALL.get(cnt_b, 0)
    frag_num = _SMALL.get(num_b, 0)
    fill = _SMALL.get(fill_b, -1)
    if not 1 <= frag_num <= frag_count:
        raise NmeaError("bad_fragment_number", f"{num_b!r} of {cnt_b!r}")
    if not 0 <= fill <= 5:
        raise NmeaError("bad_fill_bits", fill_b.decode("ascii", "replace"))
    if seq_b and not seq_b.isdigit():
        raise NmeaError("bad_sequence_id", seq_b.decode("ascii", "replace"))
    if not payload:
        raise NmeaError("empty_payload")
    if payload.translate(None, ARMOUR):
        raise NmeaError("bad_payload_char")
    trailer = text[star + 3:]
    return Sentence(names[0], names[1], frag_count, frag_num, _text(seq_b), _text(chan_b), payload, fill, text,
                    tag, _trailer_ms(trailer) if trailer else None)


def parse_gatehouse(fields: list[bytes], raw: bytes) -> Gatehouse:
    """``$PGHP,1,yyyy,mm,dd,hh,mm,ss,ms,…`` → UTC epoch milliseconds (only message type 1 has a time)."""
    if len(fields) < 9 or fields[1] != b"1":
        raise NmeaError("bad_gatehouse", "not a type 1 PGHP time")
    try:
        y, mo, d, h, mi, s, ms = (int(f) for f in fields[2:9])
        if not (1 <= mo <= 12 and 1 <= d <= 31 and 0 <= h < 24 and 0 <= mi < 60 and 0 <= s < 61
                and 0 <= ms < 1000):
            raise ValueError("field out of range")
        t = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)) * 1000 + ms
    except (ValueError, OverflowError) as exc:
        raise NmeaError("bad_gatehouse", str(exc)) from None
    if not MIN_EPOCH_MS <= t <= MAX_EPOCH_MS:
        raise NmeaError("bad_gatehouse", "time out of range")
    return Gatehouse(t, raw)
