"""Repositories that move between organizations, and access given back: tracking follows the repository's GitHub
id, and every way access comes back imports exactly the gap. Driven by signed webhook deliveries in GitHub's shapes
and by the daily reconciliation, GitHub mocked with ``responses`` (REST and the GraphQL import)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from apps.integrations.models import (
    DeliveryStatus,
    GitHubAppInstallation,
    ImportErrorKind,
    ImportKind,
    ImportStatus,
    InactiveReason,
    InstallationRepository,
    TrackedRepository,
    WebhookDelivery,
)
from apps.integrations.selectors import team_repositories, team_untracked_repository_ids
from apps.integrations.services.reconcile import installation_reconcile
from apps.integrations.services.tracking import repository_track
from apps.integrations.tests.conftest import API
from apps.integrations.tests.factories import (
    InstallationFactory,
    InstallationRepositoryFactory,
    TrackedRepositoryFactory,
)
from apps.integrations.tests.graphql_fake import FakeGraphQL, pr_id, pr_node
from apps.integrations.tests.payloads import (
    installation_event,
    installation_repositories_event,
    pull_request_event,
    repository_transferred_event,
)
from apps.metrics.models import PullRequest

pytestmark = pytest.mark.django_db

REPO = 4242
ALPHA, BETA = (10, "alpha", 100), (20, "beta", 200)  # installation id, organization login, organization id
IMPORTED = datetime(2026, 3, 1, tzinfo=UTC)


def installation(team, spec: tuple[int, str, int], *, selection: str = "selected") -> GitHubAppInstallation:
    installation_id, login, account_id = spec
    return InstallationFactory(
        installation_id=installation_id, team=team, account_login=login, account_id=account_id,
        account_type="Organization", repository_selection=selection,
    )  # fmt: skip


@pytest.fixture
def gql(github, settings) -> FakeGraphQL:
    """GitHub's GraphQL for the catch-up imports, tokens for both organizations' installations."""
    settings.IMPORT_HISTORY_DAYS = 0
    for spec in (ALPHA, BETA):
        github.installation_token(spec[0])
    return FakeGraphQL(github.mock, [])


@pytest.fixture
def alpha_api(team, gql) -> TrackedRepository:
    """``alpha/api`` tracked by the team through its ``alpha`` installation, history imported."""
    alpha = installation(team, ALPHA)
    InstallationRepositoryFactory(installation=alpha, github_repo_id=REPO, full_name="alpha/api")
    return TrackedRepositoryFactory(
        team=team, installation=alpha, github_repo_id=REPO, full_name="alpha/api", last_imported_at=IMPORTED
    )


def send(signed_webhook, event: str, payload: dict) -> None:
    assert signed_webhook(event, payload).status_code == 202
    failed = WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED).values_list("reason", flat=True)
    assert not failed, list(failed)


def open_prs(signed_webhook, spec: tuple[int, str, int], numbers: range) -> None:
    installation_id, login, _ = spec
    for n in numbers:
        payload = pull_request_event(installation_id, repo_id=REPO, full_name=f"{login}/api", pr_id=pr_id(n), number=n)
        send(signed_webhook, "pull_request", payload)


def transferred(to: tuple[int, str, int] = BETA, source: tuple[int, str, int] = ALPHA) -> dict:
    installation_id, login, account_id = to
    return repository_transferred_event(
        installation_id, repo_id=REPO, full_name=f"{login}/api", owner_id=account_id, from_login=source[1],
        from_id=source[2],
    )  # fmt: skip


def access(action: str, spec: tuple[int, str, int], name: str, selection: str = "selected") -> dict:
    installation_id, login, account_id = spec
    return installation_repositories_event(
        action, installation_id, login=login, account_id=account_id, repositories=[(REPO, name)], selection=selection
    )


def counted(team) -> int:
    """The team's PRs of the repository that count in its figures (tracked, or history kept after a move)."""
    if REPO in team_untracked_repository_ids(team=team):
        return 0
    return PullRequest.objects.filter(team=team, github_repo_id=REPO).count()


def gap_pr(number: int) -> dict:
    """A PR updated while no webhook reached the team: only a catch-up import can bring it."""
    return pr_node(number, updated=timezone.now() - timedelta(minutes=1))


# --- a repository transferred between the team's two organizations ------------------------------------------------


@pytest.mark.parametrize("added_first", [False, True], ids=["removed-then-added", "added-then-removed"])
def test_a_repository_moved_to_the_teams_other_organization_keeps_tracking_and_history(
    signed_webhook, team, alpha_api, gql, added_first
):
    installation(team, BETA)
    open_prs(signed_webhook, ALPHA, range(1, 4))
    gql.nodes = [gap_pr(4)]

    send(signed_webhook, "repository", transferred())
    steps = [("removed", ALPHA, "alpha/api"), ("added", BETA, "beta/api")]
    for action, spec, name in reversed(steps) if added_first else steps:
        send(signed_webhook, "installation_repositories", access(action, spec, name))
        if action == steps[0][0]:  # a PR between the two: ignored while the tracking had stopped, then caught up
            open_prs(signed_webhook, BETA, range(4, 5))
    open_prs(signed_webhook, BETA, range(5, 7))

    tracked = TrackedRepository.objects.get(team=team, github_repo_id=REPO)  # one row: the same tracking
    assert (tracked.is_active, tracked.installation.installation_id, tracked.full_name) == (True, 20, "beta/api")
    assert counted(team) == 6
    assert set(PullRequest.objects.filter(team=team).values_list("github_repo", flat=True)) == {"beta/api"}
    listed = [(r.installation.installation_id, r.full_name) for r in team_repositories(team=team)]
    assert listed == [(20, "beta/api")]  # not twice


