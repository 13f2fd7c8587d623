"""The account while logged in: change the password, a message after logging out, and the demo's verification
email shown on the page (as invitation emails are) so a newcomer needs no server log."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.users.models import User

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-enough-passphrase-42"


def test_a_logged_in_user_changes_their_password_with_the_current_one(client):
    user = User.objects.create_user(email="lead@example.com", password=PASSWORD)
    client.force_login(user)
    url = reverse("users:password_change")
    new = "another-long-passphrase-43"

    wrong = client.post(url, {"old_password": "not-it", "new_password1": new, "new_password2": new})
    assert wrong.status_code == 200 and "Your old password was entered incorrectly" in wrong.content.decode()
    page = client.post(url, {"old_password": PASSWORD, "new_password1": new, "new_password2": new}, follow=True)

    assert "Your password is changed." in page.content.decode()
    user.refresh_from_db()
    assert user.check_password(new)
    assert client.get(reverse("users:password_change")).status_code == 200  # still signed in


def test_logging_out_says_so(client):
    client.force_login(User.objects.create_user(email="lead@example.com", password=PASSWORD))
    page = client.post(reverse("users:logout"), follow=True)
    assert "You are logged out." in page.content.decode()


def test_the_demo_shows_the_verification_email_on_the_page_and_its_link_verifies(client, settings):
    settings.EMAIL_SHOWN_ON_PAGE = True
    form = {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD, "team_name": "New"}
    page = client.post(reverse("users:signup"), form, follow=True).content.decode()

    assert 'id="demo-email"' in page and "Demo: the email to new@example.com reads" in page
    link = page.split('id="demo-email"')[1].split('<a href="')[1].split('"')[0]
    assert "/accounts/verify/" in link


def test_outside_the_demo_the_link_stays_in_the_email(client, settings):
    settings.EMAIL_SHOWN_ON_PAGE = False
    form = {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD, "team_name": "New"}
    page = client.post(reverse("users:signup"), form, follow=True).content.decode()
    assert "Check your email" in page and "/accounts/verify/" not in page


def test_a_user_changes_their_email_through_a_link_sent_to_the_new_address(client, mailoutbox):
    user = User.objects.create_user(email="lead@example.com", password=PASSWORD)
    client.force_login(user)

    wrong = client.post(reverse("users:email_change"), {"email": "new@example.com", "password": "not-it"})
    assert wrong.status_code == 400 and "This is not your current password." in wrong.content.decode()
    assert mailoutbox == []
    page = client.post(reverse("users:email_change"), {"email": "New@Example.com", "password": PASSWORD}, follow=True)
    assert "We sent a link to" in page.content.decode()
    user.refresh_from_db()
    assert user.email == "lead@example.com"  # not before the new address proves itself
    assert mailoutbox[-1].to == ["new@example.com"]
    link = next(word for word in mailoutbox[-1].body.split() if "/accounts/email/confirm/" in word)
    path = "/" + link.split("/", 3)[3]  # the link's path, on the test client's host

    assert "Use new@example.com" in client.get(path).content.decode()  # the link alone changes nothing
    user.refresh_from_db()
    assert user.email == "lead@example.com"
    done = client.post(path, follow=True)
    assert "Your email address is now new@example.com." in done.content.decode()
    user.refresh_from_db()
    assert user.email == "new@example.com" and user.email_verified_at is not None
    assert client.post(path).status_code == 400  # used: the account's address is no longer the old one


def test_an_email_change_link_does_nothing_for_another_account(client, mailoutbox):
    user = User.objects.create_user(email="lead@example.com", password=PASSWORD)
    other = User.objects.create_user(email="other@example.com", password=PASSWORD)
    client.force_login(user)
    client.post(reverse("users:email_change"), {"email": "new@example.com", "password": PASSWORD})
    link = next(word for word in mailoutbox[-1].body.split() if "/accounts/email/confirm/" in word)
    client.force_login(other)
    response = client.post("/" + link.split("/", 3)[3])
    assert response.status_code == 400 and "for another account" in response.content.decode()
    other.refresh_from_db()
    assert other.email == "other@example.com"


def test_an_address_another_account_uses_gets_no_email_and_the_page_answers_the_same(client, mailoutbox):
    User.objects.create_user(email="taken@example.com", password=PASSWORD)
    client.force_login(User.objects.create_user(email="lead@example.com", password=PASSWORD))
    page = client.post(reverse("users:email_change"), {"email": "taken@example.com", "password": PASSWORD}, follow=True)
    assert "We sent a link to taken@example.com" in page.content.decode() and mailoutbox == []
