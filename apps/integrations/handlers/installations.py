"""``installation`` and ``installation_target`` events: our mirror of each installation and its lifecycle.

GitHub sends these to every App without a subscription. Payload: ``{"action", "installation": {"id",
"account", "repository_selection", "permissions", "events", "suspended_at", ...}, "repositories": [...],
"sender"}``. Each handler first re-creates the installation row from the payload if it is missing.
"""

from __future__ import annotations

import logging

from apps.integrations.handlers.base import DeliveryIgnored, by_action, handles
from apps.integrations.models import InstallationStatus, WebhookDelivery
from apps.integrations.services.installations import (
    InstallationSnapshot,
    installation_account_rename,
    installation_delete,
    installation_ensure,
    installation_record_installer,
    installation_refresh,
    installation_suspend,
    installation_unsuspend,
)
from apps.integrations.services.repositories import (
    RepositoryInfo,
    account_repositories_rename,
    installation_repositories_add,
)
from github_app import InstallationEvent, InstallationTargetEvent

logger = logging.getLogger(__name__)


def _created(event: InstallationEvent, delivery: WebhookDelivery) -> None:
    """``created`` does not link a team: it records the installer (the ``sender``); only the install callback, with
    the user's own GitHub sign-in, links a team."""
    row = installation_refresh(snapshot=InstallationSnapshot.from_event(event.installation))
    installation_record_installer(installation=row, sender=event.sender)
    if row.status != InstallationStatus.DELETED:
        repos = [RepositoryInfo(r.id, r.full_name, r.private) for r in event.repositories]
        installation_repositories_add(installation=row, repositories=repos)


def _deleted(event: InstallationEvent, delivery: WebhookDelivery) -> None:
    installation_delete(snapshot=InstallationSnapshot.from_event(event.installation))


def _suspend(event: InstallationEvent, delivery: WebhookDelivery) -> None:
    installation_suspend(snapshot=InstallationSnapshot.from_event(event.installation))


def _unsuspend(event: InstallationEvent, delivery: WebhookDelivery) -> None:
    """Every tracked repository catches up on the gap (no webhooks came meanwhile) and the imports the suspension
    paused resume: ``installation_refresh`` does it whenever an installation becomes active again."""
    installation_unsuspend(snapshot=InstallationSnapshot.from_event(event.installation))


def _new_permissions_accepted(event: InstallationEvent, delivery: WebhookDelivery) -> None:
    installation_refresh(snapshot=InstallationSnapshot.from_event(event.installation))


_route_installation = by_action(
    "installation",
    {
        "created": _created,
        "deleted": _deleted,
        "suspend": _suspend,
        "unsuspend": _unsuspend,
        "new_permissions_accepted": _new_permissions_accepted,
    },
)


@handles("installation", InstallationEvent)
def handle_installation(event: InstallationEvent, delivery: WebhookDelivery) -> None:
    """created / deleted / suspend / unsuspend / new_permissions_accepted."""
    _route_installation(event, delivery)
    logger.info("installation.%s applied", event.action)  # the delivery's context names the installation


@handles("installation_target", InstallationTargetEvent)
def handle_installation_target(event: InstallationTargetEvent, delivery: WebhookDelivery) -> None:
    """``installation_target.renamed``: the account (user or organization) changed its login.

    Payload: ``{"action": "renamed", "account": {"id", "login", ...}, "changes": {"login": {"from": "old"}},
    "target_type": "Organization", "installation": {"id"}}``. Repository names ``old/x`` become ``new/x``.
    """
    if event.action != "renamed":
        raise DeliveryIgnored(f"installation_target.{event.action} is not handled")
    account = event.account
    if event.installation_id is not None:
        installation_ensure(installation_id=event.installation_id, account=account)
    old_login = ((event.changes.get("login") or {}).get("from")) or ""
    rows = installation_account_rename(account_id=account.id, login=account.login, avatar_url=account.avatar_url)
    if old_login and old_login != account.login:
        account_repositories_rename(installations=rows, old_login=old_login, new_login=account.login)
    logger.info("account %s renamed to %s", account.id, account.login, extra={"installation_id": event.installation_id})
