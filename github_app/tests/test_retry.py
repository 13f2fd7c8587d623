from __future__ import annotations

import pytest

from github_app import backoff_delay, should_retry


def test_backoff_grows_exponentially_until_the_cap() -> None:
    delays = [backoff_delay(n, base=0.5, cap=8.0, rand=0.999999) for n in range(1, 8)]
    assert delays == pytest.approx([0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0], rel=1e-5)


def test_full_jitter_scales_the_whole_delay() -> None:
    assert backoff_delay(3, base=0.5, cap=8.0, rand=0.0) == 0.0
    assert backoff_delay(3, base=0.5, cap=8.0, rand=0.5) == pytest.approx(1.0)


def test_huge_attempt_numbers_stay_capped() -> None:
    assert backoff_delay(10_000, base=1.0, cap=30.0, rand=1.0) == 30.0


def test_attempt_counts_from_one() -> None:
    with pytest.raises(ValueError):
        backoff_delay(0, base=1.0, cap=2.0, rand=0.5)


@pytest.mark.parametrize(
    ("status", "attempt", "expected"),
    [
        (None, 1, True),  # connection error / timeout
        (500, 1, True),
        (502, 2, True),
        (503, 3, False),  # attempts used up
        (404, 1, False),
        (401, 1, False),
        (422, 1, False),
        (403, 1, False),  # rate limits raise, never retried by sleeping
        (429, 1, False),
    ],
)
def test_should_retry_only_transient_failures(status: int | None, attempt: int, expected: bool) -> None:
    assert should_retry(attempt=attempt, max_attempts=3, status=status) is expected
