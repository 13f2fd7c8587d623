"""Installation lifecycle, shared by the install page and the control API, with the events GitHub sends.

State changes happen under the lock; payloads are built there too, so they describe exactly the
change made. Deliveries happen after the lock is released (the receiver may call back in).
"""

from __future__ import annotations

from typing import Any, Literal

from .httpkit import HttpError
from .models import Account, App, Delivery, Installation
from .payloads import installation_event, installation_repositories_event
from .state import State, utcnow
from .webhooks import deliver

Outbox = list[tuple[str, dict[str, Any]]]


def _send(state: State, app: App, outbox: Outbox) -> list[Delivery]:
    sent = [deliver(state, app, event, payload) for event, payload in outbox]
    return [d for d in sent if d is not None]


def _resolve_repo_ids(state: State, account: Account, repositories: list[str | int]) -> list[int]:
    """Accept repository ids, names or full names; all must belong to the account."""
    own = {r.id: r for r in state.repos_of(account.login)}
    ids: list[int] = []
    for item in repositories:
        text = str(item)
        repo = own.get(int(text)) if text.isdigit() else None
        repo = repo or next((r for r in own.values() if text.lower() in (r.name.lower(), r.full_name.lower())), None)
        if repo is None:
            raise HttpError(422, f"Repository {text!r} does not belong to {account.login}")
        if repo.id not in ids:
            ids.append(repo.id)
    return ids


def installation_install(
    state: State, app: App, account_login: str, repositories: Literal["all"] | list[str | int], sender: str
) -> tuple[Installation, Literal["install", "update"], list[Delivery]]:
    """Install ``app`` on an account, or change the repositories of its existing installation.

    A new installation sends ``installation.created``; an update sends ``installation_repositories``
    ``added`` and/or ``removed`` — what GitHub does when the owner edits the repository selection.
    """
    outbox: Outbox = []
    with state.lock:
        account = state.account(account_login)
        if account is None or account.type == "Bot":
            raise HttpError(404, f"Account {account_login!r} not found")
        selection = "all" if repositories == "all" else "selected"
        repo_ids = [] if repositories == "all" else _resolve_repo_ids(state, account, list(repositories))
        inst = state.installation_for(app, account.login)
        if inst is None:
            inst = state.add_installation(app, account, selection, repo_ids, sender)
            outbox.append(("installation", installation_event(state, inst, "created", sender)))
            setup_action: Literal["install", "update"] = "install"
        else:
            before = {r.id: r for r in state.installation_repos(inst)}
            inst.repository_selection = selection  # type: ignore[assignment]
            inst.repository_ids = repo_ids
            inst.updated_at = utcnow()
            after = {r.id: r for r in state.installation_repos(inst)}
            added = [r for i, r in after.items() if i not in before]
            removed = [r for i, r in before.items() if i not in after]
            if added:
                outbox.append(
                    (
                        "installation_repositories",
                        installation_repositories_event(state, inst, "added", added, [], sender),
                    )
                )
            if removed:
                outbox.append(
                    (
                        "installation_repositories",
                        installation_repositories_event(state, inst, "removed", [], removed, sender),
                    )
                )
            setup_action = "update"
    return inst, setup_action, _send(state, app, outbox)


def installation_change(state: State, installation_id: int, action: str, sender: str | None = None) -> list[Delivery]:
    """``suspend``, ``unsuspend`` or ``delete`` an installation and send the matching ``installation`` event."""
    with state.lock:
        inst = state.installations.get(installation_id)
        if inst is None:
            raise HttpError(404, "Not Found")
        app = state.app(inst.app_id)
        if app is None:
            raise HttpError(500, "The emulator's state is inconsistent")
        who = sender or inst.sender_login
        if action == "suspend":
            inst.suspended_at, inst.suspended_by = utcnow(), who
            payload = installation_event(state, inst, "suspend", who)
        elif action == "unsuspend":
            inst.suspended_at, inst.suspended_by = None, None
            payload = installation_event(state, inst, "unsuspend", who)
        elif action == "delete":
            payload = installation_event(state, inst, "deleted", who)
            del state.installations[inst.id]
            for value in [t for t, tok in state.tokens.items() if tok.installation_id == inst.id]:
                del state.tokens[value]
        else:
            raise HttpError(404, f"Unknown action {action!r}")
        inst.updated_at = utcnow()
    return _send(state, app, [("installation", payload)])
