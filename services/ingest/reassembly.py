"""Multi-sentence AIS messages joined per (source, channel, sequence id) or per tag-block group.

Rules, chosen so that fragments of two different messages are never joined:

* fragments are kept per key; a key is ``("g", stream, group id)`` for NMEA 4 tag-block groups, else
  ``(station or stream, channel, sequence id)``;
* a fragment whose number is already held, or whose fragment count differs from the held ones, means a
  new message started on that key: the held fragments are rejected as ``orphan_fragment``;
* held fragments older than ``timeout_ms`` (event time) are rejected as ``orphan_fragment``;
* at most ``max_pending`` keys are held (bounded memory): the oldest is evicted and rejected.

Fragments may arrive in any order. A message is emitted once all of its fragments are held.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple

from msa.domain import TimeSource
from services.ingest.nmea import Sentence

__all__ = ["Assembled", "Fragment", "Orphans", "Reassembler"]

DEFAULT_TIMEOUT_MS = 10_000
DEFAULT_MAX_PENDING = 10_000


class Fragment(NamedTuple):
    sentence: Sentence
    time_ms: int  # event time resolved for this sentence
    time_source: TimeSource


class Assembled(NamedTuple):
    payload: bytes
    fill_bits: int
    fragments: tuple[Fragment, ...]  # in fragment order


class Orphans(NamedTuple):
    fragments: tuple[Fragment, ...]
    detail: str


class _Pending:
    __slots__ = ("count", "first_ms", "parts")

    def __init__(self, count: int, first_ms: int) -> None:
        self.count = count
        self.first_ms = first_ms
        self.parts: dict[int, Fragment] = {}


class Reassembler:
    def __init__(self, timeout_ms: int = DEFAULT_TIMEOUT_MS, max_pending: int = DEFAULT_MAX_PENDING) -> None:
        self.timeout_ms = timeout_ms
        self.max_pending = max_pending
        self._pending: OrderedDict[tuple[str, str, str], _Pending] = OrderedDict()

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, f: Fragment, stream: str, out: list[Assembled | Orphans]) -> None:
        """Offer one fragment; completed messages and orphans go to ``out``."""
        s = f.sentence
        if s.frag_count == 1:
            out.append(Assembled(s.payload, s.fill_bits, (f,)))
            return
        time_ms = f.time_ms
        tag = s.tag
        if tag is not None and tag.group is not None:
            key = ("g", stream, tag.group[2])
        else:
            station = tag.station if tag is not None and tag.station else stream
            key = (station, s.channel, s.seq_id)
        self.expire(time_ms, out)
        pending = self._pending.get(key)
        if pending is not None and (pending.count != s.frag_count or s.frag_num in pending.parts):
            del self._pending[key]
            out.append(Orphans(_ordered(pending), "superseded by a new message on the same key"))
            pending = None
        if pending is None:
            if len(self._pending) >= self.max_pending:
                _, oldest = self._pending.popitem(last=False)
                out.append(Orphans(_ordered(oldest), "evicted: too many incomplete messages"))
            pending = _Pending(s.frag_count, time_ms)
            self._pending[key] = pending
        pending.parts[s.frag_num] = f
        if len(pending.parts) == pending.count:
            del self._pending[key]
            frags = _ordered(pending)
            out.append(Assembled(b"".join(x.sentence.payload for x in frags), frags[-1].sentence.fill_bits,
                                 frags))

    def expire(self, now_ms: int, out: list[Assembled | Orphans]) -> None:
        """Reject held fragments whose first fragment is older than the timeout."""
        if not self._pending:
            return
        limit = now_ms - self.timeout_ms
        stale: list[tuple[str, str, str]] = []
        for k, p in self._pending.items():  # insertion order ~ event order: stop at the first fresh one
            if p.first_ms >= limit:
                break
            stale.append(k)
        for k in stale:
            p = self._pending.pop(k)
            out.append(Orphans(_ordered(p), f"incomplete after {self.timeout_ms} ms"))

    def flush(self, out: list[Assembled | Orphans]) -> None:
        """End of stream: everything still held is an orphan."""
        for p in self._pending.values():
            out.append(Orphans(_ordered(p), "incomplete at end of stream"))
        self._pending.clear()


def _ordered(p: _Pending) -> tuple[Fragment, ...]:
    return tuple(p.parts[k] for k in sorted(p.parts))
