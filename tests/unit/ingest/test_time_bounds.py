"""Plausible event times: not before AIS carriage began, not more than a day after the wall clock."""

from __future__ import annotations

from msa.formats.time_bounds import EARLIEST_EVENT_MS, MAX_AHEAD_MS, TimeBounds

NOW_MS = 1_764_892_800_000  # 2025-12-05T00:00:00Z


def test_a_day_ahead_of_the_wall_clock_is_the_limit() -> None:
    bounds = TimeBounds(lambda: NOW_MS)
    assert bounds.check(NOW_MS + MAX_AHEAD_MS) is None  # a receiver clock on another time zone (≤ 14 h)
    reason, detail = bounds.check(NOW_MS + MAX_AHEAD_MS + 1) or ("", "")
    assert reason == "time_in_future" and "2025-12-05T00:00:00Z" in detail


def test_old_recordings_are_plausible_and_times_before_ais_are_not() -> None:
    bounds = TimeBounds(lambda: NOW_MS)
    assert bounds.check(1_363_598_349_499) is None  # a 2013 recording replayed today
    assert bounds.check(EARLIEST_EVENT_MS) is None
    assert (bounds.check(935_280_000_000) or ("",))[0] == "time_too_old"  # 1999-08-22: GPS week rollover


def test_the_wall_clock_is_read_again_before_a_time_is_called_future() -> None:
    """A worker runs for months: the bound moves with the clock (read only when a time looks too late)."""
    now = [NOW_MS]
    reads = []

    def clock() -> int:
        reads.append(now[0])
        return now[0]

    bounds = TimeBounds(clock)
    assert bounds.check(NOW_MS + 1000) is None and len(reads) == 1  # within the bound: no clock read
    now[0] += 30 * MAX_AHEAD_MS  # a month later
    assert bounds.check(NOW_MS + 10 * MAX_AHEAD_MS) is None and len(reads) == 2
    assert bounds.check(now[0] + 2 * MAX_AHEAD_MS) is not None
