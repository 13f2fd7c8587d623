"""Sign-up, log in, log out and password reset, as a person goes through them."""

import re
import time
from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from apps.teams.models import Membership, Role
from apps.users.models import User

pytestmark = pytest.mark.django_db


def sign_up(client, email: str, password: str = "a-long-passphrase!", team_name: str = ""):
    return client.post(
        reverse("users:signup"),
        {"email": email, "password1": password, "password2": password, "team_name": team_name},
    )


def link_in(message, path: str) -> str:
    return re.search(rf"https?://[^/]+({path}\S+)", message.body).group(1)


def test_sign_up_sends_a_link_that_verifies_the_address_and_opens_the_new_team(client):
    response = sign_up(client, "ada@example.com", team_name="Analytical Engines")

    assert response.status_code == 302 and response["Location"] == reverse("users:signup_sent")
    assert "_auth_user_id" not in client.session
    assert "We sent a link to" in client.get(response["Location"]).content.decode()
    user = User.objects.get(email="ada@example.com")
    membership = Membership.objects.get(user=user)
    assert membership.role == Role.ADMIN and membership.team.name == "Analytical Engines"
    assert not user.is_email_verified

    page = client.get(link_in(mail.outbox[-1], "/accounts/verify/"))
    assert page.status_code == 200 and "Verify ada@example.com" in page.content.decode()
    opened = client.post(link_in(mail.outbox[-1], "/accounts/verify/"))

    assert opened["Location"] == reverse("web:team_home", kwargs={"team_slug": membership.team.slug})
    assert client.get(opened["Location"]).status_code == 200
    user.refresh_from_db()
    assert user.is_email_verified
    client.logout()
    again = client.post(link_in(mail.outbox[-1], "/accounts/verify/"))  # a used link signs nobody in
    assert again["Location"] == reverse("users:login") and "_auth_user_id" not in client.session


def test_sign_up_answers_the_same_whether_or_not_the_address_has_an_account(client, make_user):
    """Nobody can learn from the sign-up form who has an account; the owner is told someone tried."""
    make_user("ada@example.com")
    for_new = sign_up(client, "newcomer@example.com")
    for_existing = sign_up(client, "ADA@example.com")

    assert (for_new.status_code, for_new["Location"]) == (for_existing.status_code, for_existing["Location"])
    assert "already exists" not in client.get(for_existing["Location"]).content.decode()
    assert User.objects.filter(email__iexact="ada@example.com").count() == 1
    assert mail.outbox[-1].to == ["ada@example.com"] and "tried to sign up" in mail.outbox[-1].subject


def test_an_expired_or_forged_verification_link_is_refused(client):
    sign_up(client, "ada@example.com")
    link = link_in(mail.outbox[-1], "/accounts/verify/")
    with mock.patch("django.core.signing.time.time", return_value=time.time() + 4 * 24 * 3600):
        expired = client.post(link)
    assert expired.status_code == 400 and "expired" in expired.content.decode()
    assert client.post(link[:-3] + "xyz/").status_code == 400
    assert not User.objects.get(email="ada@example.com").is_email_verified
    assert "_auth_user_id" not in client.session


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


