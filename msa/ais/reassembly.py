"""Multi-sentence AIS messages joined per sender, station, group, channel and sequence id.

Rules, chosen so that fragments of two different messages are never joined:

* fragments are kept per key ``(stream, station, group id, channel, sequence id)``: ``stream`` is the
  sender on a shared input (a UDP datagram's address, a TCP connection; ``""`` for a file), ``station`` the
  tag block's ``s:`` (``""`` without one), ``group id`` the tag block's ``g:`` id (``""`` without one).
  Receivers number their sequence and group ids independently (Kystverket writes ``g:…-9999`` on every
  group), so two stations' fragments with the same ids are two messages;
* a tag-block group's later lines often carry only ``g:`` (NMEA 4 allows it): such a fragment takes the
  station of the one pending group of that stream with the same group id, channel and sequence id that
  still lacks its fragment number. If several stations hold such a group, which one sent it cannot be
  known: it is rejected at once (``orphan_fragment``), never guessed;
* a fragment whose number is already held, or whose fragment count differs from the held ones, means a
  new message started on that key: the held fragments are rejected as ``orphan_fragment``;
* held fragments older than ``timeout_ms`` (event time) are rejected as ``orphan_fragment``;
* at most ``max_pending`` keys are held (bounded memory): the oldest is evicted and rejected.

Fragments may arrive in any order. A message is emitted once all of its fragments are held.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple

from msa.ais.nmea import Sentence
from msa.domain import TimeSource

__all__ = ["Assembled", "Fragment", "Orphans", "Reassembler"]

DEFAULT_TIMEOUT_MS = 10_000
DEFAULT_MAX_PENDING = 10_000

_Key = tuple[str, str, str, str, str]  # stream, station, group id, channel, sequence id
_GroupKey = tuple[str, str, str, str]  # the same without the station


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

    def lacks(self, s: Sentence) -> bool:
        """True when ``s`` can be one of this message's missing fragments."""
        return self.count == s.frag_count and s.frag_num not in self.parts


class Reassembler:
    def __init__(self, timeout_ms: int = DEFAULT_TIMEOUT_MS, max_pending: int = DEFAULT_MAX_PENDING) -> None:
        self.timeout_ms = timeout_ms
        self.max_pending = max_pending
        self._pending: OrderedDict[_Key, _Pending] = OrderedDict()
        self._stations: dict[_GroupKey, list[str]] = {}  # which stations hold a pending tag-block group

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, f: Fragment, stream: str, out: list[Assembled | Orphans]) -> None:
        """Offer one fragment received from ``stream`` (the sender); completed messages and orphans go to ``out``."""
        s = f.sentence
        if s.frag_count == 1:
            out.append(Assembled(s.payload, s.fill_bits, (f,)))
            return
        time_ms = f.time_ms
        tag = s.tag
        station = ""
        group = ""
        if tag is not None:
            station = tag.station or ""
            if tag.group is not None:
                group = tag.group[2]
        self.expire(time_ms, out)
        if group and not station:
            holders = self._stations.get((stream, group, s.channel, s.seq_id))
            if holders:
                fits = [h for h in holders if self._pending[(stream, h, group, s.channel, s.seq_id)].lacks(s)]
                if len(fits) > 1:
                    names = ", ".join(sorted(h or "(no station)" for h in fits))
                    out.append(Orphans((f,), f"group {group} without s: fits groups pending for {names}: "
                                             "cannot tell which station sent it"))
                    return
                if fits:
                    station = fits[0]
        key = (stream, station, group, s.channel, s.seq_id)
        pending = self._pending.get(key)
        if pending is not None and not pending.lacks(s):
            self._remove(key)
            out.append(Orphans(_ordered(pending), "superseded by a new message on the same key"))
            pending = None
        if pending is None:
            if len(self._pending) >= self.max_pending:
                oldest = self._remove(next(iter(self._pending)))
                out.append(Orphans(_ordered(oldest), "evicted: too many incomplete messages"))
            pending = _Pending(s.frag_count, time_ms)
            self._pending[key] = pending
            if group:
                self._stations.setdefault((stream, group, s.channel, s.seq_id), []).append(station)
        pending.parts[s.frag_num] = f
        if len(pending.parts) == pending.count:
            self._remove(key)
            frags = _ordered(pending)
            out.append(Assembled(b"".join(x.sentence.payload for x in frags), frags[-1].sentence.fill_bits,
                                 frags))

    def expire(self, now_ms: int, out: list[Assembled | Orphans]) -> None:
        """Reject held fragments whose first fragment is older than the timeout."""
        if not self._pending:
            return
        limit = now_ms - self.timeout_ms
        stale: list[_Key] = []
        for k, p in self._pending.items():  # insertion order ~ event order: stop at the first fresh one
            if p.first_ms >= limit:
                break
            stale.append(k)
        for k in stale:
            out.append(Orphans(_ordered(self._remove(k)), f"incomplete after {self.timeout_ms} ms"))

    def flush(self, out: list[Assembled | Orphans]) -> None:
        """End of stream: everything still held is an orphan."""
        for p in self._pending.values():
            out.append(Orphans(_ordered(p), "incomplete at end of stream"))
        self._pending.clear()
        self._stations.clear()

    def _remove(self, key: _Key) -> _Pending:
        pending = self._pending.pop(key)
        stream, station, group, channel, seq = key
        if group:
            gkey = (stream, group, channel, seq)
            holders = self._stations[gkey]
            holders.remove(station)
            if not holders:
                del self._stations[gkey]
        return pending


def _ordered(p: _Pending) -> tuple[Fragment, ...]:
    return tuple(p.parts[k] for k in sorted(p.parts))
