"""Freshness: when processing stalls and an import is rate-limited, the dashboard says so above the figures, with
what is being done, and the repository page's freshness line shows each number."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.integrations.models import (
    DeliveryStatus,
    GitHubAppInstallation,
    ImportErrorKind,
    ImportStatus,
    InstallationStatus,
    TrackedRepository,
    WebhookDelivery,
)
from apps.integrations.selectors_freshness import NOTICE_KINDS, InstallationFreshness, Notice, RepositoryFreshness
from apps.integrations.services.import_run import tracked_repository_import
from apps.integrations.services.processing import delivery_process
from apps.integrations.services.tracking import tracked_repository_import_schedule
from apps.integrations.tests.graphql_fake import FakeGraphQL, history
from apps.integrations.tests.test_import_run import INSTALLATION_ID, link_installation
from apps.metrics.services import pull_request_upsert
from apps.metrics.tests.factories import SnapshotFactory

pytestmark = pytest.mark.django_db
GRAPHQL = "https://api.github.com/graphql"
REPOSITORY_NOTICES = ("import_stalled", "catching_up", "importing", "import_paused", "import_failed", "not_imported")


@pytest.fixture
def world(team, github, settings, use_broker):
    """acme/api tracked on an installation of acme, with one PR stored (the dashboard has data); nothing runs."""
    use_broker("memory://")  # deliveries and imports are queued, never run: a worker that is not there
    settings.IMPORT_HISTORY_DAYS = 0
    github.installation_token(INSTALLATION_ID)
    installation = link_installation(team)
    repo = installation.repositories.get()
    tracked = TrackedRepository.objects.create(
        team=team, installation=installation, github_repo_id=repo.github_repo_id, full_name=repo.full_name
    )
    pull_request_upsert(team=team, snapshot=SnapshotFactory(github_repo_id=repo.github_repo_id))
    return tracked


def dashboard(client, team) -> str:
    return client.get(reverse("dashboard:index", kwargs={"team_slug": team.slug})).content.decode()


def repository_page(client, team) -> str:
    return client.get(reverse("integrations:github_repositories", kwargs={"team_slug": team.slug})).content.decode()


def test_stalled_processing_and_a_rate_limited_import_are_said_above_the_figures(
    world,
    github,
    signed_webhook,
    github_payload,
    member_client,
    team,
):
    # An import that read one page of 120 PRs, then ran into GitHub's rate limit.
    gql = FakeGraphQL(github.mock, history(120))
    gql.remaining = 10
    tracked_repository_import_schedule(tracked_repository=world)
    tracked_repository_import(tracked_repository_id=world.pk)
    world.refresh_from_db()
    assert world.import_status == ImportStatus.WAITING and world.import_count == 50
    # Three events GitHub sent five minutes ago that no worker has processed, and one failing that is retried.
    payload = copy.deepcopy(github_payload("pull_request/opened.payload.json"))
    payload["installation"] = {"id": INSTALLATION_ID}
    payload["repository"]["id"] = world.github_repo_id
    for n in range(4):
        assert signed_webhook("pull_request", payload, delivery_id=f"stalled-{n}").status_code == 202
    WebhookDelivery.objects.update(received_at=timezone.now() - timedelta(minutes=5))
    WebhookDelivery.objects.filter(delivery_id="stalled-3").update(attempts=1, reason="OperationalError")

    page = dashboard(member_client, team)
    notice = page[page.index('id="data-notice"') : page.index('aria-label="Filters"')]
    assert "Some figures are behind" in notice
    assert "3 events from GitHub for acme are waiting to be processed, the oldest for 5" in notice
    assert "workers process them in order" in notice
    assert "1 event for acme failed to process and is being retried" in notice
    assert "The import of acme/api is paused (50 of 120 pull requests): GitHub rate-limited it" in notice
    assert "It resumes by itself around" in notice and "when the rate limit resets" in notice
    assert page.index('id="data-notice"') < page.index('class="grid stats"')  # above the figures
    line = page[page.index('id="freshness"') :].split("</p>")[0]
    assert "history complete for 0" in line and "3 waiting to be processed" in line and "1 being retried" in line

    repos = repository_page(member_client, team)
    row = repos[repos.index('data-repository="acme/api"') :].split("</tr>")[0]
    cells = [c.split("</td>")[0].strip() for c in row.split("<td>")[1:]]
    assert cells[0] == "acme/api" and cells[1].endswith("minutes ago") and cells[2] == "50 of 120"
    assert cells[3] == "3" and cells[4].startswith("1") and cells[5] == "active"


def _processed_event(signed_webhook, github_payload, *, github_repo_id: int, delivery_id: str) -> None:
    """A pull_request event of that repository, stored by the webhook and processed as a worker would."""
    payload = copy.deepcopy(github_payload("pull_request/opened.payload.json"))
    payload["installation"] = {"id": INSTALLATION_ID}
    payload["repository"]["id"] = github_repo_id
    assert signed_webhook("pull_request", payload, delivery_id=delivery_id).status_code == 202
    delivery_process(delivery_pk=WebhookDelivery.objects.get(delivery_id=delivery_id).pk)
    assert WebhookDelivery.objects.get(delivery_id=delivery_id).status == DeliveryStatus.PROCESSED


def test_fresh_data_has_no_notice_and_a_suspended_installation_says_what_to_do(
    world, member_client, team, signed_webhook, github_payload
):
    TrackedRepository.objects.filter(pk=world.pk).update(last_imported_at=timezone.now())
    _processed_event(signed_webhook, github_payload, github_repo_id=world.github_repo_id, delivery_id="done")
    page = dashboard(member_client, team)
    assert 'id="data-notice"' not in page
    assert "history complete for 1" in page and "last event from GitHub 0" in page

    world.installation.status = InstallationStatus.SUSPENDED
    world.installation.save()
    page = dashboard(member_client, team)
    assert "The GitHub App is suspended on acme" in page and "can unsuspend the App" in page
    assert "<td>suspended</td>" in repository_page(member_client, team)


def test_github_refusing_the_apps_credentials_is_an_installation_problem_with_what_to_do(
    world, github, member_client, team
):
    github.mock.replace(
        "POST",
        f"https://api.github.com/app/installations/{INSTALLATION_ID}/access_tokens",
        json={"message": "A JSON web token could not be decoded"},
        status=401,
    )
    tracked_repository_import_schedule(tracked_repository=world)
    tracked_repository_import(tracked_repository_id=world.pk)
    world.refresh_from_db()
    assert world.import_status == ImportStatus.FAILED, world.import_error

    page = dashboard(member_client, team)
    assert "GitHub refuses the App's credentials for acme (GitHub answered 401" in page
    assert "A JSON web token could not be decoded): imports of its repositories stopped" in page
    assert "check the App's id and private key" in page
    assert "<td>token problems</td>" in repository_page(member_client, team)


def test_each_repository_shows_its_own_events_not_its_installations(
    world, member_client, team, signed_webhook, github_payload
):
    """Two repositories of one installation: what waits, and the last event, are each repository's own."""
    other = world.installation.repositories.create(github_repo_id=world.github_repo_id + 1, full_name="acme/web")
    TrackedRepository.objects.create(
        team=team, installation=world.installation, github_repo_id=other.github_repo_id, full_name="acme/web"
    )
    _processed_event(signed_webhook, github_payload, github_repo_id=world.github_repo_id, delivery_id="api-done")
    payload = copy.deepcopy(github_payload("pull_request/opened.payload.json"))
    payload["installation"] = {"id": INSTALLATION_ID}
    payload["repository"]["id"] = world.github_repo_id
    assert signed_webhook("pull_request", payload, delivery_id="api-waiting").status_code == 202

    page = repository_page(member_client, team)

    def cells(name: str) -> list[str]:
        row = page[page.index(f'data-repository="{name}"') :].split("</tr>")[0]
        return [c.split("</td>")[0].strip() for c in row.split("<td>")[1:]]

    assert cells("acme/api")[1].startswith("0") and cells("acme/api")[1].endswith("ago") and cells("acme/api")[3] == "1"
    assert cells("acme/web")[1] == "none yet" and cells("acme/web")[3] == "0"


@pytest.mark.parametrize("kind", NOTICE_KINDS)
def test_every_notice_kind_is_worded_with_what_it_is_about_and_what_is_done(kind):
    """The notices' sentences live in the template: a kind without them would show the admin an empty line."""
    installation = GitHubAppInstallation(installation_id=7, account_login="acme")
    tracked = TrackedRepository(
        full_name="acme/api", import_status=ImportStatus.FAILED, import_error_kind=ImportErrorKind.GITHUB_ERROR
    )
    notice = Notice(
        kind,
        installation=InstallationFreshness(installation, waiting=2, oldest_waiting_at=None, retrying=1, failed=1),
        repository=RepositoryFreshness(tracked, None),
    )
    what, _, doing = render_to_string("dashboard/_notice.html", {"n": notice}).partition('<span class="muted">')
    assert ("acme/api" if kind in REPOSITORY_NOTICES else "acme") in what and doing.strip() != "</span>"


@pytest.mark.parametrize("kind", ImportErrorKind.values)
def test_every_import_failure_kind_is_worded(kind):
    words = render_to_string("integrations/_import_error.html", {"kind": kind, "detail": "GitHub's answer"})
    assert words.strip().endswith((".", "GitHub&#x27;s answer")) and len(words) > 20
