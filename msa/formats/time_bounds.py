"""Plausible event times: not before AIS carriage began, not more than a day after the wall clock.

A receiver whose clock battery died, a GPS week-number rollover, a corrupted digit in a tag block or a
hand-edited export gives times decades away. Published, one such record drags every watermark downstream
(a fix dated 2099 makes every later report of the partition late). Times the data gives — tag block ``c:``,
Gatehouse ``$PGHP``, a trailing receiver epoch, a CSV timestamp — are therefore checked; the receipt time is
the caller's own clock and is not.

* **Too old** (``time_too_old``): before :data:`EARLIEST_EVENT_MS`, 1 July 2002, when SOLAS V/19 made AIS
  carriage mandatory; no AIS recording worth replaying is older. Later than 1990 on purpose: it catches the
  usual bogus clocks, an RTC reset to 2000-01-01 and the GPS rollover dates of 1999-2000.
* **In the future** (``time_in_future``): more than :data:`MAX_AHEAD_MS` (1 day) after the **wall clock**
  at ingest — never after the recording's own times, so a replay of a 2013 recording plays 2013 times. A day
  covers receivers set to a local time zone (at most 14 h ahead of UTC) and clock drift.

Nothing in a decoder calls ``now()``: the wall clock is a function passed in (tests pass a fixed one). It is
read once at start and again only when a time is past the bound computed at the last read, so the
check costs one comparison per record.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from msa.domain import format_ts

__all__ = ["EARLIEST_EVENT_MS", "MAX_AHEAD_MS", "TimeBounds", "WallClock", "wall_clock_ms"]

EARLIEST_EVENT_MS = 1_025_481_600_000  # 2002-07-01T00:00:00Z: SOLAS V/19 AIS carriage begins
MAX_AHEAD_MS = 86_400_000  # 1 day after the wall clock

WallClock = Callable[[], int]  # epoch milliseconds


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class TimeBounds:
    """``check(ts_ms)``: None for a plausible event time, else ``(reason, detail)``."""

    __slots__ = ("_clock", "max_ahead_ms", "not_after_ms")

    def __init__(self, clock: WallClock = wall_clock_ms, max_ahead_ms: int = MAX_AHEAD_MS) -> None:
        self._clock = clock
        self.max_ahead_ms = max_ahead_ms
        self.not_after_ms = clock() + max_ahead_ms  # may lag the clock: re-read before saying "future"

    def check(self, ts_ms: int) -> tuple[str, str] | None:
        if ts_ms < EARLIEST_EVENT_MS:
            return "time_too_old", f"{_text(ts_ms)} is before {_text(EARLIEST_EVENT_MS)} (AIS carriage)"
        if ts_ms > self.not_after_ms:
            now_ms = self._clock()
            self.not_after_ms = now_ms + self.max_ahead_ms
            if ts_ms > self.not_after_ms:
                return "time_in_future", (f"{_text(ts_ms)} is {(ts_ms - now_ms) / 3_600_000:,.1f} h after the wall "
                                          f"clock {_text(now_ms)} (limit {self.max_ahead_ms / 3_600_000:g} h)")
        return None


def _text(ts_ms: int) -> str:
    try:
        return format_ts(ts_ms)
    except (ValueError, OverflowError, OSError):  # beyond datetime's years 1-9999
        return f"epoch {ts_ms} ms"
