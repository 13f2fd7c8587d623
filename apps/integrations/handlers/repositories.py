"""``installation_repositories`` and ``repository`` events: which repositories an installation reaches, and
their names and flags.

``installation_repositories``: ``{"action": "added"|"removed", "installation": {...}, "repository_selection",
"repositories_added": [{"id", "full_name", "private"}], "repositories_removed": [...]}``.
``repository``: ``{"action", "repository": {"id", "full_name", "private", "archived", ...}, "changes",
"installation": {"id"}}`` — its installation object carries only the id.
"""

from __future__ import annotations

from apps.integrations.handlers.base import DeliveryIgnored
from apps.integrations.models import GitHubAppInstallation, InstallationStatus, WebhookDelivery
from apps.integrations.services.installations import InstallationSnapshot, installation_ensure, installation_sync
from apps.integrations.services.repositories import (
    RepositoryInfo,
    installation_repositories_add,
    installation_repositories_remove,
    installation_repository_remove_stub,
    repository_delete,
    repository_rename,
    repository_update_flags,
)
from github_app import InstallationRepositoriesEvent, RepositoryEvent, WebhookEvent

REPOSITORY_ACTIONS = frozenset(
    {"created", "renamed", "transferred", "archived", "unarchived", "privatized", "publicized", "edited"}
)


def handle_installation_repositories(event: WebhookEvent, delivery: WebhookDelivery) -> None:
    """added / removed. A removed tracked repository becomes inactive ("access removed"); its data stays."""
    assert isinstance(event, InstallationRepositoriesEvent)
    if event.action not in {"added", "removed"}:
        raise DeliveryIgnored(f"installation_repositories.{event.action} is not handled")
    row = installation_sync(snapshot=InstallationSnapshot.from_event(event.installation))
    added = [RepositoryInfo(r.id, r.full_name, r.private) for r in event.repositories_added]
    installation_repositories_add(installation=row, repositories=added)
    for ref in event.repositories_removed:
        installation_repository_remove_stub(installation=row, repo=RepositoryInfo(ref.id, ref.full_name, ref.private))
    installation_repositories_remove(installation=row, github_repo_ids=[r.id for r in event.repositories_removed])


def handle_repository(event: WebhookEvent, delivery: WebhookDelivery) -> None:
    """renamed / transferred / archived / unarchived / privatized / publicized / edited / created / deleted.

    Applied by ``github_repo_id`` everywhere the repository appears, whichever installation sent it: the
    payload's ``repository`` is the current snapshot, so applying it twice changes nothing.
    """
    assert isinstance(event, RepositoryEvent)
    repo = event.repository
    if event.installation_id is not None:
        installation_ensure(installation_id=event.installation_id)
    if event.action == "deleted":
        repository_delete(github_repo_id=repo.id)
        return
    if event.action not in REPOSITORY_ACTIONS:
        raise DeliveryIgnored(f"repository.{event.action} is not handled")
    repository_rename(github_repo_id=repo.id, full_name=repo.full_name)
    repository_update_flags(github_repo_id=repo.id, private=repo.private, archived=repo.archived)
    if event.action == "created" and event.installation_id is not None:
        installation = GitHubAppInstallation.objects.get(installation_id=event.installation_id)
        # A new repository is reachable at once only when the installation covers all repositories; a
        # "selected" installation gets an installation_repositories.added of its own.
        if installation.repository_selection == "all" and installation.status != InstallationStatus.DELETED:
            info = RepositoryInfo(repo.id, repo.full_name, repo.private, repo.archived)
            installation_repositories_add(installation=installation, repositories=[info])
