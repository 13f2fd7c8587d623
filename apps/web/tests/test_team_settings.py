"""Team settings: the name and time zone in one place (no longer on Members), for admins to change and members to
read; where bots are marked; the admin pages for staff."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def url(team, name: str) -> str:
    return reverse(f"teams:{name}", kwargs={"team_slug": team.slug})


def test_an_admin_renames_the_team_and_sets_its_time_zone_in_team_settings(admin_client, team):
    page = admin_client.get(url(team, "settings")).content.decode()
    assert 'id="team-name"' in page and 'id="team-timezone"' in page and url(team, "settings") in page  # in the nav

    renamed = admin_client.post(url(team, "rename"), {"name": "Acme Platform"}, follow=True)
    assert "The team is now called Acme Platform." in renamed.content.decode()
    zoned = admin_client.post(url(team, "set_timezone"), {"timezone": "Europe/Paris"}, follow=True)
    assert (
        zoned.redirect_chain[-1][0] == url(team, "settings")
        and "Time zone set to Europe/Paris." in zoned.content.decode()
    )
    team.refresh_from_db()
    assert (team.name, team.timezone, team.slug) == ("Acme Platform", "Europe/Paris", team.slug)


def test_members_no_longer_holds_the_time_zone_form_and_points_to_settings(admin_client, team):
    page = admin_client.get(url(team, "members")).content.decode()
    assert 'name="timezone"' not in page and "Team settings" in page


def test_a_member_reads_the_settings_but_cannot_rename(client, member_user, team):
    client.force_login(member_user)
    page = client.get(url(team, "settings")).content.decode()
    assert "Only team admins can change them." in page and 'id="team-name"' not in page
    assert client.post(url(team, "rename"), {"name": "Hijacked"}).status_code == 403
    team.refresh_from_db()
    assert team.name == "Acme Engineering"


def test_staff_see_where_the_admin_pages_are(client, admin_user, team):
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    assert reverse("admin:index") in client.get(url(team, "settings")).content.decode()


def test_an_admin_sets_the_production_rule_and_the_deployments_follow_it(admin_client, team):
    from datetime import UTC, datetime

    from apps.metrics.models import Deployment
    from apps.web.tests.test_deployments_page import deployed

    live = deployed(team, 1, environment="live", production=False, created=datetime(2026, 3, 2, tzinfo=UTC))
    page = admin_client.get(url(team, "settings")).content.decode()
    assert 'id="production-rule"' in page and 'value="^prod(uction)?$"' in page

    done = admin_client.post(
        url(team, "set_production_rule"), {"production_environment_rule": "^(live|prod)$"}, follow=True
    )
    assert "Production environments are now those matching ^(live|prod)$." in done.content.decode()
    team.refresh_from_db()
    assert team.production_environment_rule == "^(live|prod)$"
    assert Deployment.objects.get(pk=live.pk).is_production is True


def test_a_bad_production_rule_is_refused_with_the_reason(admin_client, team):
    response = admin_client.post(url(team, "set_production_rule"), {"production_environment_rule": "^prod(uction$"})
    assert response.status_code == 200
    assert "This is not a valid regular expression: missing ) at position 13" in response.content.decode()
    team.refresh_from_db()
    assert team.production_environment_rule == "^prod(uction)?$"


def test_a_member_cannot_change_the_production_rule(client, member_user, team):
    client.force_login(member_user)
    page = client.get(url(team, "settings")).content.decode()
    assert 'id="production-rule"' not in page and "<code>^prod(uction)?$</code>" in page
    assert client.post(url(team, "set_production_rule"), {"production_environment_rule": "x"}).status_code == 403
