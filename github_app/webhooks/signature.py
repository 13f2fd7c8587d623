"""`X-Hub-Signature-256` verification: `sha256=` + hex HMAC-SHA256 of the raw request body.

The HMAC must be computed over the exact bytes received, before any JSON decoding. Several
secrets are accepted so a secret can be rotated without dropping deliveries in between.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

PREFIX = "sha256="
_HEX_LENGTH = 64


def sign_payload(body: bytes, secret: str) -> str:
    """The `X-Hub-Signature-256` header value GitHub would send for `body` signed with `secret`."""
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, signature_header: str | None, secrets: Sequence[str]) -> bool:
    """True if `signature_header` is a valid signature of `body` under any of `secrets`.

    False, never an exception, for a missing header, a missing `sha256=` prefix, non-hex or
    wrong-length digests, or no usable secret (an empty secret never verifies: it would let anyone
    sign). The body is neither copied nor decoded; comparison is constant-time.
    """
    if not signature_header or not signature_header.startswith(PREFIX):
        return False
    digest_hex = signature_header[len(PREFIX) :]
    if len(digest_hex) != _HEX_LENGTH:
        return False
    try:
        expected = bytes.fromhex(digest_hex)
    except ValueError:
        return False
    if len(expected) != _HEX_LENGTH // 2:
        return False
    for secret in secrets:
        if secret and hmac.compare_digest(hmac.new(secret.encode(), body, hashlib.sha256).digest(), expected):
            return True
    return False
