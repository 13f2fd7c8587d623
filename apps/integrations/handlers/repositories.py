"""``installation_repositories`` and ``repository`` events: which repositories an installation reaches, and
their names and flags.

``installation_repositories``: ``{"action": "added"|"removed", "installation": {...}, "repository_selection",
"repositories_added": [{"id", "full_name", "private"}], "repositories_removed": [...]}``.
``repository``: ``{"action", "repository": {"id", "full_name", "private", "archived", ...}, "changes",
"installation": {"id"}}`` — its installation object carries only the id. ``transferred`` has
``"changes": {"owner": {"from": {"organization": {...}}}}`` (or ``"user"``) naming the old owner.
"""

from __future__ import annotations

from apps.integrations.handlers.base import DeliveryIgnored, by_action, handles
from apps.integrations.models import WebhookDelivery
from apps.integrations.services.installations import InstallationSnapshot, installation_ensure, installation_refresh
from apps.integrations.services.repositories import (
    RepositoryInfo,
    installation_repositories_access_removed,
    installation_repositories_add,
    installation_repository_created,
    repository_delete,
    repository_rename,
    repository_transferred,
    repository_update_flags,
)
from github_app import InstallationRepositoriesEvent, RepositoryEvent


@handles("installation_repositories", InstallationRepositoriesEvent)
def handle_installation_repositories(event: InstallationRepositoriesEvent, delivery: WebhookDelivery) -> None:
    """added / removed. A removed tracked repository becomes inactive ("access removed"); its data stays."""
    if event.action not in {"added", "removed"}:
        raise DeliveryIgnored(f"installation_repositories.{event.action} is not handled")
    row = installation_refresh(snapshot=InstallationSnapshot.from_event(event.installation))
    added = [RepositoryInfo(r.id, r.full_name, r.private) for r in event.repositories_added]
    removed = [RepositoryInfo(r.id, r.full_name, r.private) for r in event.repositories_removed]
    installation_repositories_add(installation=row, repositories=added)
    installation_repositories_access_removed(installation=row, repositories=removed)


def _deleted(event: RepositoryEvent, delivery: WebhookDelivery) -> None:
    repository_delete(github_repo_id=event.repository.id)


def _snapshot(event: RepositoryEvent, delivery: WebhookDelivery) -> None:
    """The payload's ``repository`` is the current snapshot: its name and flags are the whole of the news."""
    repo = event.repository
    repository_rename(github_repo_id=repo.id, full_name=repo.full_name)
    repository_update_flags(github_repo_id=repo.id, private=repo.private, archived=repo.archived)


def _created(event: RepositoryEvent, delivery: WebhookDelivery) -> None:
    _snapshot(event, delivery)
    if event.installation_id is not None:
        repo = event.repository
        installation_repository_created(
            installation=installation_ensure(installation_id=event.installation_id),
            repository=RepositoryInfo(repo.id, repo.full_name, repo.private, repo.archived),
        )


def _transferred(event: RepositoryEvent, delivery: WebhookDelivery) -> None:
    """Sent to the new owner's installation: there it is a new repository (reached at once when the installation
    covers all repositories, as for ``created``), and it has left the old owner's, named by
    ``changes.owner.from.organization`` (or ``.user``), whose installations get no event of their own."""
    _created(event, delivery)
    repo = event.repository
    moved_from = (event.changes.get("owner") or {}).get("from") or {}
    account = moved_from.get("organization") or moved_from.get("user") or {}
    from_id = account.get("id") if isinstance(account, dict) else None
    to = installation_ensure(installation_id=event.installation_id) if event.installation_id is not None else None
    repository_transferred(
        github_repo_id=repo.id,
        full_name=repo.full_name,
        from_account_id=from_id if isinstance(from_id, int) else None,
        to=to,
    )


_route_repository = by_action(
    "repository",
    {
        "created": _created,
        "transferred": _transferred,
        "deleted": _deleted,
        **dict.fromkeys(("renamed", "archived", "unarchived", "privatized", "publicized", "edited"), _snapshot),
    },
)


@handles("repository", RepositoryEvent)
def handle_repository(event: RepositoryEvent, delivery: WebhookDelivery) -> None:
    """renamed / transferred / archived / unarchived / privatized / publicized / edited / created / deleted.

    Applied by ``github_repo_id`` everywhere the repository appears, whichever installation sent it, so applying
    it twice changes nothing. The installation row is re-created from the id first if it is missing.
    """
    if event.installation_id is not None:
        installation_ensure(installation_id=event.installation_id)
    _route_repository(event, delivery)
