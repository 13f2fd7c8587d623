from __future__ import annotations

import pytest

from github_app import AppCredentials, CredentialsError, graphql_url_for


def make(private_key_pem: str, **overrides: object) -> AppCredentials:
    values: dict[str, object] = {
        "app_id": "12345",
        "client_id": "Iv1.abc",
        "client_secret": "the-client-secret",
        "private_key_pem": private_key_pem,
        "webhook_secrets": ("the-webhook-secret",),
    }
    values.update(overrides)
    return AppCredentials(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad_key",
    ["", "not a key", "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"],
)
def test_malformed_private_key_fails_at_construction_with_clear_message(bad_key: str) -> None:
    with pytest.raises(CredentialsError, match="private key") as info:
        make(bad_key)
    assert isinstance(info.value, ValueError)


def test_key_pasted_with_escaped_newlines_is_accepted(private_key_pem: str) -> None:
    creds = make(private_key_pem.replace("\n", "\\n"))
    assert creds.private_key.key_size == 2048


def test_repr_hides_every_secret(private_key_pem: str) -> None:
    text = repr(make(private_key_pem))
    assert "the-client-secret" not in text
    assert "the-webhook-secret" not in text
    assert "PRIVATE KEY" not in text
    assert "12345" in text


def test_jwt_issuer_prefers_client_id_and_is_a_string(private_key_pem: str) -> None:
    assert make(private_key_pem).jwt_issuer == "Iv1.abc"
    assert make(private_key_pem, client_id="").jwt_issuer == "12345"


def test_webhook_secrets_must_be_a_tuple_of_strings(private_key_pem: str) -> None:
    with pytest.raises(CredentialsError, match="webhook_secrets"):
        make(private_key_pem, webhook_secrets="one-secret")


@pytest.mark.parametrize(
    ("api_url", "expected"),
    [
        ("https://api.github.com", "https://api.github.com/graphql"),
        ("https://api.github.com/", "https://api.github.com/graphql"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/graphql"),
        ("http://localhost:8001/github", "http://localhost:8001/github/graphql"),
    ],
)
def test_graphql_url_derived_from_api_url(private_key_pem: str, api_url: str, expected: str) -> None:
    assert graphql_url_for(api_url) == expected
    assert make(private_key_pem, api_url=api_url).graphql_url == expected


def test_key_with_inconsistent_numbers_fails_at_construction(private_key_pem: str) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    numbers = load_pem_private_key(private_key_pem.encode(), None).private_numbers()
    broken = rsa.RSAPrivateNumbers(
        p=numbers.p,
        q=numbers.q,
        d=numbers.d + 2,  # corrupted exponents: the PEM parses, but signatures do not verify
        dmp1=numbers.dmp1 + 2,
        dmq1=numbers.dmq1,
        iqmp=numbers.iqmp,
        public_numbers=numbers.public_numbers,
    )
    key = broken.private_key(unsafe_skip_rsa_key_validation=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    with pytest.raises(CredentialsError, match="private key"):
        make(pem)


def test_the_fixture_manifest_pem_is_read(private_key_pem: str) -> None:
    """The PKCS#1 `BEGIN RSA PRIVATE KEY` block GitHub's manifest conversion returns is accepted."""
    from github_app.tests.fixtures import api_example

    creds = make(api_example("apps-create-from-manifest.json")["pem"])
    assert creds.private_key.key_size >= 2048


GHES = "https://ghe.example.com/api/v3"


@pytest.mark.parametrize(
    ("api_url", "issuer_setting", "expected"),
    [
        ("https://api.github.com", "", "Iv1.abc"),  # github.com: the client id, as GitHub recommends
        (GHES, "", "12345"),  # GHES up to 3.13 accepts only the app id; every version accepts it
        (GHES, "client_id", "Iv1.abc"),  # GHES 3.14 and later accept the client id too
        ("https://api.github.com", "app_id", "12345"),
    ],
)
def test_jwt_issuer_is_what_the_github_in_use_documents(private_key_pem, api_url, issuer_setting, expected) -> None:
    assert make(private_key_pem, api_url=api_url, jwt_issuer_kind=issuer_setting).jwt_issuer == expected


def test_an_unknown_issuer_setting_is_refused_at_construction(private_key_pem: str) -> None:
    with pytest.raises(CredentialsError, match="client_id or app_id"):
        make(private_key_pem, jwt_issuer_kind="slug")


@pytest.mark.parametrize(
    ("api_url", "web_url", "expected"),
    [
        ("https://api.github.com", "https://github.com", "https://github.com/apps/tf/installations/new"),
        (GHES, "https://ghe.example.com", "https://ghe.example.com/github-apps/tf/installations/new"),
    ],
)
def test_install_url_follows_githubs_layout(private_key_pem, api_url, web_url, expected) -> None:
    assert make(private_key_pem, api_url=api_url, web_url=web_url, slug="tf").install_url == expected
