"""The project's own webhook payloads, shaped as GitHub sends them, with only the fields tformance reads.

They keep tests independent of GitHub's example files: each builder takes the ids a scenario needs.
"""

from __future__ import annotations

from typing import Any

TIME = "2026-03-02T10:00:00Z"


def user(login: str, user_id: int, kind: str = "User") -> dict[str, Any]:
    return {"login": login, "id": user_id, "type": kind, "avatar_url": ""}


def installation_object(installation_id: int, *, login: str, account_id: int, kind: str = "Organization") -> dict:
    return {
        "id": installation_id,
        "account": user(login, account_id, kind),
        "repository_selection": "selected",
        "permissions": {"metadata": "read", "pull_requests": "read", "members": "read"},
        "events": ["pull_request", "pull_request_review", "repository"],
        "target_type": kind,
        "suspended_at": None,
    }


def installation_event(
    action: str,
    installation_id: int,
    *,
    login: str,
    account_id: int,
    sender: tuple[str, int],
    kind: str = "Organization",
    repositories: list[tuple[int, str]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    """``installation.<action>``; ``sender`` is the GitHub user who did it (for ``created``: the installer)."""
    return {
        "action": action,
        "installation": installation_object(installation_id, login=login, account_id=account_id, kind=kind),
        "repositories": [{"id": i, "full_name": n, "name": n.split("/")[1], "private": True} for i, n in repositories],
        "sender": user(*sender),
    }


def pull_request_event(
    installation_id: int, *, repo_id: int, full_name: str, pr_id: int, number: int, title: str = "Add a feature"
) -> dict[str, Any]:
    """``pull_request.opened`` of a ready PR."""
    owner, name = full_name.split("/")
    return {
        "action": "opened",
        "number": number,
        "pull_request": {
            "id": pr_id,
            "number": number,
            "title": title,
            "body": "",
            "state": "open",
            "draft": False,
            "merged": False,
            "merged_at": None,
            "created_at": TIME,
            "updated_at": TIME,
            "closed_at": None,
            "user": user("dev", 501),
            "head": {"ref": f"feature-{number}"},
            "base": {"ref": "main"},
            "labels": [],
        },
        "repository": {
            "id": repo_id,
            "name": name,
            "full_name": full_name,
            "owner": user(owner, 900),
            "private": True,
        },
        "installation": {"id": installation_id},
        "sender": user("dev", 501),
    }


def repository_object(repo_id: int, full_name: str, *, owner_id: int, kind: str = "Organization") -> dict[str, Any]:
    owner, name = full_name.split("/")
    return {
        "id": repo_id,
        "name": name,
        "full_name": full_name,
        "owner": user(owner, owner_id, kind),
        "private": True,
        "archived": False,
        "default_branch": "main",
    }


def repository_transferred_event(
    installation_id: int, *, repo_id: int, full_name: str, owner_id: int, from_login: str, from_id: int
) -> dict[str, Any]:
    """``repository.transferred`` as the new owner's installation receives it: ``changes.owner.from`` names the
    old owner (``organization`` for an organization, ``user`` for a personal account)."""
    return {
        "action": "transferred",
        "changes": {"owner": {"from": {"organization": {"login": from_login, "id": from_id}}}},
        "repository": repository_object(repo_id, full_name, owner_id=owner_id),
        "organization": {"login": full_name.split("/")[0], "id": owner_id},
        "installation": {"id": installation_id},
        "sender": user("mover", 77),
    }


def installation_repositories_event(
    action: str,
    installation_id: int,
    *,
    login: str,
    account_id: int,
    repositories: list[tuple[int, str]],
    selection: str = "selected",
) -> dict[str, Any]:
    """``installation_repositories.added`` / ``removed`` (the repositories in the short form GitHub sends)."""
    short = [{"id": i, "full_name": n, "name": n.split("/")[1], "private": True} for i, n in repositories]
    installation = installation_object(installation_id, login=login, account_id=account_id)
    installation["repository_selection"] = selection
    return {
        "action": action,
        "installation": installation,
        "repository_selection": selection,
        "repositories_added": short if action == "added" else [],
        "repositories_removed": short if action == "removed" else [],
        "requester": None,
        "sender": user("mover", 77),
    }
