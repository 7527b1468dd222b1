"""The AIS decoding pipeline: NMEA lines → records + rejects + counters. Pure: no I/O; the one clock, the wall
clock that bounds future times, is a function passed in (``clock``).

``Decoder.feed(line, receipt_ms, out)`` appends :class:`msa.domain.Record` and :class:`msa.domain.Reject`
objects to ``out`` (with ``encoded=True``, single-sentence class A/B positions come as
:class:`msa.ais.fastline.Encoded`: Kafka key and JSON value, byte-identical to the codec's).
Event time, best first: tag block ``c:``, Gatehouse ``$PGHP`` preceding the message,
trailing epoch after the checksum (USCG / exactEarth), else the receipt time given by the caller. A time
the data gives must be plausible (:mod:`msa.formats.time_bounds`: after 2002-07-01, at most a day after
the wall clock ``clock``), else the sentence is rejected (``time_too_old``, ``time_in_future``). ``!xxVDO``
sentences (the receiving station's own vessel) are rejected as ``own_ship``: a record cannot mark them.
Any byte string yields records or rejects; an exception inside a line is caught and counted as
``unexpected_error`` (a bug to fix, never a crash of the worker).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pyais.bit_vector import bit_vector
from pyais.exceptions import UnknownPartNoException
from pyais.messages import MSG_CLASS

from msa.ais.bits import payload_int
from msa.ais.dedup import DEFAULT_WINDOW_MS, Deduplicator
from msa.ais.fastline import SENTENCE, Encoded, position_json
from msa.ais.fastpath import FAST_TYPES, fast_position
from msa.ais.nmea import (
    Gatehouse,
    NmeaError,
    TagBlock,
    nmea_checksum,
    parse_sentence,
    parse_tag_block,
    split_line,
)
from msa.ais.normalise import MMSI_MAX, MMSI_MIN, NormaliseError, normalise
from msa.ais.reassembly import DEFAULT_TIMEOUT_MS, Assembled, Fragment, Orphans, Reassembler
from msa.domain import AisOther, PositionReport, Record, Reject, StaticVesselData, TimeSource, format_ts
from msa.formats.time_bounds import EARLIEST_EVENT_MS, TimeBounds, WallClock, wall_clock_ms

__all__ = ["Decoder", "Output"]

Output = Record | Reject | Encoded
_TagInfo = tuple[int, str, str]  # event time, its ISO text, source
# sentinels, compared by identity (distinct values: equal tuple constants may be one object)
_NOT_FAST: _TagInfo = (0, "", "not fast")
_UNVERIFIED: _TagInfo = (0, "", "unverified")  # checksum does not match: read as if there were no tag block
_SENTENCE = SENTENCE.fullmatch
_KIND = {PositionReport: "position", StaticVesselData: "static", AisOther: "other"}
_RANK = {TimeSource.TAG_BLOCK: 0, TimeSource.WRAPPER: 1, TimeSource.RECEIPT: 2}
_RECEIPT = TimeSource.RECEIPT
_FILL = tuple(b"%d" % i for i in range(6))


class Decoder:
    """Stateful (reassembly, dedup, pending ``$PGHP`` time) but pure. One per input stream."""

    def __init__(self, source: str = "", *, dedup_window_ms: int | None = DEFAULT_WINDOW_MS,
                 reassembly_timeout_ms: int = DEFAULT_TIMEOUT_MS, encoded: bool = False,
                 clock: WallClock = wall_clock_ms) -> None:
        self.source = source
        self._bounds = TimeBounds(clock)
        self._counters: Counter[str] = Counter()
        self._encoded = encoded
        self._fast_n = 0  # lines taken by the fast path (each: a line, sentence, message and position)
        self._fast_tags: dict[bytes, _TagInfo] = {}
        self._reassembler = Reassembler(reassembly_timeout_ms)
        self._dedup = Deduplicator(dedup_window_ms) if dedup_window_ms else None
        self._wrapper_ms: int | None = None
        self._pieces: list[Assembled | Orphans] = []
        self._tags: dict[bytes, TagBlock] = {}  # lines of one receiver and second share their tag block

    # -- public -------------------------------------------------------------------------------------------
    @property
    def counters(self) -> Counter[str]:
        """Outcome counters: lines, sentences, messages, position/static/other, duplicates, reject.<reason>…"""
        n = self._fast_n
        if n:
            c = self._counters
            c["lines"] += n
            c["sentences"] += n
            c["messages"] += n
            c["position"] += n
            self._fast_n = 0
        return self._counters

    def feed(self, line: bytes, receipt_ms: int, out: list[Output], peer: str = "") -> None:
        """Decode one received line (bytes, with or without line ending).

        ``peer``: which sender on a shared input the line came from (a UDP datagram's address, a TCP
        connection); multi-sentence messages are only joined from fragments of one peer."""
        if self._encoded:
            try:
                if self._fast(line, receipt_ms, out):
                    return
            except Exception:  # the general path below decodes it or rejects it with a reason
                pass
        counters = self._counters
        counters["lines"] += 1
        line = line.strip()
        if not line:
            counters["blank_lines"] += 1
            return
        if line[0] == 35:  # '#': comment lines in recordings
            counters["comment_lines"] += 1
            return
        try:
            if 92 in line and (b"\\x0d" in line or b"\\r\\n" in line):
                # recordings that carry escaped line endings as text ("...*47\x0d\x0a")
                for part in line.replace(b"\\x0d\\x0a", b"\n").replace(b"\\r\\n", b"\n").split(b"\n"):
                    if part.strip():
                        self._feed(part.strip(), receipt_ms, out, peer)
                return
            self._feed(line, receipt_ms, out, peer)
        except Exception as exc:  # never crash a worker: count and route
            self._reject(out, "unexpected_error", line, None, f"{type(exc).__name__}: {exc}")

    def flush(self, out: list[Output]) -> None:
        """End of input: fragments still waiting become ``orphan_fragment`` rejects."""
        pieces = self._pieces
        pieces.clear()
        self._reassembler.flush(pieces)
        self._drain(out)

    # -- internals ----------------------------------------------------------------------------------------
    def _fast(self, line: bytes, receipt_ms: int, out: list[Output]) -> bool:
        """The hot shape (see :mod:`msa.ais.fastline`); False: take the general path."""
        if not line:
            return False
        c0 = line[0]
        if c0 == 92:  # '\\' tag block
            end = line.find(b"\\", 1)
            if end < 0:
                return False
            tag_raw = line[1:end]
            info = self._fast_tags.get(tag_raw)
            if info is None:
                info = self._fast_tag(tag_raw)
            if info is _NOT_FAST:
                return False
            text = line[end + 1:]
            if info is _UNVERIFIED:
                if self._wrapper_ms is not None:
                    return False
                time_ms, ts, source = receipt_ms, format_ts(receipt_ms), self.source
                time_source = "receipt"
                tag_ok = False
            else:
                time_ms, ts, source = info
                if time_ms > self._bounds.not_after_ms:
                    return False  # perhaps in the future: the general path checks it against the clock
                time_source = "tag_block"
                tag_ok = True
        elif c0 == 33 and self._wrapper_ms is None:  # '!' without tag block nor pending $PGHP time
            time_ms, ts, source, tag_ok = receipt_ms, format_ts(receipt_ms), self.source, True
            time_source = "receipt"
            text = line
        else:
            return False
        m = _SENTENCE(text)
        if m is None or nmea_checksum(text[1:-3]) != int(m[3], 16):
            return False
        payload = m[2]
        v = payload_int(payload)
        if (v >> 162) not in FAST_TYPES:
            return False
        if not MMSI_MIN <= (v >> 130) & 0x3FFFFFFF <= MMSI_MAX:
            return False  # the general path rejects it (after its own dedup bookkeeping)
        self._wrapper_ms = None
        counters = self._counters
        if not tag_ok:
            counters["tag_block_bad_checksum"] += 1
        if self._dedup is not None and self._dedup.is_duplicate(payload + b"0", time_ms):
            counters["lines"] += 1
            counters["sentences"] += 1
            counters["messages"] += 1
            counters["duplicates"] += 1
            return True
        encoded = position_json(v, ts, source, time_source)
        if encoded is None:
            return False
        self._fast_n += 1
        out.append(Encoded("position", b"%d" % encoded[0], encoded[1], time_ms))
        return True

    def _fast_tag(self, tag_raw: bytes) -> _TagInfo:
        try:
            tag = parse_tag_block(tag_raw)
        except NmeaError:
            info = _NOT_FAST
        else:
            if not tag.checksum_ok:
                info = _UNVERIFIED
            elif tag.time_ms is None or tag.time_ms < EARLIEST_EVENT_MS:
                info = _NOT_FAST
            else:
                info = (tag.time_ms, format_ts(tag.time_ms), tag.station or self.source)
        if len(self._fast_tags) >= 1024:
            self._fast_tags.clear()
        self._fast_tags[tag_raw] = info
        return info

    def _reject(self, out: list[Output], reason: str, raw: bytes | str, ts_ms: int | None,
                detail: str = "") -> None:
        self._counters["rejects"] += 1
        self._counters[f"reject.{reason}"] += 1
        text = raw if isinstance(raw, str) else raw.decode("ascii", "backslashreplace")
        out.append(Reject(reason, text, self.source, ts_ms, detail))

    def _feed(self, line: bytes, receipt_ms: int, out: list[Output], peer: str) -> None:
        try:
            pairs = split_line(line)
        except NmeaError as e:
            self._reject(out, e.reason, line, None, e.detail)
            return
        for tag_raw, text in pairs:
            unverified = False
            try:
                if tag_raw is None:
                    tag = None
                else:
                    tag = self._tags.get(tag_raw)
                    if tag is None:
                        tag = parse_tag_block(tag_raw)
                        if len(self._tags) >= 1024:
                            self._tags.clear()
                        self._tags[tag_raw] = tag
                    if not tag.checksum_ok:  # nothing in it can be trusted: read the line without it
                        unverified = True
                        tag = None
                    elif tag.checksum_without_group:
                        self._counters["tag_block_checksum_without_group"] += 1
                s = parse_sentence(text, tag)
            except NmeaError as e:
                self._reject(out, e.reason, _pair_raw(line, pairs, tag_raw, text), None, e.detail)
                continue
            if unverified:
                self._counters["tag_block_bad_checksum"] += 1
            if isinstance(s, Gatehouse):
                self._counters["gatehouse"] += 1
                self._wrapper_ms = s.time_ms
                continue
            self._counters["sentences"] += 1
            if tag is not None and tag.time_ms is not None:
                ts_ms, ts_src = tag.time_ms, TimeSource.TAG_BLOCK
            elif self._wrapper_ms is not None:
                ts_ms, ts_src = self._wrapper_ms, TimeSource.WRAPPER
            elif s.trailer_ms is not None:
                ts_ms, ts_src = s.trailer_ms, TimeSource.WRAPPER
            else:
                ts_ms, ts_src = receipt_ms, TimeSource.RECEIPT
            if s.frag_num == s.frag_count:
                self._wrapper_ms = None  # a $PGHP time belongs to the one message that follows it
            if s.formatter == "VDO":  # the station's own vessel: no record can say so (see docs/ingest.md)
                self._reject(out, "own_ship", _pair_raw(line, pairs, tag_raw, text), ts_ms,
                             f"{s.talker}VDO: the receiving station's own transmission, not heard over the air")
                continue
            if ts_src is not _RECEIPT and not EARLIEST_EVENT_MS <= ts_ms <= self._bounds.not_after_ms:
                implausible = self._bounds.check(ts_ms)
                if implausible is not None:
                    self._reject(out, implausible[0], _pair_raw(line, pairs, tag_raw, text), ts_ms,
                                 f"{ts_src} time {implausible[1]}")
                    continue
            if s.frag_count == 1:
                station = tag.station if tag is not None else None
                self._decode(s.payload, s.fill_bits, ts_ms, ts_src, station, s.raw, out)
            else:
                self._reassembler.add(Fragment(s, ts_ms, ts_src), peer, self._pieces)
                self._drain(out)

    def _drain(self, out: list[Output]) -> None:
        pieces = self._pieces
        for piece in pieces:
            if isinstance(piece, Orphans):
                for f in piece.fragments:
                    self._reject(out, "orphan_fragment", f.sentence.raw, f.time_ms, piece.detail)
            else:
                self._message(piece, out)
        pieces.clear()

    def _message(self, m: Assembled, out: list[Output]) -> None:
        """A reassembled multi-sentence message: time from the best-timed fragment, station from the first."""
        frags = m.fragments
        best = frags[0]
        for f in frags:
            if _RANK[f.time_source] < _RANK[best.time_source]:
                best = f
        station = None
        for f in frags:
            tag = f.sentence.tag
            if tag is not None and tag.station:
                station = tag.station
                break
        self._decode(m.payload, m.fill_bits, best.time_ms, best.time_source, station, _raw(m), out)

    def _decode(self, payload: bytes, fill: int, ts_ms: int, time_source: TimeSource, station: str | None,
                raw: bytes, out: list[Output]) -> None:
        counters = self._counters
        counters["messages"] += 1
        if self._dedup is not None and self._dedup.is_duplicate(payload + _FILL[fill], ts_ms):
            counters["duplicates"] += 1
            return
        source = station or self.source
        try:
            bv = bit_vector(payload, fill)
            if len(bv) == 168:
                v = bv._value
                if (v >> 162) in FAST_TYPES:
                    out.append(fast_position(v, ts_ms, source, time_source))
                    counters["position"] += 1
                    return
            mid = bv.get(0, 6)
            cls: Any = MSG_CLASS.get(mid) if mid else None
            if cls is None:
                self._reject(out, "unknown_message_type", raw, ts_ms, f"type {mid}")
                return
            records = normalise(cls.from_vector(bv), len(bv), ts_ms, source, time_source)
        except NormaliseError as e:
            self._reject(out, e.reason, raw, ts_ms, e.detail)
            return
        except UnknownPartNoException as e:
            self._reject(out, "type24_bad_part", raw, ts_ms, str(e))
            return
        except (ValueError, TypeError, IndexError, KeyError) as e:
            self._reject(out, "decode_error", raw, ts_ms, f"{type(e).__name__}: {e}")
            return
        for rec in records:
            counters[_KIND[type(rec)]] += 1
            out.append(rec)


def _pair_raw(line: bytes, pairs: list[tuple[bytes | None, bytes]], tag_raw: bytes | None, text: bytes) -> bytes:
    """The raw text of one (tag block, sentence) pair of a line: the whole line when it holds only that."""
    if len(pairs) == 1:
        return line
    return text if tag_raw is None else b"\\" + tag_raw + b"\\" + text


def _raw(m: Assembled) -> bytes:
    if len(m.fragments) == 1:
        return m.fragments[0].sentence.raw
    return b"\n".join(f.sentence.raw for f in m.fragments)
