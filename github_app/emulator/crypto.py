"""Key material and signatures the emulator needs, kept apart from the rest of ``github_app``.

The emulator is self-contained on purpose: it must keep working while the product's own JWT and
signature code is being written, and it must never share a bug with the code it is testing.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def generate_private_key_pem() -> str:
    """A fresh RSA 2048 key as PKCS#1 PEM text, the format GitHub hands out for App keys."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


def public_key_pem(private_pem: str) -> str:
    """The public half, used to verify app JWTs exactly as GitHub does with the key it stores."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def write_private_key(path: Path) -> str:
    """Create the App key file for the demo with owner-only permissions (0600), like a downloaded key."""
    pem = generate_private_key_pem()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(pem)
    os.chmod(path, 0o600)
    return pem


def sign_body(secret: str, body: bytes) -> str:
    """``X-Hub-Signature-256`` value: HMAC-SHA256 of the raw body with the webhook secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def random_hex(nbytes: int = 20) -> str:
    return secrets.token_hex(nbytes)


def random_token(prefix: str, length: int = 36) -> str:
    """GitHub-looking opaque tokens (``ghs_``, ``ghu_``): prefix plus base62 characters."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))