def test_reconciliation_moves_the_tracking_to_the_organization_that_now_has_the_repository(
    github, team, alpha_api, gql, django_capture_on_commit_callbacks
):
    """Every webhook of the transfer was lost: the daily reconciliation of both installations repairs it."""
    installation(team, BETA)
    gql.nodes = [gap_pr(1)]
    github.installation(10, login="alpha", account_id=100, repository_selection="selected")
    github.repositories(10, [])
    installation_reconcile(installation_id=10)
    github.mock.remove("GET", f"{API}/installation/repositories")
    github.installation(20, login="beta", account_id=200, repository_selection="selected")
    github.repositories(20, [(REPO, "beta/api")])

    with django_capture_on_commit_callbacks(execute=True):  # the catch-up runs as it does without a broker
        installation_reconcile(installation_id=20)

    tracked = TrackedRepository.objects.get(team=team, github_repo_id=REPO)
    assert (tracked.is_active, tracked.installation.installation_id, tracked.full_name) == (True, 20, "beta/api")
    assert tracked.import_kind == ImportKind.CATCH_UP and tracked.import_status == ImportStatus.IDLE
    assert counted(team) == 1  # the PR of the gap, imported


# --- a repository transferred to another team's organization -------------------------------------------------------


def test_a_repository_moved_to_another_teams_organization_is_marked_moved_and_keeps_its_history(
    signed_webhook, team, other_team, alpha_api, gql, django_capture_on_commit_callbacks
):
    installation(other_team, BETA)
    open_prs(signed_webhook, ALPHA, range(1, 4))

    send(signed_webhook, "repository", transferred())
    send(signed_webhook, "installation_repositories", access("removed", ALPHA, "alpha/api"))
    send(signed_webhook, "installation_repositories", access("added", BETA, "beta/api"))
    open_prs(signed_webhook, BETA, range(4, 6))

    old = TrackedRepository.objects.get(team=team, github_repo_id=REPO)
    assert (old.is_active, old.inactive_reason) == (False, InactiveReason.MOVED)
    assert counted(team) == 3  # its history up to the move still counts; nothing after it arrives
    gql.nodes = [pr_node(n, updated=timezone.now()) for n in (1, 2)]
    with django_capture_on_commit_callbacks(execute=True):
        repository_track(team=other_team, github_repo_id=REPO)  # the new owner's team tracks it as usual
    open_prs(signed_webhook, BETA, range(7, 8))
    assert PullRequest.objects.filter(team=other_team, github_repo_id=REPO).count() == 3
    assert counted(team) == 3


# --- transferred into an installation that covers all repositories ------------------------------------------------


def test_a_repository_transferred_into_an_all_repositories_installation_can_be_tracked_at_once(
    signed_webhook, other_team, gql
):
    installation(other_team, BETA, selection="all")
    gql.nodes = [pr_node(1, updated=timezone.now())]

    send(signed_webhook, "repository", transferred())

    assert InstallationRepository.objects.filter(installation__installation_id=20, removed_at=None).count() == 1
    tracked = repository_track(team=other_team, github_repo_id=REPO)
    assert tracked.full_name == "beta/api"


def test_a_transfer_into_the_teams_all_repositories_installation_continues_tracking_without_other_events(
    signed_webhook, team, alpha_api, gql
):
    """``alpha`` covers all repositories, so GitHub sends it nothing; beta covers all too, so no ``added``."""
    GitHubAppInstallation.objects.filter(installation_id=10).update(repository_selection="all")
    installation(team, BETA, selection="all")
    open_prs(signed_webhook, ALPHA, range(1, 4))

    send(signed_webhook, "repository", transferred())
    open_prs(signed_webhook, BETA, range(4, 7))

    tracked = TrackedRepository.objects.get(team=team, github_repo_id=REPO)
    assert (tracked.is_active, tracked.installation.installation_id) == (True, 20)
    assert counted(team) == 6
    assert [r.full_name for r in team_repositories(team=team)] == ["beta/api"]


# --- transferred out: the old installation hears nothing ----------------------------------------------------------


