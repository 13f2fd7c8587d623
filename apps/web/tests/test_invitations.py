"""Inviting a teammate: the whole way from the admin's form to both of them seeing the team."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from apps.teams.models import Invitation, Membership

pytestmark = pytest.mark.django_db


def _invite(client, team, email="newbie@example.com"):
    client.post(reverse("teams:invite", kwargs={"team_slug": team.slug}), {"email": email, "role": "member"})
    return re.search(r"https?://[^/]+(/\S+)", mail.outbox[-1].body).group(1)


def test_invited_person_signs_up_accepts_and_both_see_the_team(client, admin_client, team, admin_user):
    link = _invite(admin_client, team)
    client.logout()
    assert "Sign up" in client.get(link).content.decode()
    client.post(
        reverse("users:signup"),
        {"email": "newbie@example.com", "password1": "a-long-passphrase!", "password2": "a-long-passphrase!"},
    )
    verify = re.search(r"https?://[^/]+(/accounts/verify/\S+)", mail.outbox[-1].body).group(1)
    assert client.post(verify)["Location"] == link  # signed in, and back to the invitation
    client.post(link)
    team_home = reverse("web:team_home", kwargs={"team_slug": team.slug})
    assert client.get(team_home).status_code == 200
    members_page = client.get(reverse("teams:members", kwargs={"team_slug": team.slug})).content.decode()
    assert "newbie@example.com" in members_page and admin_user.email in members_page


def test_an_invitation_cannot_be_used_by_another_account(client, admin_client, team, make_user):
    link = _invite(admin_client, team)
    client.force_login(make_user("intruder@example.com"))
    client.post(link)
    assert not Membership.objects.filter(team=team, user__email="intruder@example.com").exists()
    assert client.get(reverse("web:team_home", kwargs={"team_slug": team.slug})).status_code == 404


def test_an_invitation_is_single_use_and_expires(client, admin_client, team, make_user):
    link = _invite(admin_client, team)
    invitee = make_user("newbie@example.com")
    client.force_login(invitee)
    client.post(link)
    Membership.objects.filter(team=team, user=invitee).delete()
    client.post(link)  # used already
    assert not Membership.objects.filter(team=team, user=invitee).exists()

    link = _invite(admin_client, team)
    Invitation.objects.filter(accepted_at__isnull=True).update(created_at=timezone.now() - timedelta(days=15))
    client.post(link)
    assert not Membership.objects.filter(team=team, user=invitee).exists()


def test_members_cannot_invite(member_client, team):
    response = member_client.post(
        reverse("teams:invite", kwargs={"team_slug": team.slug}), {"email": "x@example.com", "role": "admin"}
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_the_last_admin_cannot_be_removed(admin_client, team, admin_user):
    membership = Membership.objects.get(team=team, user=admin_user)
    admin_client.post(reverse("teams:member_remove", kwargs={"team_slug": team.slug, "membership_id": membership.pk}))
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_team_switcher_lists_only_my_teams(admin_client, team, other_team):
    page = admin_client.get(reverse("web:team_home", kwargs={"team_slug": team.slug})).content.decode()
    assert team.name in page
    assert other_team.name not in page


def test_an_unverified_address_cannot_accept_until_its_link_is_opened(client, admin_client, team, make_user):
    """The invitation trusts the address, so the address must be proven first."""
    link = _invite(admin_client, team)
    invitee = make_user("newbie@example.com", verified=False)
    client.force_login(invitee)

    page = client.get(link).content.decode()
    assert "Verify your address newbie@example.com first" in page and "Accept invitation" not in page
    client.post(link)
    assert not Membership.objects.filter(team=team, user=invitee).exists()

    client.post(reverse("users:verify_resend"), {"next": link})
    verify = re.search(r"https?://[^/]+(/accounts/verify/\S+)", mail.outbox[-1].body).group(1)
    client.post(verify)
    client.post(link)
    assert Membership.objects.filter(team=team, user=invitee).exists()


def _members_page(client, team) -> str:
    return client.get(reverse("teams:members", kwargs={"team_slug": team.slug})).content.decode()


def test_pending_invitations_list_their_link_to_copy_and_can_be_resent(admin_client, team):
    link = _invite(admin_client, team)
    invitation = Invitation.objects.get()

    page = _members_page(admin_client, team)
    assert re.search(rf'<input type="text" readonly value="https?://[^"]+{re.escape(link)}"', page)
    assert 'data-copy="invitation-link-' in page and "Copy link" in page

    resend = reverse("teams:invitation_resend", kwargs={"team_slug": team.slug, "invitation_id": invitation.pk})
    sent = len(mail.outbox)
    response = admin_client.post(resend, follow=True)
    assert len(mail.outbox) == sent + 1 and link in mail.outbox[-1].body  # the same link, still working
    assert "Invitation sent to newbie@example.com again." in response.content.decode()


def test_a_cancelled_invitation_leaves_the_list_and_its_link_stops_working(client, admin_client, team, make_user):
    link = _invite(admin_client, team)
    invitation = Invitation.objects.get()
    cancel = reverse("teams:invitation_cancel", kwargs={"team_slug": team.slug, "invitation_id": invitation.pk})

    page = admin_client.post(cancel, follow=True).content.decode()

    assert "Invitation of newbie@example.com cancelled" in page and "Pending invitations" not in page
    client.force_login(make_user("newbie@example.com"))
    assert client.get(link).status_code == 404


def test_other_teams_invitations_are_out_of_reach(admin_client, team, other_team):
    _invite(admin_client, team)
    invitation = Invitation.objects.get()
    for name in ("teams:invitation_resend", "teams:invitation_cancel"):
        elsewhere = reverse(name, kwargs={"team_slug": other_team.slug, "invitation_id": invitation.pk})
        assert admin_client.post(elsewhere).status_code == 404
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_members_see_pending_invitations_but_cannot_resend_or_cancel(member_client, team, admin_user):
    invitation = Invitation.objects.create(team=team, email="pat@example.com", invited_by=admin_user)
    for name in ("teams:invitation_resend", "teams:invitation_cancel"):
        url = reverse(name, kwargs={"team_slug": team.slug, "invitation_id": invitation.pk})
        assert member_client.post(url).status_code == 403
    page = _members_page(member_client, team)
    assert "pat@example.com" in page and "Copy link" not in page and "Resend" not in page
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_in_the_demo_the_email_also_shows_on_the_page(admin_client, team, settings):
    settings.EMAIL_SHOWN_ON_PAGE = True
    response = admin_client.post(
        reverse("teams:invite", kwargs={"team_slug": team.slug}), {"email": "pat@example.com", "role": "member"},
        follow=True,
    )  # fmt: skip
    page = response.content.decode()
    assert "Demo: the email to pat@example.com reads" in page
    token = str(Invitation.objects.get(email="pat@example.com").token)
    assert f"/invitations/{token}/" in page
    settings.EMAIL_SHOWN_ON_PAGE = False
    quiet = admin_client.post(
        reverse("teams:invite", kwargs={"team_slug": team.slug}), {"email": "sam@example.com", "role": "member"},
        follow=True,
    )  # fmt: skip
    assert "Demo: the email" not in quiet.content.decode()


def test_a_team_name_with_a_line_break_is_refused_and_an_old_one_still_invites(admin_client, admin_user):
    """Header text is never built from unchecked input: a new name with control characters is a form error, and a
    name saved before that check is flattened to one line in the invitation's subject (no 500)."""
    from apps.teams.services import team_create

    refused = admin_client.post(reverse("teams:create"), {"name": "Acme\nBcc: victim@example.com"})
    assert refused.status_code == 200 and "line breaks" in refused.content.decode()
    assert not Membership.objects.filter(team__name__contains="Bcc").exists()

    old = team_create(name="Acme\r\nBcc: victim@example.com", owner=admin_user)
    answer = admin_client.post(
        reverse("teams:invite", kwargs={"team_slug": old.slug}), {"email": "newbie@example.com", "role": "member"}
    )

    assert answer.status_code == 302
    assert mail.outbox[-1].subject == "You are invited to Acme Bcc: victim@example.com on tformance"
    assert mail.outbox[-1].to == ["newbie@example.com"] and not mail.outbox[-1].bcc


