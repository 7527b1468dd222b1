"""Coverage exchange between vessel units: a dark period judged by a unit that does not see the vessels
around the silent one gives the same alert as offline once the units exchange coverage summaries."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from msa.domain import Alert, PositionReport
from services.detect.coverage import MAX_PER_BUCKET, CoverageGrid
from services.detect.offline import final_alerts
from services.detect.stream.coverage_exchange import (
    CoverageBook,
    CoverageOut,
    CoverageSummary,
    decode_summary,
    encode_summary,
)
from services.detect.stream.engines import EngineSettings
from services.detect.stream.units import POS, Outbox, VesselUnit
from tests.unit.detect.builders import ALBORAN, run, track

V = 224100001


def scenario() -> tuple[list[PositionReport], list[PositionReport]]:
    """A vessel silent 2 h in the Strait (unit p0), three vessels heard around it all along (unit p1)."""
    lat, lon = ALBORAN
    silent = track(V, 0, 1800, 10, lat, lon, sog_kn=1.0) + track(V, 9000, 9600, 10, lat + 0.045, lon, sog_kn=1.0)
    others: list[PositionReport] = []
    for i in range(3):
        others += track(224200001 + i, 0, 10_000, 60, lat + 0.03 * (i + 1), lon + 0.02, sog_kn=0.5)
    return silent, sorted(others, key=lambda r: (r.ts_ms, r.mmsi))


def stream(parts: list[list[PositionReport]], exchange: bool, seed: int) -> list[Alert]:
    """Each part through its own vessel unit, fed in random chunks; summaries delivered between steps."""
    factory = EngineSettings().factory()
    units = [VesselUnit(i, factory, 6, 60_000) for i in range(len(parts))]
    book = CoverageBook([u.src for u in units])
    for u in units:
        u.add_source(POS, 0)
    rng = random.Random(seed)
    cursors = [0] * len(parts)
    versions: list[Alert] = []

    def rounds(idle: bool) -> None:
        for _ in range(200):
            moved = False
            for u in units:
                if idle:
                    u.merger.set_idle(POS, True)
                out = Outbox()
                u.step(out, complete_ms=book.complete_for(u.src) if exchange else None)
                versions.extend(out.alerts)
                for msg in out.exchange:
                    if not isinstance(msg, CoverageSummary):
                        continue
                    moved = True
                    if exchange:
                        summary = decode_summary(encode_summary(msg))
                        book.add(summary)
                        for other in units:
                            other.add_coverage(summary)
            if not moved:
                return

    while any(c < len(p) for c, p in zip(cursors, parts, strict=True)):
        for i, (u, part) in enumerate(zip(units, parts, strict=True)):
            n = rng.randint(1, 400)
            for r in part[cursors[i]:cursors[i] + n]:
                u.push(POS, r.ts_ms, cursors[i], r)
                cursors[i] += 1
        rounds(idle=False)
    rounds(idle=True)
    return final_alerts(versions)


def dark(alerts: list[Alert]) -> list[Alert]:
    return [a for a in alerts if a.kind == "dark_period"]


def test_split_units_exchanging_coverage_alert_like_offline() -> None:
    silent, others = scenario()
    want = dark(run(silent + others))
    assert len(want) == 1 and want[0].evidence["coverage"]["other_vessels"] == 3
    for seed in range(3):
        assert dark(stream([silent, others], exchange=True, seed=seed)) == want


def test_without_the_exchange_the_unit_sees_a_coverage_gap() -> None:
    silent, others = scenario()
    assert dark(stream([silent, others], exchange=False, seed=0)) == []


def test_summary_wire_round_trip_and_only_complete_buckets() -> None:
    out = CoverageOut("p1", 600_000)
    out.add([(1, 2, 10, 5), (1, 2, 10, 3), (1, 2, 11, 7)])
    s = out.summary(11 * 600_000 + 5, idle=False)
    assert s is not None and s.done_ms == 11 * 600_000
    assert s.cells == ((1, 2, 10, (3, 5)),)  # bucket 11 is still in progress
    assert decode_summary(encode_summary(s)) == s
    assert out.summary(11 * 600_000 + 9, idle=False) is None  # nothing new
    last = out.summary(11 * 600_000 + 9, idle=True)
    assert last is not None and last.idle and last.cells == ((1, 2, 11, (7,)),)


def test_book_waits_for_active_sources_only() -> None:
    book = CoverageBook(["p0", "p1", "p2"])
    out1, out2 = CoverageOut("p1", 600_000), CoverageOut("p2", 600_000)
    assert book.complete_for("p0") == -(2**62)  # nothing heard from p1, p2 yet
    for out, t, idle in ((out1, 6_000_000, False), (out2, 1_200_000, False)):
        s = out.summary(t, idle)
        assert s is not None
        book.add(s)
    assert book.complete_for("p0") == 1_200_000
    s = out2.summary(1_200_000, idle=True)
    assert s is not None
    book.add(s)
    assert book.complete_for("p0") == 6_000_000
    assert book.complete_for("p1") == -(2**62)  # p0 never published: p1 waits for it (p2 is idle)
    assert CoverageBook(["p1", "p2"]).complete_for("p2") == -(2**62)
    book.add(CoverageOut("p0", 600_000).summary(0, idle=True))  # type: ignore[arg-type]
    assert book.complete_for("p1") is None  # every other unit idle: no limit


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=30), st.randoms())
def test_a_coverage_bucket_does_not_depend_on_insertion_order(mmsis: list[int], rnd: random.Random) -> None:
    a, b = CoverageGrid(), CoverageGrid()
    for m in mmsis:
        a.heard(m, 0, 1.0, 1.0)
    shuffled = list(mmsis)
    rnd.shuffle(shuffled)
    half = len(shuffled) // 2
    b.add((5, 5), 0, shuffled[:half])
    b.add((5, 5), 0, shuffled[half:])
    b.add((5, 5), 0, shuffled)  # idempotent
    want = set(sorted(set(mmsis))[:MAX_PER_BUCKET])
    assert a._cells[(5, 5)][0] == want == b._cells[(5, 5)][0]