def test_a_repository_transferred_out_to_an_installation_we_know_marks_the_old_team_moved_at_once(
    signed_webhook, team, alpha_api
):
    """The new owner's installation (not linked to any team yet) gets ``repository.transferred``; alpha gets
    nothing, yet the old team no longer sees a healthy repository receiving nothing."""
    InstallationFactory(installation_id=20, account_login="beta", account_id=200, repository_selection="selected")

    send(signed_webhook, "repository", transferred())

    old = TrackedRepository.objects.get(team=team, github_repo_id=REPO)
    assert (old.is_active, old.inactive_reason) == (False, InactiveReason.MOVED)
    assert InstallationRepository.objects.get(installation__installation_id=10).removed_at is not None


def test_reconciliation_marks_a_repository_transferred_out_as_moved(github, team, alpha_api, gql):
    """The transfer's event went to an installation of another tformance (or was lost): reconciling the other
    organization's installation, which now reaches the repository, tells the old team it moved."""
    InstallationFactory(installation_id=20, account_login="beta", account_id=200, repository_selection="all")
    github.installation(20, login="beta", account_id=200, repository_selection="all")
    github.repositories(20, [(REPO, "beta/api")])

    installation_reconcile(installation_id=20)

    old = TrackedRepository.objects.get(team=team, github_repo_id=REPO)
    assert (old.is_active, old.inactive_reason) == (False, InactiveReason.MOVED)


# --- history gaps: every way access comes back imports what happened meanwhile ------------------------------------


def test_a_repository_removed_and_added_back_while_tracked_imports_the_gap(signed_webhook, team, alpha_api, gql):
    open_prs(signed_webhook, ALPHA, range(1, 3))
    send(signed_webhook, "installation_repositories", access("removed", ALPHA, "alpha/api"))
    open_prs(signed_webhook, ALPHA, range(3, 4))  # ignored: access removed
    gql.nodes = [pr_node(3, updated=timezone.now()), gap_pr(4)]

    send(signed_webhook, "installation_repositories", access("added", ALPHA, "alpha/api"))

    tracked = TrackedRepository.objects.get(team=team, github_repo_id=REPO)
    assert (
        tracked.is_active and tracked.import_kind == ImportKind.CATCH_UP and tracked.import_status == ImportStatus.IDLE
    )
    assert counted(team) == 4
    # exactly the gap: from the newest PR known before the removal (minus the overlap), not from the last import
    assert tracked.import_since == datetime(2026, 3, 2, 9, 50, tzinfo=UTC)


def test_a_team_that_disconnects_and_reconnects_imports_the_gap(
    github, team, admin_user, alpha_api, gql, django_capture_on_commit_callbacks
):
    from apps.integrations.services.linking import installation_link_to_team, installation_unlink

    installation_unlink(team=team, installation_id=10, user=admin_user)
    gql.nodes = [gap_pr(1), gap_pr(2)]

    with django_capture_on_commit_callbacks(execute=True):
        installation_link_to_team(installation_id=10, team=team, user=admin_user)

    tracked = TrackedRepository.objects.get(team=team, github_repo_id=REPO)
    assert tracked.is_active and tracked.import_kind == ImportKind.CATCH_UP
    assert counted(team) == 2


def test_an_unsuspend_seen_only_by_reconciliation_resumes_the_paused_import_and_imports_the_gap(
    github, team, alpha_api, gql, django_capture_on_commit_callbacks
):
    tracked = alpha_api
    TrackedRepository.objects.filter(pk=tracked.pk).update(
        last_imported_at=None, import_status=ImportStatus.WAITING, import_kind=ImportKind.HISTORY, import_cursor="",
        import_error_kind=ImportErrorKind.INSTALLATION_INACTIVE,
    )  # fmt: skip
    GitHubAppInstallation.objects.filter(installation_id=10).update(
        status="suspended", suspended_at=timezone.now() - timedelta(days=2)
    )
    gql.nodes = [gap_pr(1), pr_node(2, updated=timezone.now() - timedelta(days=30))]
    github.installation(10, login="alpha", account_id=100, repository_selection="selected", suspended_at=None)
    github.repositories(10, [(REPO, "alpha/api")])

    with django_capture_on_commit_callbacks(execute=True):
        installation_reconcile(installation_id=10)  # the unsuspend webhook was lost

    tracked.refresh_from_db()
    assert tracked.import_status == ImportStatus.IDLE and tracked.last_imported_at is not None
    assert counted(team) == 2  # the paused history import resumed and finished


def test_an_unsuspend_by_webhook_after_a_catch_up_paused_by_the_suspension_keeps_its_range(
    signed_webhook, team, alpha_api, gql
):
    early = timezone.now() - timedelta(days=20)
    TrackedRepository.objects.filter(pk=alpha_api.pk).update(
        import_status=ImportStatus.WAITING, import_kind=ImportKind.CATCH_UP, import_since=early,
        last_imported_at=timezone.now() - timedelta(days=1),
    )  # fmt: skip
    GitHubAppInstallation.objects.filter(installation_id=10).update(status="suspended", suspended_at=timezone.now())
    gql.nodes = [gap_pr(1), pr_node(2, updated=early + timedelta(days=1))]

    payload = installation_event("unsuspend", 10, login="alpha", account_id=100, sender=("owner", 1))
    send(signed_webhook, "installation", payload)

    assert counted(team) == 2
