"""In-process token bucket per principal. Time is passed in, so the bucket is testable without sleeping."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["RateLimiter"]


@dataclass(slots=True)
class _Bucket:
    tokens: float
    stamp_s: float


@dataclass(slots=True)
class RateLimiter:
    """``rate_per_s`` tokens are added per second up to ``burst``; each request takes one."""

    rate_per_s: float
    burst: int
    max_keys: int = 100_000
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def wait_s(self, key: str, now_s: float) -> float:
        """0.0 when ``key`` has a token left (without taking it), else the seconds until it has one."""
        b = self._buckets.get(key)
        if b is None:
            return 0.0
        tokens = min(float(self.burst), b.tokens + max(0.0, now_s - b.stamp_s) * self.rate_per_s)
        if tokens >= 1.0:
            return 0.0
        return (1.0 - tokens) / self.rate_per_s if self.rate_per_s > 0 else 3600.0

    def take(self, key: str, now_s: float) -> float:
        """0.0 when allowed, else the seconds to wait before the next token (for ``Retry-After``)."""
        b = self._buckets.get(key)
        if b is None:
            if len(self._buckets) >= self.max_keys:
                self._buckets.clear()  # crude but bounded: an attacker cannot grow memory
            b = self._buckets[key] = _Bucket(float(self.burst), now_s)
        b.tokens = min(float(self.burst), b.tokens + max(0.0, now_s - b.stamp_s) * self.rate_per_s)
        b.stamp_s = now_s
        if b.tokens >= 1.0:
            b.tokens -= 1.0
            return 0.0
        return (1.0 - b.tokens) / self.rate_per_s if self.rate_per_s > 0 else 3600.0
