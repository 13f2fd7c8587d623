"""The client address the log-in and sign-up throttles count by: what our own proxies saw, never what a client
wrote in a header."""

from apps.users.throttling import client_ip


def test_the_client_address_behind_trusted_proxies_cannot_be_forged(rf, settings):
    forged = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.9"}
    settings.FORWARDED_ALLOW_IPS = ["10.0.0.0/24"]
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(rf.get("/", **forged)) == "10.0.0.2"  # no proxy: the header is the client's own words
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(rf.get("/", **forged)) == "203.0.113.9"  # what our one proxy saw, not what the client wrote
    settings.FORWARDED_ALLOW_IPS = ["127.0.0.1"]
    assert client_ip(rf.get("/", **forged)) == "10.0.0.2"  # not from our proxy: nobody appended the header
