"""Starting tformance with a missing or unsafe configuration stops with a message saying what to set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_APP_", "DJANGO_", "SECRET_KEY", "DEBUG"))}
    base.update({"GITHUB_APP_CREDENTIALS_FILE": "", "DJANGO_SETTINGS_MODULE": "config.settings", **env})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120
    )


def test_no_webhook_secret_refuses_to_start_and_says_what_to_set():
    result = manage("check", DEBUG="1")
    assert result.returncode != 0
    assert "GITHUB_APP_WEBHOOK_SECRET" in result.stderr


def test_the_wsgi_application_refuses_to_load_without_a_webhook_secret():
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_APP_")}
    env.update(DEBUG="1", DJANGO_SETTINGS_MODULE="config.settings", GITHUB_APP_CREDENTIALS_FILE="")
    result = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "GITHUB_APP_WEBHOOK_SECRET" in result.stderr


def test_with_a_secret_the_checks_pass():
    assert manage("check", DEBUG="1", GITHUB_APP_WEBHOOK_SECRET="s3cret").returncode == 0


def test_production_without_a_secret_key_or_allowed_hosts_stops_with_a_message():
    no_key = manage("check", GITHUB_APP_WEBHOOK_SECRET="s", ALLOWED_HOSTS="example.com")
    assert no_key.returncode != 0 and "SECRET_KEY must be set" in no_key.stderr
    no_hosts = manage("check", GITHUB_APP_WEBHOOK_SECRET="s", SECRET_KEY="k" * 50)
    assert no_hosts.returncode != 0 and "ALLOWED_HOSTS must be set" in no_hosts.stderr


def test_production_settings_are_secure_by_default():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS > 0)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEBUG", "SECURE_", "SESSION_", "CSRF_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY="k" * 50,
        ALLOWED_HOSTS="example.com",
        GITHUB_APP_WEBHOOK_SECRET="s",
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == ["False", "True", "True", "True", "True"], result.stderr


def test_development_without_a_secret_key_signs_with_a_random_key_kept_for_this_checkout_only(tmp_path: Path):
    """A constant key in the public code would let anyone forge a verification link for any development server."""
    show_key = ("shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)")
    env = {"DEBUG": "1", "GITHUB_APP_WEBHOOK_SECRET": "s"}
    first = manage(*show_key, DEV_SECRET_KEY_FILE=str(tmp_path / "a" / "secret_key"), **env)
    again = manage(*show_key, DEV_SECRET_KEY_FILE=str(tmp_path / "a" / "secret_key"), **env)
    other_checkout = manage(*show_key, DEV_SECRET_KEY_FILE=str(tmp_path / "b" / "secret_key"), **env)

    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert len(key) >= 50 and key == again.stdout.strip() and key != other_checkout.stdout.strip()
    assert "insecure" not in key
    assert (tmp_path / "a" / "secret_key").stat().st_mode & 0o777 == 0o600
