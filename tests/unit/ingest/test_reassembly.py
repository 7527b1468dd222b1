"""Multi-sentence reassembly: joins, orphans, timeouts, and the property that no wrong message is ever built."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from msa.ais.nmea import Sentence, TagBlock
from msa.ais.reassembly import Assembled, Fragment, Orphans, Reassembler
from msa.domain import TimeSource


def frag(num: int, count: int, seq: str, payload: bytes, *, channel: str = "A", t_ms: int = 0,
         group: tuple[int, int, str] | None = None, station: str | None = None, fill: int = 0) -> Fragment:
    tag = TagBlock(None, station, group, True) if group or station else None
    s = Sentence("AI", "VDM", count, num, seq, channel, payload, fill, b"raw", tag, None)
    return Fragment(s, t_ms, TimeSource.RECEIPT)


def feed(r: Reassembler, frags: list[Fragment]) -> list[Assembled | Orphans]:
    out: list[Assembled | Orphans] = []
    for f in frags:
        r.add(f, "stream", out)
    return out


def test_two_parts_in_order_and_reversed() -> None:
    for order in ([1, 2], [2, 1]):
        parts = {1: frag(1, 2, "3", b"AAA"), 2: frag(2, 2, "3", b"BB", fill=2)}
        out = feed(Reassembler(), [parts[i] for i in order])
        assert len(out) == 1 and isinstance(out[0], Assembled)
        assert out[0].payload == b"AAABB" and out[0].fill_bits == 2


def test_same_fragment_number_again_starts_a_new_message() -> None:
    r = Reassembler()
    out = feed(r, [frag(1, 2, "3", b"OLD"), frag(1, 2, "3", b"NEW"), frag(2, 2, "3", b"END")])
    assert isinstance(out[0], Orphans) and out[0].fragments[0].sentence.payload == b"OLD"
    assert isinstance(out[1], Assembled) and out[1].payload == b"NEWEND"


def test_different_channels_and_stations_never_mix() -> None:
    r = Reassembler()
    out = feed(r, [frag(1, 2, "3", b"A1", channel="A"), frag(2, 2, "3", b"B2", channel="B"),
                   frag(1, 2, "3", b"S1", station="rX"), frag(2, 2, "3", b"A2", channel="A")])
    assert [o.payload for o in out if isinstance(o, Assembled)] == [b"A1A2"]
    assert len(r) == 2


def test_tag_block_group_key() -> None:
    # ee-multiline: continuation line carries only g:, no station
    r = Reassembler()
    out = feed(r, [frag(1, 2, "3", b"P1", group=(1, 2, "1278"), station="66"),
                   frag(2, 2, "3", b"P2", group=(2, 2, "1278"))])
    assert [o.payload for o in out if isinstance(o, Assembled)] == [b"P1P2"]


def test_two_stations_sharing_a_group_id_never_mix() -> None:
    """Receivers number their groups independently (Kystverket writes g:…-9999 on every group): the same group
    id from two stations on one feed is two messages."""
    r = Reassembler()
    out = feed(r, [frag(1, 2, "3", b"A1", group=(1, 2, "77"), station="rA"),
                   frag(1, 2, "3", b"B1", group=(1, 2, "77"), station="rB"),
                   frag(2, 2, "3", b"A2", group=(2, 2, "77"), station="rA"),
                   frag(2, 2, "3", b"B2", group=(2, 2, "77"), station="rB")])
    assert [o.payload for o in out if isinstance(o, Assembled)] == [b"A1A2", b"B1B2"]
    assert not any(isinstance(o, Orphans) for o in out) and len(r) == 0


def test_group_continuation_without_station_joins_the_one_group_it_fits() -> None:
    r = Reassembler()
    out = feed(r, [frag(1, 2, "3", b"A1", group=(1, 2, "77"), station="rA"),
                   frag(1, 2, "4", b"B1", group=(1, 2, "77"), station="rB"),  # same group id, other sequence id
                   frag(2, 2, "3", b"A2", group=(2, 2, "77"))])
    assert [o.payload for o in out if isinstance(o, Assembled)] == [b"A1A2"]


def test_group_continuation_without_station_that_fits_two_stations_is_rejected() -> None:
    """Which of the two stations sent it cannot be known: joining either could make a message of two ships."""
    r = Reassembler()
    out = feed(r, [frag(1, 2, "3", b"A1", group=(1, 2, "77"), station="rA"),
                   frag(1, 2, "3", b"B1", group=(1, 2, "77"), station="rB"),
                   frag(2, 2, "3", b"X2", group=(2, 2, "77"))])
    assert not any(isinstance(o, Assembled) for o in out)
    assert len(out) == 1 and isinstance(out[0], Orphans) and out[0].fragments[0].sentence.payload == b"X2"
    assert "rA" in out[0].detail and "rB" in out[0].detail
    flushed: list[Assembled | Orphans] = []
    r.flush(flushed)
    assert sorted(f.sentence.payload for o in flushed for f in o.fragments) == [b"A1", b"B1"]


def test_two_senders_on_one_stream_never_mix() -> None:
    """Two receivers sending plain sentences (no tag block) to one UDP port: the sender is part of the key."""
    r = Reassembler()
    out: list[Assembled | Orphans] = []
    for f, peer in [(frag(1, 2, "3", b"X1"), "10.0.0.1:4001"), (frag(1, 2, "3", b"Y1"), "10.0.0.2:4001"),
                    (frag(2, 2, "3", b"X2"), "10.0.0.1:4001"), (frag(2, 2, "3", b"Y2"), "10.0.0.2:4001")]:
        r.add(f, peer, out)
    assert [o.payload for o in out if isinstance(o, Assembled)] == [b"X1X2", b"Y1Y2"]


def test_timeout_makes_orphans() -> None:
    r = Reassembler(timeout_ms=10_000)
    out = feed(r, [frag(1, 2, "1", b"X", t_ms=0), frag(1, 2, "2", b"Y", t_ms=20_000)])
    assert len(out) == 1 and isinstance(out[0], Orphans) and "incomplete" in out[0].detail
    assert len(r) == 1


def test_memory_is_bounded() -> None:
    r = Reassembler(max_pending=5)
    out = feed(r, [frag(1, 2, str(i % 10), b"X", channel=f"C{i}") for i in range(8)])
    assert len(r) == 5 and sum(isinstance(o, Orphans) for o in out) == 3


def test_flush_rejects_leftovers() -> None:
    r = Reassembler()
    feed(r, [frag(1, 3, "1", b"X"), frag(3, 3, "1", b"Z")])
    out: list[Assembled | Orphans] = []
    r.flush(out)
    assert len(out) == 1 and [f.sentence.frag_num for f in out[0].fragments] == [1, 3] and len(r) == 0


@st.composite
def message_sets(draw: st.DrawFn) -> tuple[list[list[Fragment]], list[Fragment]]:
    """Messages with distinct (channel, seq) keys, each split into 1–5 fragments; then loss and shuffling."""
    n = draw(st.integers(1, 12))
    keys = draw(st.lists(st.tuples(st.sampled_from("AB12"), st.sampled_from("0123456789")),
                         min_size=n, max_size=n, unique=True))
    messages = []
    for i, (channel, seq) in enumerate(keys):
        count = draw(st.integers(1, 5))
        messages.append([frag(k, count, seq, f"m{i}f{k};".encode(), channel=channel) for k in range(1, count + 1)])
    stream = [f for m in messages for f in m if draw(st.booleans()) or draw(st.booleans())]  # ~25 % loss
    stream = draw(st.permutations(stream))
    return messages, stream


@settings(max_examples=300, deadline=None)
@given(message_sets())
def test_shuffling_and_loss_never_yield_a_wrong_message(data: tuple[list[list[Fragment]], list[Fragment]]) -> None:
    messages, stream = data
    originals = {b"".join(f.sentence.payload for f in m): m for m in messages}
    flushed: list[Assembled | Orphans] = []
    r = Reassembler()
    out = feed(r, stream)
    r.flush(flushed)
    assembled = [o for o in out if isinstance(o, Assembled)]
    for a in assembled:
        assert a.payload in originals  # exactly one original message, never a mix
    received = set(map(id, stream))
    complete = [p for p, m in originals.items() if all(id(f) in received for f in m)]
    assert sorted(a.payload for a in assembled) == sorted(complete)  # and every complete one is built
    orphan_count = sum(len(o.fragments) for o in out + flushed if isinstance(o, Orphans))
    assert orphan_count + sum(len(a.fragments) for a in assembled) == len(stream)  # nothing lost silently


@st.composite
def station_message_sets(draw: st.DrawFn) -> tuple[list[list[Fragment]], list[Fragment]]:
    """Messages of up to four stations on one feed that reuse the same few sequence and group ids (each
    fragment carries its station, as NMEA 4 tag blocks do); then loss and shuffling."""
    n = draw(st.integers(1, 10))
    keys = draw(st.lists(st.tuples(st.sampled_from(["rA", "rB", "rC", "rD"]), st.sampled_from("AB"),
                                   st.sampled_from("12"), st.booleans()), min_size=n, max_size=n,
                         unique_by=lambda k: k[:3]))
    messages = []
    for i, (station, channel, seq, grouped) in enumerate(keys):
        count = draw(st.integers(2, 4))
        messages.append([frag(k, count, seq, f"m{i}f{k};".encode(), channel=channel, station=station,
                              group=(k, count, "9999") if grouped else None) for k in range(1, count + 1)])
    stream = [f for m in messages for f in m if draw(st.booleans()) or draw(st.booleans())]
    stream = draw(st.permutations(stream))
    return messages, stream


@settings(max_examples=300, deadline=None)
@given(station_message_sets())
def test_stations_sharing_ids_never_yield_a_wrong_message(
        data: tuple[list[list[Fragment]], list[Fragment]]) -> None:
    messages, stream = data
    originals = {b"".join(f.sentence.payload for f in m) for m in messages}
    r = Reassembler()
    out = feed(r, stream)
    r.flush(out)
    assembled = [o for o in out if isinstance(o, Assembled)]
    assert all(a.payload in originals for a in assembled)
    received = set(map(id, stream))
    complete = [m for m in messages if all(id(f) in received for f in m)]
    assert len(assembled) == len(complete)
    assert sum(len(o.fragments) for o in out if isinstance(o, Orphans)) + \
        sum(len(a.fragments) for a in assembled) == len(stream)