def _invite_answer(client, team, email):
    return client.post(
        reverse("teams:invite", kwargs={"team_slug": team.slug}), {"email": email, "role": "member"}, follow=True
    )


def test_an_account_that_never_verified_its_address_cannot_invite(client, make_user):
    from apps.teams.services import team_create

    unverified = make_user("mallory@example.com", verified=False)
    team = team_create(name="Free gift cards", owner=unverified)
    client.force_login(unverified)

    answer = _invite_answer(client, team, "victim@example.com")

    assert "Verify your address mallory@example.com before inviting anyone" in answer.content.decode()
    assert mail.outbox == [] and not Invitation.objects.filter(team=team).exists()


def test_invitations_to_one_inbox_and_from_one_inviter_or_team_are_bounded_per_hour(admin_client, team, make_user):
    """Flooding an outside inbox (plus-tags reach the same inbox) or anyone's, through one team or one inviter."""
    for n in range(16):
        _invite_answer(admin_client, team, f"outsider+{n}@example.org" if n % 2 else "outsider@example.org")
    assert len(mail.outbox) == 3  # ACCOUNT_EMAILS_PER_ADDRESS
    pending = Invitation.objects.for_team(team).filter(email="outsider@example.org").first()
    resend = admin_client.post(
        reverse("teams:invitation_resend", kwargs={"team_slug": team.slug, "invitation_id": pending.pk}), follow=True
    )
    assert "Too many invitations in the last hour" in resend.content.decode() and len(mail.outbox) == 3

    mail.outbox.clear()
    for n in range(30):
        _invite_answer(admin_client, team, f"person{n}@example.net")
    assert len(mail.outbox) == 20 - 17  # ACCOUNT_INVITATIONS_PER_TEAM: the 16 tries and the resend above count
