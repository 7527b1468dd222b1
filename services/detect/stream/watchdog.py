"""Stuck-consumer watchdog: no progress while there is lag, for longer than a timeout → not ready."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Watchdog"]


@dataclass(slots=True)
class Watchdog:
    stuck_after_s: float
    last_progress_s: float | None = None  # None until the first check: start-up is not a stall
    stuck: bool = False

    def progress(self, now_s: float) -> None:
        self.last_progress_s = now_s
        self.stuck = False

    def check(self, now_s: float, lag: int) -> bool:
        """True when the consumer is stuck: lag > 0 and no progress for ``stuck_after_s``."""
        if lag <= 0 or self.last_progress_s is None:
            self.last_progress_s = now_s
            self.stuck = False
        else:
            self.stuck = now_s - self.last_progress_s > self.stuck_after_s
        return self.stuck
