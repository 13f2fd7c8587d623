"""The GitHub App's identity as one frozen value, validated when it is built.

A bad private key is a deployment mistake; it should stop the process at start-up with a message
saying what is wrong, not surface an hour later as a 401 from the first token request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

GITHUB_API_URL = "https://api.github.com"


class CredentialsError(ValueError):
    """The App credentials cannot work (unreadable private key, no issuer, secrets not a tuple)."""


def load_private_key(private_key_pem: str) -> RSAPrivateKey:
    """Parse the App's PEM private key (GitHub issues RSA keys; the JWT is RS256).

    Keys pasted into environment variables often arrive with literal `\\n`; those are unfolded.
    """
    pem = private_key_pem.strip()
    if "\\n" in pem and "\n" not in pem:
        pem = pem.replace("\\n", "\n")
    if not pem.startswith("-----BEGIN"):
        raise CredentialsError("GitHub App private key is not PEM text (it should start with '-----BEGIN').")
    try:
        # OpenSSL's full RSA consistency check is slow, and credentials are built per request by
        # callers; a sign/verify round trip below catches an inconsistent key far more cheaply.
        key = load_pem_private_key(pem.encode(), password=None, unsafe_skip_rsa_key_validation=True)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise CredentialsError(f"GitHub App private key could not be read: {type(exc).__name__}.") from None
    if not isinstance(key, RSAPrivateKey):
        raise CredentialsError("GitHub App private key must be an RSA key (GitHub signs App JWTs with RS256).")
    _self_test(key)
    return key


def _self_test(key: RSAPrivateKey) -> None:
    """Sign and verify a constant: a key whose numbers do not fit together fails here, not at GitHub."""
    message = b"tformance github app key check"
    try:
        signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        key.public_key().verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError) as exc:
        raise CredentialsError(f"GitHub App private key is inconsistent: {type(exc).__name__}.") from None


ISSUER_KINDS = ("", "client_id", "app_id")


def is_enterprise_server(api_url: str) -> bool:
    """GitHub Enterprise Server serves REST under `https://host/api/v3`; github.com (and GHE.com) at the root."""
    return api_url.rstrip("/").endswith("/api/v3")


def install_url_for(*, web_url: str, api_url: str, slug: str) -> str:
    """GitHub's page to install an App: `/apps/<slug>/installations/new` on github.com,
    `/github-apps/<slug>/installations/new` on GitHub Enterprise Server (its documented layout)."""
    prefix = "github-apps" if is_enterprise_server(api_url) else "apps"
    return f"{web_url.rstrip('/')}/{prefix}/{slug}/installations/new"


def graphql_url_for(api_url: str) -> str:
    """GraphQL endpoint for a REST base URL.

    github.com: `https://api.github.com/graphql`; GitHub Enterprise Server serves REST under
    `https://host/api/v3` and GraphQL under `https://host/api/graphql`.
    """
    base = api_url.rstrip("/")
    if base.endswith("/api/v3"):
        return base[: -len("/v3")] + "/graphql"
    return base + "/graphql"


@dataclass(frozen=True)
class AppCredentials:
    """Everything needed to act as the App. Secrets are hidden from repr so logging the value is safe."""

    app_id: str
    client_id: str
    client_secret: str = field(repr=False)
    private_key_pem: str = field(repr=False)
    webhook_secrets: tuple[str, ...] = field(repr=False)
    api_url: str = GITHUB_API_URL
    web_url: str = "https://github.com"
    slug: str = ""
    # The JWT's `iss`: "client_id" or "app_id"; "" picks what the GitHub in use documents (see `jwt_issuer`).
    jwt_issuer_kind: str = ""
    private_key: RSAPrivateKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.webhook_secrets, tuple) or not all(isinstance(s, str) for s in self.webhook_secrets):
            raise CredentialsError("webhook_secrets must be a tuple of strings (several allow rotation).")
        if not str(self.client_id or self.app_id):
            raise CredentialsError("GitHub App credentials need an app_id or a client_id (the JWT issuer).")
        if self.jwt_issuer_kind not in ISSUER_KINDS:
            raise CredentialsError(f"The JWT issuer is client_id or app_id, not {self.jwt_issuer_kind!r}.")
        object.__setattr__(self, "private_key", load_private_key(self.private_key_pem))
        object.__setattr__(self, "api_url", self.api_url.rstrip("/"))
        object.__setattr__(self, "web_url", self.web_url.rstrip("/"))

    @property
    def jwt_issuer(self) -> str:
        """The JWT's `iss`, always a string.

        github.com accepts the client id (recommended) or the App id. GitHub Enterprise Server accepts only the
        App id up to 3.13 and either from 3.14, so on GHES the App id is the default, right for every version;
        `jwt_issuer_kind` ("client_id" / "app_id") chooses explicitly.
        """
        kind = self.jwt_issuer_kind or ("app_id" if is_enterprise_server(self.api_url) else "client_id")
        if kind == "app_id" and self.app_id:
            return str(self.app_id)
        return str(self.client_id or self.app_id)

    @property
    def install_url(self) -> str:
        return install_url_for(web_url=self.web_url, api_url=self.api_url, slug=self.slug)

    @property
    def graphql_url(self) -> str:
        return graphql_url_for(self.api_url)
