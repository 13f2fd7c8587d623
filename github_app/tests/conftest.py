"""Shared fixtures for github_app tests: a throwaway RSA key, credentials, a controllable clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from github_app import AppCredentials, InstallationTokenProvider, MemoryCache

API = "https://api.github.com"


class FakeClock:
    """Epoch seconds that only move when a test says so."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def private_key_pem(rsa_key: rsa.RSAPrivateKey) -> str:
    return rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def credentials(private_key_pem: str) -> AppCredentials:
    return AppCredentials(
        app_id="12345",
        client_id="Iv1.testclient",
        client_secret="client-secret-value",
        private_key_pem=private_key_pem,
        webhook_secrets=("whsec-current",),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def session() -> requests.Session:
    return requests.Session()


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def cache(clock: FakeClock) -> MemoryCache:
    return MemoryCache(clock=clock)


@pytest.fixture
def tokens(
    credentials: AppCredentials, session: requests.Session, cache: MemoryCache, clock: FakeClock
) -> InstallationTokenProvider:
    return InstallationTokenProvider(credentials, session, cache, clock=clock, sleep=clock.sleep)
