"""The encoded fast path (``Decoder(encoded=True)``) gives byte-for-byte what the object path + codec give.

Compared as the publisher sees them: every output as (kind, key, JSON value) — ``Encoded`` as is, a record
through ``dumps(record_to_dict(...))`` — and rejects as they are, and the counters, which must agree too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from msa.ais.bits import armour
from msa.ais.decoder import Decoder, Output
from msa.ais.fastline import Encoded
from msa.ais.nmea import nmea_checksum
from msa.contracts.codec import dumps, record_to_dict
from msa.domain import Reject
from msa.formats.recordings import iter_file_lines
from tests.unit.ingest.builders import RECEIPT_MS, TYPE1, TYPE5_1, TYPE5_2

WALL_MS = 1_767_225_600_000  # 2026-01-01: a fixed wall clock, so that time_in_future details compare equal

DEMO = Path(__file__).resolve().parents[3] / "services" / "ingest" / "demo" / "demo.nmea"


def wire(out: list[Output]) -> list[object]:
    rows: list[object] = []
    for item in out:
        if isinstance(item, Encoded):
            rows.append((item.kind, item.key, item.value, item.ts_ms))
        elif isinstance(item, Reject):
            rows.append(item)
        else:
            d = record_to_dict(item)
            rows.append((d["kind"], b"%d" % item.mmsi, dumps(d), item.ts_ms))  # type: ignore[union-attr]
    return rows


def both(lines: list[bytes], source: str = "src", dedup: bool = True) -> tuple[list[object], list[object]]:
    results = []
    for encoded in (False, True):
        d = Decoder(source, encoded=encoded, dedup_window_ms=30_000 if dedup else None, clock=lambda: WALL_MS)
        out: list[Output] = []
        for line in lines:
            d.feed(line, RECEIPT_MS, out)
        d.flush(out)
        results.append((wire(out), +d.counters))
    (slow, slow_counts), (fast, fast_counts) = results
    assert fast_counts == slow_counts
    return slow, fast


def sentence(payload: str, fill: int = 0, talker: str = "AI", channel: str = "A") -> bytes:
    body = f"{talker}VDM,1,1,,{channel},{payload},{fill}"
    return f"!{body}*{nmea_checksum(body.encode()):02X}".encode()


def tag(fields: str, text: bytes) -> bytes:
    return f"\\{fields}*{nmea_checksum(fields.encode()):02X}\\".encode() + text


@settings(max_examples=400, deadline=None)
@given(st.sampled_from([1, 2, 3, 18]), st.integers(0, (1 << 162) - 1), st.booleans(),
       st.sampled_from(["s:r1,c:1735689600", "c:1735689600123", "s:rX,c:1735689601", ""]))
def test_random_positions_encode_identically(msg_type: int, rest: int, tagged: bool, fields: str) -> None:
    """Any 168-bit type 1/2/3/18 payload (sentinels, invalid MMSIs, negative lat/lon, all of it)."""
    text = sentence(armour((msg_type << 162) | rest, 168)[0])
    line = tag(fields, text) if tagged and fields else text
    slow, fast = both([line, line])  # the second is a duplicate: dedup must agree too
    assert fast == slow and fast


P1 = "13HOI:0P0000VOHLCnHQKwvL05Ip"  # type 1, MMSI 227006760


def _body(body: str) -> bytes:
    return f"!{body}*{nmea_checksum(body.encode()):02X}".encode()


@pytest.mark.parametrize(("line", "fast_path"), [
    (TYPE1, True),  # plain, receipt time
    (_body(f"BSVDM,1,1,7,B,{P1},0"), True),  # other talker, sequence id, channel B
    (_body(f"AIVDO,1,1,,,{P1},0"), False),  # own ship, no channel: the general path rejects it (own_ship)
    (tag("s:r1,c:1735689600", _body(f"AIVDO,1,1,,A,{P1},0")), False),  # the same, tag-blocked
    (TYPE1[:-1] + b"4", False),  # bad checksum: the general path rejects it
    (b"\\s:r1,c:1735689600*00\\" + TYPE1, True),  # wrong tag-block checksum: ignored (receipt time), counted
    (b"\\g:1-2-5,c:1735689600*00\\" + TYPE1, True),  # the same with a group field in it
    (TYPE1 + b",1325394060", False),  # USCG trailing epoch: general path (wrapper time)
    (_body("AIVDM,1,1,,A,10000000000000000000000000000,0"), False),  # MMSI 0: invalid_mmsi
    (_body(f"A,VDM,1,1,,A,{P1},0"), False),  # comma in the talker: unsupported_sentence
    (_body(f"AIVDM,1,1,x,A,{P1},0"), False),  # bad sequence id
    (_body(f"AIVDM,1,1,,A,{P1[:-1]}!,0"), False),  # bad payload character
    (b"  " + TYPE1 + b"\r\n", False),  # whitespace around the line
    (TYPE1 + _body(f"AIVDM,1,1,,B,{P1},0"), False),  # two sentences on one line: both decoded
    (tag("s:r1,c:1735689600", TYPE1) + TYPE1[:-3], False),  # and a broken second one: its own reject
    (tag("s:r1,c:4070908800", TYPE1), False),  # 2099: time_in_future
    (tag("s:r1,c:935280000", TYPE1), False),  # 1999: time_too_old
])
def test_edge_lines_agree(line: bytes, fast_path: bool) -> None:
    slow, fast = both([line])
    assert fast == slow and fast
    out: list[Output] = []
    Decoder("src", encoded=True).feed(line, RECEIPT_MS, out)
    assert isinstance(out[0], Encoded) == fast_path


def test_gatehouse_time_applies_to_the_next_line_on_both_paths() -> None:
    pghp = b"$PGHP,1,2013,3,18,9,19,9,499,219,,2190048,1,28*23"
    slow, fast = both([pghp, TYPE1, TYPE1])
    assert fast == slow and len(fast) == 2  # the same payload at another time is not a duplicate


def test_fast_path_output_is_encoded_and_multipart_is_not() -> None:
    d = Decoder("s", encoded=True)
    out: list[Output] = []
    for line in (TYPE1, TYPE5_1, TYPE5_2):
        d.feed(line, RECEIPT_MS, out)
    assert [type(x).__name__ for x in out] == ["Encoded", "StaticVesselData"]
    assert d.counters["position"] == 1 and d.counters["lines"] == 3


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from([TYPE1, TYPE5_1, TYPE5_2]).flatmap(
    lambda line: st.integers(0, len(line) - 1).flatmap(
        lambda i: st.binary(min_size=1, max_size=3).map(lambda x: line[:i] + x + line[i + 1:]))), max_size=12))
def test_mutated_lines_agree(lines: list[bytes]) -> None:
    slow, fast = both(lines)
    assert fast == slow


def _nmea_files(shared: Path) -> list[Path]:
    return [p for p in sorted(shared.rglob("*")) if p.suffix in (".nmea", ".nm4", ".aivdm", ".txt", ".ais", ".gz")
            and p.name not in ("SOURCE.txt", "LICENSE.txt", "README.md") and "dma-aislib" not in str(p)]


def test_real_recordings_agree(shared_data: Path) -> None:
    """Every NMEA recording in ../shared/data and the bundled demo: identical wire output and counters."""
    files = [DEMO, *_nmea_files(shared_data)]
    n_fast = 0
    for path in files:
        lines = list(iter_file_lines(path))
        slow, fast = both(lines, source=path.name)
        assert fast == slow, path
        out: list[Output] = []
        d = Decoder(path.name, encoded=True)
        for line in lines:
            d.feed(line, RECEIPT_MS, out)
        n_fast += sum(isinstance(x, Encoded) for x in out)
    assert n_fast > 1000  # the comparison covered the fast path on real data
