from __future__ import annotations

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from github_app import AppAPI, AppCredentials, AppJWT, create_app_jwt
from github_app.tests.conftest import FakeClock


def decode(token: str, key: rsa.RSAPrivateKey) -> dict:
    return jwt.decode(token, key.public_key(), algorithms=["RS256"], options={"verify_exp": False, "verify_iat": False})


def test_app_jwt_is_rs256_with_backdated_iat_and_540s_expiry(rsa_key: rsa.RSAPrivateKey, private_key_pem: str) -> None:
    token = create_app_jwt("Iv1.abc", private_key_pem, now=1_700_000_000)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert decode(token, rsa_key) == {"iat": 1_699_999_940, "exp": 1_700_000_540, "iss": "Iv1.abc"}


def test_numeric_issuer_is_sent_as_string(rsa_key: rsa.RSAPrivateKey, private_key_pem: str) -> None:
    token = create_app_jwt(12345, private_key_pem, now=1_700_000_000)  # type: ignore[arg-type]
    assert decode(token, rsa_key)["iss"] == "12345"


def test_jwt_signed_by_another_key_does_not_verify(private_key_pem: str) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = create_app_jwt("1", private_key_pem, now=1_700_000_000)
    try:
        decode(token, other)
    except jwt.InvalidSignatureError:
        return
    raise AssertionError("a JWT verified with the wrong public key")


def test_holder_reuses_jwt_while_more_than_60s_left_then_resigns(rsa_key: rsa.RSAPrivateKey) -> None:
    clock = FakeClock(1_700_000_000)
    holder = AppJWT("Iv1.abc", rsa_key, clock)
    first = holder.token()
    clock.advance(479)  # 61 s left
    assert holder.token() == first
    clock.advance(1)  # 60 s left: no longer enough
    second = holder.token()
    assert second != first
    assert decode(second, rsa_key)["iat"] == 1_700_000_480 - 60


def test_app_api_uses_credentials_issuer(credentials: AppCredentials, rsa_key: rsa.RSAPrivateKey) -> None:
    api = AppAPI(credentials, session=None, clock=FakeClock())  # type: ignore[arg-type]
    assert decode(api.jwt.token(), rsa_key)["iss"] == "Iv1.testclient"
    assert "PRIVATE" not in repr(api.jwt)