def log_in(client, email: str, password: str, ip: str = "203.0.113.7"):
    return client.post(reverse("users:login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_thirty_wrong_passwords_then_the_right_one_is_still_refused(client, make_user):
    make_user("grace@example.com", password="hopper-1906-cobol")
    answers = [log_in(client, "grace@example.com", f"guess-{n}").status_code for n in range(30)]

    right = log_in(client, "grace@example.com", "hopper-1906-cobol")

    assert answers[:4] == [200] * 4 and set(answers[4:]) == {429}  # the fifth wrong password locks
    assert right.status_code == 429 and "_auth_user_id" not in client.session
    page = right.content.decode()
    assert "Too many failed log-ins" in page and "Try again in 15 minutes" in page and "reset your password" in page


def test_guessing_from_one_address_pauses_that_address_for_the_account_not_the_owner(client, make_user):
    """Five wrong passwords from anywhere used to lock the owner out wherever she was."""
    make_user("grace@example.com", password="hopper-1906-cobol")
    make_user("ada@example.com", password="lovelace-1843-notes")
    for n in range(5):  # one attacker address, one account (typed in any case)
        log_in(client, "Grace@Example.com" if n % 2 else "grace@example.com", f"guess-{n}", ip="198.51.100.1")

    assert log_in(client, "grace@example.com", "hopper-1906-cobol", ip="198.51.100.1").status_code == 429
    assert log_in(client, "grace@example.com", "hopper-1906-cobol", ip="192.0.2.50").status_code == 302
    client.logout()
    assert log_in(client, "ada@example.com", "lovelace-1843-notes", ip="198.51.100.1").status_code == 302


def test_logging_in_to_ones_own_account_does_not_reset_the_count_of_the_address(client, make_user):
    """4 wrong passwords, then a log-in to the attacker's own account, repeated, used to never pause."""
    make_user("mallory@example.com", password="mallorys-own-pass")
    for n in range(6):
        make_user(f"victim{n}@example.com")
    answers = []
    for n in range(6):
        answers += [log_in(client, f"victim{n}@example.com", f"guess-{k}").status_code for k in range(4)]
        own = log_in(client, "mallory@example.com", "mallorys-own-pass")
        client.logout()

    assert answers[:19] == [200] * 19 and set(answers[19:]) == {429}  # LOGIN_FAILURES_PER_CLIENT: 20
    assert own.status_code == 429  # the address is paused for every account
    assert log_in(client, "mallory@example.com", "mallorys-own-pass", ip="192.0.2.50").status_code == 302


def test_guessing_one_account_from_many_addresses_slows_it_down_without_locking_the_owner_out(client, make_user):
    make_user("grace@example.com", password="hopper-1906-cobol")
    now = time.time()
    with mock.patch("apps.users.throttling.time.time", return_value=now):
        guesses = [log_in(client, "grace@example.com", f"guess-{n}", ip=f"198.51.100.{n}") for n in range(1, 11)]
        waiting = log_in(client, "grace@example.com", "hopper-1906-cobol", ip="192.0.2.50")
        more = log_in(client, "grace@example.com", "guess-11", ip="198.51.100.11")  # refused, not counted
    assert [g.status_code for g in guesses] == [200] * 9 + [429]  # LOGIN_ACCOUNT_BACKOFF_AFTER: 10
    assert waiting.status_code == 429 and "Try again in 2 seconds" in waiting.content.decode()
    assert waiting["Retry-After"] == "2" and more.status_code == 429
    with mock.patch("apps.users.throttling.time.time", return_value=now + 2):
        assert log_in(client, "grace@example.com", "hopper-1906-cobol", ip="192.0.2.50").status_code == 302


def test_a_successful_log_in_clears_the_count(client, make_user):
    make_user("grace@example.com", password="hopper-1906-cobol")
    for n in range(4):
        log_in(client, "grace@example.com", f"guess-{n}")
    assert log_in(client, "grace@example.com", "hopper-1906-cobol").status_code == 302
    client.logout()
    for n in range(4):
        log_in(client, "grace@example.com", f"typo-{n}")
    assert log_in(client, "grace@example.com", "hopper-1906-cobol").status_code == 302


def test_a_password_reset_lets_the_locked_out_owner_back_in_at_once(client, make_user):
    """Also for an address saved in mixed case (counts are kept lower-cased; the reset used to miss them)."""
    make_user("Grace@Example.com", password="hopper-1906-cobol")
    for n in range(6):
        log_in(client, "Grace@example.com", f"guess-{n}", ip="192.0.2.50")
    client.post(reverse("users:password_reset"), {"email": "Grace@example.com"}, REMOTE_ADDR="192.0.2.50")
    link = link_in(mail.outbox[-1], "/accounts/password-reset/")
    form_page = client.get(link, follow=True, REMOTE_ADDR="192.0.2.50")
    new = {"new_password1": "new-pass-2026!", "new_password2": "new-pass-2026!"}
    client.post(form_page.redirect_chain[-1][0], new, REMOTE_ADDR="192.0.2.50")

    assert log_in(client, "Grace@example.com", "new-pass-2026!", ip="192.0.2.50").status_code == 302


def test_password_reset_answers_the_same_for_any_address_and_sends_at_most_three_an_hour(client, make_user):
    make_user("grace@example.com")
    unknown = client.post(reverse("users:password_reset"), {"email": "nobody@example.com"})
    known = [client.post(reverse("users:password_reset"), {"email": "grace@example.com"}) for _ in range(10)]

    assert {(r.status_code, r["Location"]) for r in [unknown, *known]} == {(302, reverse("users:password_reset_done"))}
    assert [m.to for m in mail.outbox] == [["grace@example.com"]] * 3


def test_the_reset_link_leaves_the_address_bar_on_first_use_and_a_logged_copy_is_void_once_used(client, make_user):
    """An access log keeps the emailed link: Django moves the token into the session at once (the address bar and
    later log lines no longer carry it), and once the password is set the logged link is refused."""
    make_user("grace@example.com", password="old-password-123")
    client.post(reverse("users:password_reset"), {"email": "grace@example.com"})
    link = link_in(mail.outbox[-1], "/accounts/password-reset/")
    token = link.rstrip("/").rsplit("/", 1)[-1]

    opened = client.get(link)

    assert opened.status_code == 302 and token not in opened["Location"]
    assert opened["Location"].endswith("/set-password/")
    form = client.get(opened["Location"])
    assert token not in form.content.decode() and "new_password1" in form.content.decode()
    done = client.post(opened["Location"], {"new_password1": "new-pass-2026!", "new_password2": "new-pass-2026!"})
    assert done.status_code == 302 and done["Location"] == reverse("users:password_reset_complete")
    replay = Client().get(link, follow=True)
    assert "This reset link is invalid or has already been used" in replay.content.decode()
    assert "new_password1" not in replay.content.decode()


def test_a_verification_link_only_verifies_after_the_button_on_the_page_that_names_the_account(client):
    """Opening a link (or a mail scanner fetching it) changes nothing; the page says which account it is for."""
    sign_up(client, "ada@example.com")
    link = link_in(mail.outbox[-1], "/accounts/verify/")
    visitor = Client()

    page = visitor.get(link)

    assert page.status_code == 200 and "Verify ada@example.com?" in page.content.decode()
    assert not User.objects.get(email="ada@example.com").is_email_verified and "_auth_user_id" not in visitor.session
    assert visitor.post(link).status_code == 302
    assert User.objects.get(email="ada@example.com").is_email_verified


def test_an_attackers_verification_link_never_signs_a_signed_in_owner_into_the_attackers_account(client, make_user):
    """Log-in CSRF: the owner, signed in, opens the attacker's unused link; they stay themselves."""
    attacker = Client()
    sign_up(attacker, "mallory@example.com", team_name="Mallory's trap")
    link = link_in(mail.outbox[-1], "/accounts/verify/")
    owner = make_user("owner@example.com")
    client.force_login(owner)

    shown = client.get(link)
    pressed = client.post(link)

    assert "You are signed in as" in shown.content.decode() and "owner@example.com" in shown.content.decode()
    assert pressed.status_code == 403 and client.session["_auth_user_id"] == str(owner.pk)
    assert not User.objects.get(email="mallory@example.com").is_email_verified


def test_verifying_an_address_someone_else_registered_ends_their_sessions_and_password(client, make_user):
    """Pre-hijack: the attacker signs up with the victim's address and stays signed in; the victim verifies."""
    attacker = Client()
    sign_up(attacker, "victim@example.com", password="attackers-pass-123")
    link = link_in(mail.outbox[-1], "/accounts/verify/")
    assert log_in(attacker, "victim@example.com", "attackers-pass-123").status_code == 302
    victim = Client()

    assert "choose the account's password next" in victim.get(link).content.decode()
    verified = victim.post(link)

    assert verified["Location"] == reverse("users:set_password")
    chosen = victim.post(
        verified["Location"], {"new_password1": "victims-own-2026", "new_password2": "victims-own-2026"}
    )
    assert chosen.status_code == 302 and victim.get(chosen["Location"]).status_code == 200
    assert attacker.get(reverse("teams:create"))["Location"].startswith(reverse("users:login"))  # session ended
    assert "_auth_user_id" not in attacker.session
    assert log_in(Client(), "victim@example.com", "attackers-pass-123", ip="192.0.2.8").status_code == 200
    assert log_in(Client(), "victim@example.com", "victims-own-2026", ip="192.0.2.8").status_code == 302


def test_the_browser_that_signed_up_keeps_its_password_when_it_verifies(client):
    sign_up(client, "ada@example.com", password="adas-own-pass-1843")
    client.post(link_in(mail.outbox[-1], "/accounts/verify/"))
    client.logout()
    assert log_in(client, "ada@example.com", "adas-own-pass-1843").status_code == 302


def test_sign_ups_from_one_client_address_and_verification_mails_to_one_inbox_are_bounded_per_hour(client):
    """12 accounts from one address, or a verification mail per plus-tag to one inbox, were all accepted."""
    answers = [sign_up(client, f"user{n}@example.com", team_name=f"Team {n}") for n in range(12)]

    assert [a.status_code for a in answers] == [302] * 5 + [429] * 7  # ACCOUNT_SIGNUPS_PER_CLIENT
    assert "Too many sign-ups from your network" in answers[-1].content.decode()
    assert User.objects.count() == 5
    assert sign_up(Client(REMOTE_ADDR="192.0.2.77"), "elsewhere@example.com").status_code == 302

    mail.outbox.clear()
    for n in range(10):
        sign_up(Client(REMOTE_ADDR=f"198.51.100.{n + 1}"), f"box+{n}@example.org")
    assert len(mail.outbox) == 3  # ACCOUNT_EMAILS_PER_ADDRESS, counted per inbox
