"""``installation`` and ``installation_target`` events: our mirror of each installation and its lifecycle.

GitHub sends these to every App without a subscription. Payload: ``{"action", "installation": {"id",
"account", "repository_selection", "permissions", "events", "suspended_at", ...}, "repositories": [...],
"sender"}``. Each handler first re-creates the installation row from the payload if it is missing.
"""

from __future__ import annotations

import logging

from apps.integrations.handlers.base import DeliveryIgnored
from apps.integrations.models import GitHubAppInstallation, InstallationStatus, WebhookDelivery
from apps.integrations.services.installations import (
    InstallationSnapshot,
    installation_account_rename,
    installation_delete,
    installation_ensure,
    installation_record_installer,
    installation_suspend,
    installation_sync,
    installation_unsuspend,
)
from apps.integrations.services.repositories import (
    RepositoryInfo,
    account_repositories_rename,
    installation_repositories_add,
)
from apps.integrations.services.sync import tracked_repositories_catch_up
from github_app import InstallationEvent, InstallationTargetEvent, WebhookEvent

logger = logging.getLogger(__name__)


def handle_installation(event: WebhookEvent, delivery: WebhookDelivery) -> None:
    """created / deleted / suspend / unsuspend / new_permissions_accepted.

    ``created`` does not link a team: it records the installer (the ``sender``), and only the install callback, with
    the user's own GitHub sign-in, links a team. On unsuspend every
    tracked repository catches up on the pull requests updated since the suspension began (no webhooks came).
    """
    assert isinstance(event, InstallationEvent)
    snapshot = InstallationSnapshot.from_event(event.installation)
    if event.action == "created":
        row = installation_sync(snapshot=snapshot)
        installation_record_installer(installation=row, sender=event.sender)
        if row.status != InstallationStatus.DELETED:
            repos = [RepositoryInfo(r.id, r.full_name, r.private) for r in event.repositories]
            installation_repositories_add(installation=row, repositories=repos)
    elif event.action == "deleted":
        installation_delete(snapshot=snapshot)
    elif event.action == "suspend":
        installation_suspend(snapshot=snapshot)
    elif event.action == "unsuspend":
        row, since = installation_unsuspend(snapshot=snapshot)
        tracked_repositories_catch_up(installation=row, since=since)
    elif event.action == "new_permissions_accepted":
        installation_sync(snapshot=snapshot)
    else:
        raise DeliveryIgnored(f"installation.{event.action} is not handled")
    logger.info("installation.%s applied", event.action)


def handle_installation_target(event: WebhookEvent, delivery: WebhookDelivery) -> None:
    """``installation_target.renamed``: the account (user or organization) changed its login.

    Payload: ``{"action": "renamed", "account": {"id", "login", ...}, "changes": {"login": {"from": "old"}},
    "target_type": "Organization", "installation": {"id"}}``. Repository names ``old/x`` become ``new/x``.
    """
    assert isinstance(event, InstallationTargetEvent)
    if event.action != "renamed":
        raise DeliveryIgnored(f"installation_target.{event.action} is not handled")
    account = event.account
    if event.installation_id is not None:
        installation_ensure(installation_id=event.installation_id)
        GitHubAppInstallation.objects.filter(installation_id=event.installation_id, account_id__isnull=True).update(
            account_id=account.id, account_login=account.login, account_type=account.type
        )
    old_login = ((event.changes.get("login") or {}).get("from")) or ""
    rows = installation_account_rename(account_id=account.id, login=account.login, avatar_url=account.avatar_url)
    if old_login and old_login != account.login:
        account_repositories_rename(installations=rows, old_login=old_login, new_login=account.login)
    logger.info("account %s renamed to %s", account.id, account.login, extra={"installation_id": event.installation_id})
