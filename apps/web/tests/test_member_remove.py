"""Removing a member: only a membership of this team; any other id is a 404 and changes nothing."""

import pytest
from django.urls import reverse

from apps.teams.models import Membership

pytestmark = pytest.mark.django_db


def remove(client, team, membership_id):
    url = reverse("teams:member_remove", kwargs={"team_slug": team.slug, "membership_id": membership_id})
    return client.post(url)


def test_removing_a_member_of_another_team_is_a_404_and_keeps_them(admin_client, team, other_team):
    theirs = Membership.objects.get(team=other_team)
    response = remove(admin_client, team, theirs.pk)
    assert response.status_code == 404
    assert Membership.objects.filter(pk=theirs.pk).exists()


def test_removing_an_id_that_does_not_exist_is_a_404(admin_client, team):
    assert remove(admin_client, team, 10**9).status_code == 404


def test_removing_a_member_of_this_team_still_works(admin_client, team, member_user):
    membership = Membership.objects.get(team=team, user=member_user)
    response = remove(admin_client, team, membership.pk)
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
