"""One team, two installations: nothing that happens to one changes how the other's events are handled
(docs/architecture.md, invariant 5)."""

from __future__ import annotations

import pytest

from apps.integrations.models import DeliveryStatus, WebhookDelivery
from apps.integrations.tests.factories import InstallationFactory, TrackedRepositoryFactory
from apps.integrations.tests.payloads import installation_event, pull_request_event
from apps.metrics.models import PullRequest

pytestmark = pytest.mark.django_db

ACME, GLOBEX = 71, 72


@pytest.fixture
def two_installations(team):
    acme = InstallationFactory(installation_id=ACME, team=team, account_id=1, account_login="acme")
    globex = InstallationFactory(installation_id=GLOBEX, team=team, account_id=2, account_login="globex")
    TrackedRepositoryFactory(team=team, installation=acme, github_repo_id=701, full_name="acme/api")
    TrackedRepositoryFactory(team=team, installation=globex, github_repo_id=702, full_name="globex/portal")
    return acme, globex


def outcome(delivery_id: str) -> tuple[str, str]:
    delivery = WebhookDelivery.objects.get(delivery_id=delivery_id)
    return delivery.status, delivery.reason


@pytest.mark.parametrize("action", ["deleted", "suspend"])
def test_one_installation_gone_leaves_the_others_pull_requests_counted(signed_webhook, team, two_installations, action):
    signed_webhook(
        "installation", installation_event(action, ACME, login="acme", account_id=1, sender=("octo-admin", 9))
    )

    globex_pr = pull_request_event(GLOBEX, repo_id=702, full_name="globex/portal", pr_id=9001, number=1)
    signed_webhook("pull_request", globex_pr, delivery_id="globex-pr")

    assert outcome("globex-pr") == (DeliveryStatus.PROCESSED, "")
    assert PullRequest.objects.filter(team=team, github_pr_id=9001).exists()


def test_the_deleted_installations_own_events_are_still_ignored(signed_webhook, team, two_installations):
    signed_webhook(
        "installation", installation_event("deleted", ACME, login="acme", account_id=1, sender=("octo-admin", 9))
    )

    acme_pr = pull_request_event(ACME, repo_id=701, full_name="acme/api", pr_id=9002, number=2)
    signed_webhook("pull_request", acme_pr, delivery_id="acme-pr")

    assert outcome("acme-pr")[0] == DeliveryStatus.IGNORED
    assert not PullRequest.objects.filter(github_pr_id=9002).exists()


def test_a_deleted_installation_cannot_deliver_for_a_repository_of_its_teams_other_installation(
    signed_webhook, team, two_installations
):
    """A deleted installation's id never lends its team to a repository, not even one another installation of the
    same team reaches."""
    signed_webhook(
        "installation", installation_event("deleted", ACME, login="acme", account_id=1, sender=("octo-admin", 9))
    )
    spoof = pull_request_event(ACME, repo_id=702, full_name="globex/portal", pr_id=9003, number=3)
    signed_webhook("pull_request", spoof, delivery_id="spoof")
    assert outcome("spoof")[0] == DeliveryStatus.IGNORED
