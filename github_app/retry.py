"""Retry decisions as pure functions, so the policy is tested without sleeping or a network.

Only failures that a second attempt can fix are retried: GitHub 5xx answers and requests that got
no answer at all. Rate limits are never slept through here; they raise `RateLimited`. A secondary rate limit that
keeps happening is waited out longer each time (`secondary_limit_wait`, counted by `SecondaryLimitStrikes`), as
GitHub's "Rate limits for the REST API" asks.
"""

from __future__ import annotations

from dataclasses import dataclass

from github_app.cache import TokenCache

# After this long without a secondary limit the count starts again from the first strike.
STRIKE_MEMORY_SECONDS = 3600.0
SECONDARY_LIMIT_CAP_SECONDS = 3600.0

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


def secondary_limit_wait(strike: int, *, github_wait: float, cap: float = SECONDARY_LIMIT_CAP_SECONDS) -> float:
    """Seconds to wait after the `strike`-th secondary rate limit in a row (counting from 1): what GitHub asked for
    (`retry-after`, or a minute when it gave no header) the first time, doubled for every further strike, capped,
    and never less than what GitHub asked for."""
    if strike < 1:
        raise ValueError("strike counts from 1")
    return max(github_wait, min(cap, github_wait * (2.0 ** min(strike - 1, 30))))


class SecondaryLimitStrikes:
    """How many secondary rate limits one credential (an installation, the App) met in a row, in the shared cache so
    every worker's next request waits longer; forgotten after a success or an hour of quiet."""

    def __init__(self, cache: TokenCache, key: str) -> None:
        self._cache, self._key = cache, key

    def __repr__(self) -> str:
        return f"SecondaryLimitStrikes(key={self._key!r})"

    def strike(self) -> int:
        value = self._cache.get(self._key)
        count = (int(value) if value and value.isdigit() else 0) + 1
        self._cache.set(self._key, str(count), STRIKE_MEMORY_SECONDS)
        return count

    def clear(self) -> None:
        if self._cache.get(self._key) is not None:
            self._cache.delete(self._key)


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts in total and the backoff shape (seconds)."""

    max_attempts: int = 3
    base: float = 0.5
    cap: float = 8.0


# For requests that redeem a single-use code (OAuth code exchange, manifest conversion): GitHub may have
# redeemed the code before answering 5xx, so a second attempt can only fail with a misleading "bad code".
ONCE = RetryPolicy(max_attempts=1)
