"""Go-fast on the vessel's own clock (``fast_lane.py``): the alert comes with the report that completes the rule,
not a grace period later; the ordered track at the watermark confirms it (no extra version), revises it or
retracts it; the final alerts equal those of the engine without the lane."""

from __future__ import annotations

import random

from msa.contracts.codec import alert_to_dict
from msa.domain import Alert, AlertKind, AlertStatus, PositionReport, Record
from services.detect.engine import Engine
from services.detect.fast_lane import UNCONFIRMED
from services.detect.offline import final_alerts, record_sort_key
from services.detect.params import ParamSet
from tests.unit.detect.builders import ALBORAN, T0, ports, static, track, zones
from tests.unit.detect.scenario import mini_scenario

GRACE_S = 120.0
BOAT = 224777001


def engine(lane: bool = True, grace_s: float = GRACE_S) -> Engine:
    z = zones()
    return Engine(z, ports(), ParamSet.build(z), int(grace_s * 1000), provisional_go_fast=lane)


def feed(eng: Engine, records: list[Record]) -> list[tuple[int, Alert]]:
    """(index of the record whose ``process`` returned it, alert version), then the versions of ``finish``."""
    out = [(i, a) for i, r in enumerate(records) for a in eng.process(r)]
    return out + [(len(records), a) for a in eng.finish()]


def go_fast_run(t0: float = 600.0) -> list[PositionReport]:
    """35 kn for 10 min, one report every 10 s, then slow: one go-fast (min 3 fixes over 5 min)."""
    fast = track(BOAT, t0, t0 + 600, 10, *ALBORAN, sog_kn=35.0, cog_deg=90.0)
    last = fast[-1]
    assert last.lat is not None and last.lon is not None
    slow = track(BOAT, t0 + 610, t0 + 1200, 10, last.lat, last.lon, sog_kn=4.0, cog_deg=90.0)
    return fast + slow


def dicts(alerts: list[Alert]) -> list[dict[str, object]]:
    return [alert_to_dict(a) for a in alerts]


def test_the_alert_comes_with_the_report_that_completes_the_rule_not_a_grace_later() -> None:
    recs = go_fast_run()
    with_lane = feed(engine(), recs)
    (i_open, opened) = next((i, a) for i, a in with_lane if a.kind == AlertKind.GO_FAST)
    assert opened.status == AlertStatus.OPEN
    # the report that completes the rule: 5 min after the first fast one (31st report, index 30)
    assert recs[i_open].ts_ms == T0 + (600 + 300) * 1000 == opened.updated_ms
    without = feed(engine(lane=False), recs)
    (i_late, _) = next((i, a) for i, a in without if a.kind == AlertKind.GO_FAST)
    assert recs[i_late].ts_ms - recs[i_open].ts_ms >= GRACE_S * 1000  # the watermark's wait
    eng = engine()
    feed(eng, recs)
    assert eng.counters.get("gofast_provisional", 0) >= 2  # opened and closed by the lane …
    assert eng.counters.get("gofast_confirmed", 0) == eng.counters["gofast_provisional"]  # … both confirmed


def test_in_order_reports_give_the_same_versions_as_the_ordered_track_alone() -> None:
    recs = sorted(mini_scenario(), key=record_sort_key)
    with_lane = [a for _, a in feed(engine(), recs)]
    without = [a for _, a in feed(engine(lane=False), recs)]
    assert sorted(dicts(with_lane), key=str) == sorted(dicts(without), key=str)  # every version, not only the last


def test_across_vessels_any_arrival_order_in_each_vessel_order_gives_the_same_versions() -> None:
    recs = sorted(mini_scenario(), key=record_sort_key)
    want = dicts(final_alerts(a for _, a in feed(engine(lane=False), recs)))
    for seed in range(4):
        rnd = random.Random(seed)
        keyed = [(r.ts_ms + rnd.uniform(0, GRACE_S * 800), r) for r in recs]
        # each vessel keeps its own order: its arrival slots are handed out in event-time order
        by_vessel: dict[object, list[int]] = {}
        for i, (_, r) in enumerate(keyed):
            by_vessel.setdefault(getattr(r, "mmsi", None), []).append(i)
        slots = [k for k, _ in keyed]
        for idx in by_vessel.values():
            for i, k in zip(idx, sorted(slots[i] for i in idx), strict=True):
                slots[i] = k
        arrived = [r for _, _, r in sorted((slots[i], i, r) for i, (_, r) in enumerate(keyed))]
        eng = engine()
        assert dicts(final_alerts(a for _, a in feed(eng, arrived))) == want
        assert eng.counters.get("gofast_provisional", 0) > 0
        assert eng.counters.get("gofast_revised", 0) == eng.counters.get("gofast_provisional_retracted", 0) == 0


def test_a_vessel_whose_reports_came_out_of_order_is_left_to_the_ordered_track() -> None:
    recs = go_fast_run()
    recs[20], recs[21] = recs[21], recs[20]  # one swap within the grace, before the rule is complete
    eng = engine()
    got = feed(eng, recs)
    assert eng.counters["gofast_lane_out_of_order"] == 1
    (i_open, _) = next((i, a) for i, a in got if a.kind == AlertKind.GO_FAST)
    assert recs[i_open].ts_ms >= T0 + (600 + 300 + GRACE_S) * 1000  # no provisional alert: the watermark's time
    assert dicts(final_alerts(a for _, a in got)) == dicts(final_alerts(a for _, a in feed(engine(lane=False),
                                                                                           go_fast_run())))


def test_a_provisional_alert_the_ordered_track_does_not_confirm_is_retracted() -> None:
    """Static data (a 60-m vessel) stamped before the rule was complete arrives just after it, within the grace:
    the lane has raised a go-fast; the ordered track applies the length first (event time) and raises none —
    the provisional alert is retracted, once."""
    recs: list[Record] = [*go_fast_run()]
    recs.insert(31, static(BOAT, 600 + 250, length_m=60.0))
    eng = engine()
    got = feed(eng, recs)
    assert [(i, a.status) for i, a in got] == [(30, AlertStatus.OPEN), (got[1][0], AlertStatus.RETRACTED)]
    (final,) = final_alerts(a for _, a in got)
    assert final.evidence["retracted_because"] == UNCONFIRMED
    assert eng.counters.get("gofast_confirmed", 0) == 0 and eng.counters["gofast_provisional_retracted"] == 1
    assert [a for _, a in feed(engine(lane=False), recs)] == []  # the ordered track alone: nothing


def test_a_checkpoint_taken_between_the_lane_and_the_watermark_resumes_exactly() -> None:
    recs = go_fast_run()
    whole = dicts([a for _, a in feed(engine(), recs)])
    for cut in (31, 35, 60, 75):
        eng = engine()
        first = [a for r in recs[:cut] for a in eng.process(r)]
        z = zones()
        resumed = Engine.restore(eng.snapshot(), z, ports(), ParamSet.build(z), int(GRACE_S * 1000))
        rest = [a for r in recs[cut:] for a in resumed.process(r)] + resumed.finish()
        assert dicts(first + rest) == whole, cut
