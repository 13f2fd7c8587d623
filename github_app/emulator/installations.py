"""Installation lifecycle, shared by the install page and the control API, with the events GitHub sends.

State changes happen under the lock; payloads are built there too, so they describe exactly the
change made. Deliveries happen after the lock is released (the receiver may call back in).
"""

from __future__ import annotations

from typing import Any, Literal

from .httpkit import HttpError
from .models import Account, App, Delivery, Installation
from .payloads import installation_event, installation_repositories_event, repository_event
from .shapes import org_json, user_json
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
    """``suspend``, ``unsuspend``, ``delete`` or ``accept_permissions`` (the account accepts the App's new permissions
    and events: ``new_permissions_accepted``) and send the matching ``installation`` event."""
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
        elif action == "accept_permissions":
            inst.permissions, inst.events = dict(app.permissions), list(app.events)
            payload = installation_event(state, inst, "new_permissions_accepted", who)
        elif action == "delete":
            payload = installation_event(state, inst, "deleted", who)
            del state.installations[inst.id]
            for value in [t for t, tok in state.tokens.items() if tok.installation_id == inst.id]:
                del state.tokens[value]
        else:
            raise HttpError(404, f"Unknown action {action!r}")
        inst.updated_at = utcnow()
    return _send(state, app, [("installation", payload)])


def repository_transfer(
    state: State, full_name: str, new_owner: str, sender: str, *, select: bool = True
) -> list[Delivery]:
    """Transfer a repository to another account, with the events GitHub sends each App.

    ``repository.transferred`` goes to the new owner's installations that reach the repository (``changes.owner.from``
    names the old owner). An old owner's installation with selected repositories loses it
    (``installation_repositories.removed``); one covering all repositories gets nothing. A new owner's installation
    covering all repositories reaches it at once without an ``installation_repositories`` event; one with selected
    repositories gets it (``added``) when ``select`` is true, as when the new owner grants access, else not at all.
    The repository keeps its id and its pull requests.
    """
    sends: list[tuple[int, str, dict[str, Any]]] = []  # (app id, event, payload), in GitHub's order
    with state.lock:
        repo = state.repo_by_full_name(full_name)
        target = state.account(new_owner)
        if repo is None:
            raise HttpError(404, "Repository not found")
        if target is None or target.type == "Bot":
            raise HttpError(404, f"Account {new_owner!r} not found")
        if target.login.lower() == repo.owner_login.lower():
            raise HttpError(422, f"{full_name} already belongs to {target.login}")
        if state.repo_by_full_name(f"{target.login}/{repo.name}") is not None:
            raise HttpError(422, f"{target.login} already has a repository named {repo.name}")
        source = state.account(repo.owner_login)
        if source is None:
            raise HttpError(500, "The emulator's state is inconsistent")
        moved_from = {"organization": org_json(state, source)} if source.is_org else {"user": user_json(state, source)}
        losing = [i for i in state.installations.values() if repo.id in i.repository_ids]
        repo.owner_login = target.login
        state.touch(repo)
        removed, added = [], []
        for inst in losing:
            inst.repository_ids.remove(repo.id)
            inst.updated_at = utcnow()
            removed.append((inst.app_id, "installation_repositories",
                            installation_repositories_event(state, inst, "removed", [], [repo], sender)))  # fmt: skip
        for inst in [i for i in state.installations.values() if i.account_login.lower() == target.login.lower()]:
            if inst.repository_selection == "selected":
                if not select:
                    continue
                inst.repository_ids.append(repo.id)
                inst.updated_at = utcnow()
                added.append((inst.app_id, "installation_repositories",
                              installation_repositories_event(state, inst, "added", [repo], [], sender)))  # fmt: skip
            if inst.suspended_at is None:
                changes = {"owner": {"from": moved_from}}
                sends.append(
                    (inst.app_id, "repository", repository_event(state, repo, inst, "transferred", sender, changes))
                )
        sends += removed + added
    sent = []
    for app_id, event, payload in sends:
        app = state.app(app_id)
        if app is not None:
            sent += _send(state, app, [(event, payload)])
    return sent
