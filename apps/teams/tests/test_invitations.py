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
    assert client.get(verify)["Location"] == link  # signed in, and back to the invitation
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
    client.get(verify)
    client.post(link)
    assert Membership.objects.filter(team=team, user=invitee).exists()
