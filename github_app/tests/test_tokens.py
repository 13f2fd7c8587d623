"""Installation tokens: minted rarely, shared through the cache, never leaked in reprs or errors."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime

import pytest
import requests
import responses

from github_app import (
    AppCredentials,
    Forbidden,
    InstallationNotFound,
    InstallationSuspended,
    InstallationTokenProvider,
    MemoryCache,
)
from github_app.tests.conftest import API, FakeClock
from github_app.tests.fixtures import api_example

MINT_URL = f"{API}/app/installations/42/access_tokens"
LONG_TOKEN = "ghs_" + "A1b2C3d4" * 65  # stateless tokens are ~520 characters


def token_body(expires_at: float, token: str = LONG_TOKEN) -> dict:
    """GitHub's documented 201 body with our token and an expiry relative to the test clock."""
    body = api_example("apps-create-installation-access-token.json")
    body["token"] = token
    body["expires_at"] = datetime.fromtimestamp(expires_at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return body


def mint_calls(mocked: responses.RequestsMock) -> int:
    return sum(1 for call in mocked.calls if call.request.url == MINT_URL)


def test_thousand_requests_mint_once(
    tokens: InstallationTokenProvider, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    mocked.post(MINT_URL, json=token_body(clock.now + 3600), status=201)
    assert {tokens.token(42) for _ in range(1000)} == {LONG_TOKEN}
    assert mint_calls(mocked) == 1


def test_mint_is_authenticated_with_the_app_jwt(
    tokens: InstallationTokenProvider, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    mocked.post(MINT_URL, json=token_body(clock.now + 3600), status=201)
    tokens.token(42)
    request = mocked.calls[0].request
    assert request.headers["Authorization"].startswith("Bearer ey")
    assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"


def test_eight_threads_at_once_mint_once(credentials: AppCredentials, mocked: responses.RequestsMock) -> None:
    def slow_mint(request: requests.PreparedRequest) -> tuple[int, dict, str]:
        time.sleep(0.2)  # the others arrive while the first is still minting
        return 201, {}, json.dumps(token_body(time.time() + 3600))

    mocked.add_callback(responses.POST, MINT_URL, callback=slow_mint)
    provider = InstallationTokenProvider(credentials, requests.Session(), MemoryCache(), poll_interval=0.01)
    barrier = threading.Barrier(8)
    results: list[str] = []

    def worker() -> None:
        barrier.wait()
        results.append(provider.token(42))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == [LONG_TOKEN] * 8
    assert mint_calls(mocked) == 1


def test_token_is_reminted_once_after_expires_at_minus_five_minutes(
    tokens: InstallationTokenProvider, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    mocked.post(MINT_URL, json=token_body(clock.now + 3600, "ghs_first"), status=201)
    assert tokens.token(42) == "ghs_first"
    clock.advance(3600 - 301)
    assert tokens.token(42) == "ghs_first"  # still more than 5 minutes left
    mocked.replace(responses.POST, MINT_URL, json=token_body(clock.now + 3600, "ghs_second"), status=201)
    clock.advance(2)  # now inside the 5-minute margin
    assert [tokens.token(42) for _ in range(50)] == ["ghs_second"] * 50
    assert mint_calls(mocked) == 2


def test_installations_have_separate_tokens(
    tokens: InstallationTokenProvider, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    mocked.post(MINT_URL, json=token_body(clock.now + 3600, "ghs_42"), status=201)
    mocked.post(f"{API}/app/installations/7/access_tokens", json=token_body(clock.now + 3600, "ghs_7"), status=201)
    assert (tokens.token(42), tokens.token(7), tokens.token(42)) == ("ghs_42", "ghs_7", "ghs_42")


def test_invalidate_forces_a_new_mint(
    tokens: InstallationTokenProvider, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    mocked.post(MINT_URL, json=token_body(clock.now + 3600), status=201)
    tokens.token(42)
    tokens.invalidate(42)
    tokens.token(42)
    assert mint_calls(mocked) == 2


def test_uninstalled_app_raises_installation_not_found(
    tokens: InstallationTokenProvider, mocked: responses.RequestsMock
) -> None:
    mocked.post(MINT_URL, json={"message": "Not Found"}, status=404)
    with pytest.raises(InstallationNotFound):
        tokens.token(42)


def test_suspended_installation_raises_installation_suspended(
    tokens: InstallationTokenProvider, mocked: responses.RequestsMock
) -> None:
    mocked.post(MINT_URL, json={"message": "This installation has been suspended"}, status=403)
    with pytest.raises(InstallationSuspended):
        tokens.token(42)


def test_other_403_is_an_ordinary_forbidden(tokens: InstallationTokenProvider, mocked: responses.RequestsMock) -> None:
    mocked.post(MINT_URL, json={"message": "Resource not accessible by integration"}, status=403)
    with pytest.raises(Forbidden) as info:
        tokens.token(42)
    assert not isinstance(info.value, InstallationSuspended)


def test_a_dead_minter_does_not_hang_others(
    tokens: InstallationTokenProvider, mocked: responses.RequestsMock, cache: MemoryCache, clock: FakeClock
) -> None:
    mocked.post(MINT_URL, json=token_body(clock.now + 3600), status=201)
    key = "github_app:12345:installation_token:42:lock"
    assert cache.add(key, "1", 30)  # another process took the lock and died
    started = clock.now
    assert tokens.token(42) == LONG_TOKEN
    assert clock.now - started <= 6  # bounded wait (fake sleeps), then minted anyway
    assert mint_calls(mocked) == 1


def test_token_never_appears_in_reprs(
    tokens: InstallationTokenProvider, mocked: responses.RequestsMock, cache: MemoryCache, clock: FakeClock
) -> None:
    mocked.post(MINT_URL, json=token_body(clock.now + 3600), status=201)
    tokens.token(42)
    assert LONG_TOKEN not in repr(tokens)
    assert LONG_TOKEN not in repr(cache)


def test_memory_cache_honours_ttl_and_add_is_a_lock(clock: FakeClock) -> None:
    cache = MemoryCache(clock=clock)
    cache.set("k", "v", 10)
    assert not cache.add("k", "other", 10)
    clock.advance(10)
    assert cache.get("k") is None
    assert cache.add("k", "other", 10)
    assert cache.get("k") == "other"
    cache.delete("k")
    assert cache.get("k") is None


def test_a_token_for_some_repositories_is_minted_scoped_and_cached_apart(
    tokens: InstallationTokenProvider, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    """`repository_ids` in the mint request scopes the token (least privilege for one repository's import); the
    installation-wide token and each scope are cached separately."""
    scoped = responses.matchers.json_params_matcher({"repository_ids": [1296269]})
    mocked.post(MINT_URL, json=token_body(clock.now + 3600, "ghs_scoped"), status=201, match=[scoped])
    mocked.post(MINT_URL, json=token_body(clock.now + 3600, "ghs_whole"), status=201)

    assert tokens.token(42, (1296269,)) == "ghs_scoped"
    assert tokens.token(42) == "ghs_whole"
    assert tokens.token(42, (1296269,)) == "ghs_scoped"
    assert mint_calls(mocked) == 2
    assert json.loads(mocked.calls[0].request.body) == {"repository_ids": [1296269]}
    assert mocked.calls[1].request.body is None
