from __future__ import annotations

import hashlib
import hmac

import pytest

from github_app import sign_payload, verify_signature
from github_app.tests.fixtures import load_json


@pytest.fixture
def vector() -> dict:
    return load_json("signature-test-vector.json")


def test_githubs_documented_test_vector_verifies(vector: dict) -> None:
    body = vector["payload"].encode()
    assert verify_signature(body, vector["signature_256"], [vector["secret"]])
    assert sign_payload(body, vector["secret"]) == vector["signature_256"]


def test_one_byte_change_in_body_fails(vector: dict) -> None:
    body = bytearray(vector["payload"].encode())
    body[0] ^= 1
    assert not verify_signature(bytes(body), vector["signature_256"], [vector["secret"]])
    assert not verify_signature(vector["payload"].encode() + b"\n", vector["signature_256"], [vector["secret"]])


def test_one_byte_change_in_secret_fails(vector: dict) -> None:
    secret = vector["secret"][:-1] + "X"
    assert not verify_signature(vector["payload"].encode(), vector["signature_256"], [secret])


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",  # no prefix
        "sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        "sha256=",
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1",  # too short
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1700",  # too long
        "sha256=zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",  # not hex
        "sha256=75 107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",  # space
    ],
)
def test_missing_or_malformed_header_is_false_not_an_error(vector: dict, header: str | None) -> None:
    assert verify_signature(vector["payload"].encode(), header, [vector["secret"]]) is False


def test_rotation_second_secret_verifies(vector: dict) -> None:
    body = vector["payload"].encode()
    assert verify_signature(body, vector["signature_256"], ["new-secret", vector["secret"]])
    assert not verify_signature(body, vector["signature_256"], ["new-secret", "older-secret"])


def test_empty_secret_never_verifies() -> None:
    body = b"{}"
    forged = "sha256=" + hmac.new(b"", body, hashlib.sha256).hexdigest()
    assert not verify_signature(body, forged, [""])
    assert not verify_signature(body, forged, [])


def test_real_webhook_payload_bytes_round_trip() -> None:
    from github_app.tests.fixtures import fixtures_dir

    body = (fixtures_dir() / "webhooks/pull_request/opened.payload.json").read_bytes()
    header = sign_payload(body, "s3cret")
    assert verify_signature(body, header, ["s3cret"])
    assert not verify_signature(body.replace(b'"opened"', b'"closed"'), header, ["s3cret"])
