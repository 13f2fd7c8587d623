"""Registering the App from app-manifest.json: the manifest matches the handlers, and settings read the stored
credentials back (the environment wins). The staff-only pages that store them are tested in apps/web/tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from urllib.parse import parse_qs, urlsplit

from django.conf import settings as django_settings
from django.core.management import call_command

from apps.integrations.handlers import ALWAYS_DELIVERED, HANDLERS
from apps.integrations.services.registration import manifest_template
from github_app.api.installation import CONTENTS_PERMISSION, METADATA_PERMISSION, PULL_REQUESTS_PERMISSION
from github_app.api.user import ORG_MEMBERSHIP_PERMISSION
from github_app.webhooks.deployments import DEPLOYMENTS_PERMISSION


def test_the_manifest_subscribes_to_exactly_the_handled_events():
    subscribed = set(manifest_template()["default_events"])
    assert subscribed == set(HANDLERS) - ALWAYS_DELIVERED
    assert {"pull_request", "pull_request_review", "repository", "deployment", "deployment_status"} <= subscribed
    assert "workflow_run" not in subscribed  # no handler for it yet


def test_the_emulators_app_is_the_app_the_manifest_registers():
    """The demo and the end-to-end tests run against the emulator's default App: it must ask for what tformance's
    manifest asks, or the demo would show every installation as not having accepted the App's permissions."""
    from github_app.emulator.models import DEFAULT_EVENTS, DEFAULT_PERMISSIONS

    manifest = manifest_template()
    assert manifest["default_permissions"] == DEFAULT_PERMISSIONS
    assert sorted(DEFAULT_EVENTS) == sorted(manifest["default_events"])


def test_the_manifest_asks_only_for_the_permissions_the_code_names_a_use_for():
    """Each permission is declared beside the calls that need it; one the manifest asks for and no call names is an
    access the App holds for nothing."""
    manifest = manifest_template()
    used = dict(
        [
            METADATA_PERMISSION,
            PULL_REQUESTS_PERMISSION,
            ORG_MEMBERSHIP_PERMISSION,
            DEPLOYMENTS_PERMISSION,
            CONTENTS_PERMISSION,
        ]
    )
    assert (
        manifest["default_permissions"]
        == used
        == {
            "metadata": "read",
            "pull_requests": "read",
            "members": "read",
            "deployments": "read",
            "contents": "read",
        }
    )
    assert manifest["request_oauth_on_install"] is True


def test_the_manifest_asks_nothing_github_ignores_with_oauth_on_install():
    """With `request_oauth_on_install` GitHub sends the user to the callback URL after installing; the setup URL and
    `setup_on_update` ("Redirect on update") are unavailable then, so asking for them would only mislead."""
    manifest = manifest_template()
    assert manifest["request_oauth_on_install"] is True
    assert "setup_on_update" not in manifest and "setup_url" not in manifest


def test_only_events_github_sends_every_app_count_as_delivered_without_subscription():
    """installation*, github_app_authorization and ping reach every App; `meta` reaches only an App subscribed to it
    (which needs its permission), so it is not one of them."""
    assert {
        "ping",
        "installation",
        "installation_repositories",
        "installation_target",
        "github_app_authorization",
    } == ALWAYS_DELIVERED


def test_the_command_prints_the_manifest_for_a_base_url():
    out = StringIO()
    call_command("github_app_manifest", "--base-url", "https://perf.example.com/", stdout=out)
    manifest = json.loads(out.getvalue())
    assert manifest["hook_attributes"]["url"] == "https://perf.example.com/webhooks/github/"
    assert manifest["redirect_url"] == "https://perf.example.com/integrations/github/manifest/callback/"
    assert manifest["callback_urls"] == ["https://perf.example.com/integrations/github/callback/"]


def _settings_in_subprocess(env: dict[str, str]) -> dict:
    code = (
        "import json, config.settings as s; print(json.dumps({k: getattr(s, k) for k in "
        "('GITHUB_APP_ID', 'GITHUB_APP_SLUG', 'GITHUB_APP_PRIVATE_KEY', 'GITHUB_APP_WEBHOOK_SECRET')}))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_APP_")}
    out = subprocess.run(
        [sys.executable, "-c", code], env={**clean, "DEBUG": "1", **env}, capture_output=True, text=True, check=True,
        cwd=django_settings.BASE_DIR,
    )  # fmt: skip
    return json.loads(out.stdout)


def test_settings_read_the_credentials_file_and_the_environment_wins(tmp_path):
    path = tmp_path / "github-app.json"
    path.write_text(json.dumps({"GITHUB_APP_ID": "7", "GITHUB_APP_SLUG": "from-file", "GITHUB_APP_PRIVATE_KEY": "k",
                                "GITHUB_APP_WEBHOOK_SECRET": "file-secret"}))  # fmt: skip
    from_file = _settings_in_subprocess({"GITHUB_APP_CREDENTIALS_FILE": str(path)})
    assert from_file == {
        "GITHUB_APP_ID": "7",
        "GITHUB_APP_SLUG": "from-file",
        "GITHUB_APP_PRIVATE_KEY": "k",
        "GITHUB_APP_WEBHOOK_SECRET": "file-secret",
    }
    env_wins = _settings_in_subprocess({"GITHUB_APP_CREDENTIALS_FILE": str(path), "GITHUB_APP_SLUG": "from-env"})
    assert env_wins["GITHUB_APP_SLUG"] == "from-env" and env_wins["GITHUB_APP_ID"] == "7"


def test_the_generated_manifest_is_public_by_default_and_private_when_set(settings):
    """A deployment serving several organizations needs a public App: GitHub installs a private one only on its
    owner's account."""
    from apps.integrations.services.registration import manifest_for_base_url

    assert manifest_for_base_url(base_url="https://t.example.com")["public"] is True
    settings.GITHUB_APP_PUBLIC = False
    assert manifest_for_base_url(base_url="https://t.example.com")["public"] is False


def test_an_app_registered_from_the_generated_manifest_installs_on_another_organization():
    """Against the emulator, which refuses a private App on any account but its owner's, as GitHub does."""
    import requests

    from apps.integrations.services.registration import manifest_for_base_url
    from github_app.emulator import EmulatorConfig, EmulatorServer

    with EmulatorServer(EmulatorConfig(port=0, scenario="demo")) as gh:
        manifest = manifest_for_base_url(base_url="http://127.0.0.1:9")
        created = requests.post(
            f"{gh.url}/settings/apps/new", data={"manifest": json.dumps(manifest)}, allow_redirects=False, timeout=5
        )
        code = parse_qs(urlsplit(created.headers["Location"]).query)["code"][0]
        slug = requests.post(f"{gh.url}/app-manifests/{code}/conversions", timeout=5).json()["slug"]
        form = {"user": "octo-admin", "account": "acme", "repository_selection": "all"}
        installed = requests.post(
            f"{gh.url}/apps/{slug}/installations/new", data=form, allow_redirects=False, timeout=5
        )
    assert installed.status_code == 303, installed.text
