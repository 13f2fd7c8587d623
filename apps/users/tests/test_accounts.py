"""Sign-up, log in, log out and password reset, as a person goes through them."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from apps.teams.models import Membership, Role
from apps.users.models import User

pytestmark = pytest.mark.django_db


def test_sign_up_creates_the_account_and_a_team_it_administers(client):
    response = client.post(
        reverse("users:signup"),
        {
            "email": "ada@example.com",
            "password1": "a-long-passphrase!",
            "password2": "a-long-passphrase!",
            "team_name": "Analytical Engines",
        },
    )
    membership = Membership.objects.get(user__email="ada@example.com")
    assert membership.role == Role.ADMIN
    assert membership.team.name == "Analytical Engines"
    assert response.status_code == 302
    assert response["Location"] == reverse("web:team_home", kwargs={"team_slug": membership.team.slug})
    assert client.get(response["Location"]).status_code == 200


def test_sign_up_refuses_an_email_already_in_use_whatever_its_case(client, make_user):
    make_user("ada@example.com")
    response = client.post(
        reverse("users:signup"),
        {"email": "ADA@example.com", "password1": "a-long-passphrase!", "password2": "a-long-passphrase!"},
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.count() == 1


def test_log_in_and_log_out(client, make_user):
    make_user("grace@example.com", password="hopper-1906-cobol")
    response = client.post(reverse("users:login"), {"username": "grace@example.com", "password": "hopper-1906-cobol"})
    assert response.status_code == 302
    assert client.get(reverse("web:home")).status_code == 302  # signed in: sent on to a team or team creation
    client.post(reverse("users:logout"))
    assert client.get(reverse("web:home")).status_code == 200  # the public landing page again


def test_wrong_password_is_refused(client, make_user):
    make_user("grace@example.com", password="hopper-1906-cobol")
    response = client.post(reverse("users:login"), {"username": "grace@example.com", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_password_reset_by_email_link(client, make_user):
    make_user("grace@example.com", password="old-password-123")
    client.post(reverse("users:password_reset"), {"email": "grace@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    client.post(set_url, {"new_password1": "brand-new-pass-456", "new_password2": "brand-new-pass-456"})
    client.logout()
    response = client.post(reverse("users:login"), {"username": "grace@example.com", "password": "brand-new-pass-456"})
    assert response.status_code == 302
