from __future__ import annotations

from services.api.ratelimit import RateLimiter


def test_burst_then_refill_per_key() -> None:
    rl = RateLimiter(rate_per_s=2.0, burst=3)
    assert [rl.take("a", 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = rl.take("a", 0.0)
    assert wait > 0
    assert rl.take("b", 0.0) == 0.0  # another principal is not affected
    assert rl.take("a", wait + 0.01) == 0.0
    assert rl.take("a", wait + 0.01) > 0


def test_memory_is_bounded() -> None:
    rl = RateLimiter(rate_per_s=1.0, burst=1, max_keys=10)
    for i in range(100):
        rl.take(str(i), 0.0)
    assert len(rl._buckets) <= 10
