"""Drop the same AIS report heard by several receivers (or relayed twice) within a short event-time window.

Two reports are the same when their assembled payload bits are identical: the payload carries the MMSI,
the position, the UTC second and the radio state, so a vessel's next report always differs. Memory is
bounded: entries older than the window (behind the newest event time seen) are forgotten, and at most
``max_entries`` are kept.
"""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["DEFAULT_WINDOW_MS", "Deduplicator"]

DEFAULT_WINDOW_MS = 30_000
DEFAULT_MAX_ENTRIES = 200_000


class Deduplicator:
    def __init__(self, window_ms: int = DEFAULT_WINDOW_MS, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.window_ms = window_ms
        self.max_entries = max_entries
        self._seen: OrderedDict[bytes, int] = OrderedDict()
        self._newest_ms = 0

    def __len__(self) -> int:
        return len(self._seen)

    def is_duplicate(self, key: bytes, ts_ms: int) -> bool:
        """True when ``key`` was seen within the window before ``ts_ms``; otherwise remember it."""
        seen = self._seen
        if ts_ms > self._newest_ms:
            self._newest_ms = ts_ms
            limit = ts_ms - self.window_ms
            while seen:
                first_key = next(iter(seen))
                if seen[first_key] >= limit:
                    break
                del seen[first_key]
        prev = seen.get(key)
        if prev is not None and abs(ts_ms - prev) <= self.window_ms:
            return True
        if prev is not None:
            del seen[key]
        seen[key] = ts_ms
        if len(seen) > self.max_entries:
            seen.popitem(last=False)
        return False
