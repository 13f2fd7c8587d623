from __future__ import annotations

import requests
import responses

from github_app import build_manifest, convert_manifest_code
from github_app.tests.conftest import API
from github_app.tests.fixtures import api_example


def test_build_manifest_points_every_url_at_the_deployment() -> None:
    template = {"name": "tformance", "hook_attributes": {"active": True}, "default_events": ["pull_request"]}
    manifest = build_manifest(template, "https://metrics.example.com/")
    assert manifest["url"] == "https://metrics.example.com"
    assert manifest["hook_attributes"] == {"active": True, "url": "https://metrics.example.com/webhooks/github/"}
    assert manifest["redirect_url"] == "https://metrics.example.com/integrations/github/manifest/callback/"
    assert manifest["callback_urls"] == ["https://metrics.example.com/integrations/github/callback/"]
    assert "setup_url" not in manifest  # with request_oauth_on_install GitHub returns users to callback_urls[0]
    assert manifest["default_events"] == ["pull_request"]
    assert "url" not in template["hook_attributes"]  # the template is not modified


def test_convert_manifest_code_returns_the_new_apps_credentials(
    session: requests.Session, mocked: responses.RequestsMock
) -> None:
    example = api_example("apps-create-from-manifest.json")
    mocked.post(f"{API}/app-manifests/abc123/conversions", json=example, status=201)
    result = convert_manifest_code(API, session, "abc123")
    assert (result.id, result.slug, result.client_id) == (29310, "tformance-fixtures", "Iv1.f1x7ure5c11e47")
    assert result.client_secret == example["client_secret"]
    assert result.webhook_secret == example["webhook_secret"]
    assert result.pem.startswith("-----BEGIN") and "PRIVATE KEY-----" in result.pem
    assert (result.html_url, result.owner_login) == ("https://github.com/apps/tformance-fixtures", "Codertocat")
    assert "Authorization" not in mocked.calls[0].request.headers
    text = repr(result)
    assert example["client_secret"] not in text and "PRIVATE KEY" not in text


def test_a_5xx_to_the_manifest_conversion_is_not_retried_because_the_code_is_single_use(
    session: requests.Session, mocked: responses.RequestsMock
) -> None:
    import pytest

    from github_app import ServerError

    mocked.post(f"{API}/app-manifests/abc123/conversions", status=502, body="<html>Unicorn!</html>")
    mocked.post(f"{API}/app-manifests/abc123/conversions", json={"message": "Not Found"}, status=404)
    with pytest.raises(ServerError, match="502"):
        convert_manifest_code(API, session, "abc123")
    assert len(mocked.calls) == 1
