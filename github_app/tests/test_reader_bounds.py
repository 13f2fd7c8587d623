"""Ids past 64 bits are bad data named by their field, never an overflow in a database column later."""

from __future__ import annotations

import copy

import pytest

from github_app import WebhookPayloadError, parse_event
from github_app.tests.fixtures import load_json


@pytest.mark.parametrize("value", [2**63, 2**70, -(2**63) - 1])
def test_an_id_too_large_for_64_bits_is_a_payload_error_naming_the_field(value: int) -> None:
    payload = copy.deepcopy(load_json("webhooks/installation/created.payload.json"))
    payload["installation"]["account"]["id"] = value
    with pytest.raises(WebhookPayloadError, match=r"^installation\.account\.id: expected a 64-bit integer"):
        parse_event("installation", "d", payload)


def test_the_largest_64_bit_id_is_accepted() -> None:
    payload = copy.deepcopy(load_json("webhooks/installation/created.payload.json"))
    payload["installation"]["account"]["id"] = 2**63 - 1
    assert parse_event("installation", "d", payload).installation.account.id == 2**63 - 1
