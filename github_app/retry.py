"""Retry decisions as pure functions, so the policy is tested without sleeping or a network.

Only failures that a second attempt can fix are retried: GitHub 5xx answers and requests that got
no answer at all. Rate limits are never slept through here; they raise `RateLimited`.
"""

from __future__ import annotations

from dataclasses import dataclass

RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})


def backoff_delay(attempt: int, *, base: float, cap: float, rand: float) -> float:
    """Capped exponential backoff with full jitter: uniform in [0, min(cap, base * 2**(attempt-1))).

    `attempt` counts from 1 (the delay after the first failure); `rand` is a uniform [0, 1) sample
    passed in so the function stays pure. Full jitter spreads workers that failed together.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    exponent = min(attempt - 1, 62)
    return rand * min(cap, base * (2.0**exponent))


def should_retry(*, attempt: int, max_attempts: int, status: int | None) -> bool:
    """Whether to try again after `attempt` failed. `status` None means no HTTP answer (transport error)."""
    if attempt >= max_attempts:
        return False
    return status is None or status in RETRYABLE_STATUSES


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts in total and the backoff shape (seconds)."""

    max_attempts: int = 3
    base: float = 0.5
    cap: float = 8.0


# For requests that redeem a single-use code (OAuth code exchange, manifest conversion): GitHub may have
# redeemed the code before answering 5xx, so a second attempt can only fail with a misleading "bad code".
ONCE = RetryPolicy(max_attempts=1)
