"""``installation``, ``installation_repositories`` and ``repository`` deliveries."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any

from github_app.emulator import payloads, shapes
from github_app.emulator.models import Installation, Repository

from .world import ALL_EVENTS, ALL_PERMISSIONS, Document, World, at


def _installation_event(w: World, inst: Installation, action: str, **changes: Any) -> dict[str, Any]:
    before = {name: getattr(inst, name) for name in changes}
    for name, value in changes.items():
        setattr(inst, name, value)
    try:
        payload = payloads.installation_event(w.state, inst, action, inst.account_login)
    finally:
        for name, value in before.items():
            setattr(inst, name, value)
    if action == "new_permissions_accepted":
        payload["repositories"] = [shapes.repo_min_json(r) for r in w.state.installation_repos(inst)]
    return payload


def _epoch_times(payload: dict[str, Any]) -> dict[str, Any]:
    """``installation`` events of github.com carry ``created_at``/``updated_at`` as epoch seconds."""
    inst = payload["installation"]
    for key in ("created_at", "updated_at"):
        inst[key] = int(at(inst[key]).timestamp())
    return payload


def _offset_times(payload: dict[str, Any]) -> dict[str, Any]:
    """...and sometimes as local time with an offset and milliseconds (``2021-04-28T22:32:21.000-04:00``)."""
    inst = payload["installation"]
    for key in ("created_at", "updated_at"):
        utc = at(inst[key])
        inst[key] = utc.astimezone(datetime.strptime("-0400", "%z").tzinfo).isoformat(timespec="milliseconds")
    return payload


def _installation_events(w: World) -> dict[str, Callable[[], Document]]:
    suspended_at = at("2021-04-29T02:32:50Z")

    def created_with_requester() -> Document:
        payload = _epoch_times(_installation_event(w, w.installation, "created"))
        payload["requester"] = w.user("Codertocat")
        return payload

    def repositories(action: str) -> Document:
        inst, repo = (w.installation, w.space) if action == "added" else (w.octo_installation, w.octo_repo)
        added, removed = ([repo], []) if action == "added" else ([], [repo])
        payload = payloads.installation_repositories_event(w.state, inst, action, added, removed, inst.account_login)
        if action == "added":
            payload["requester"] = w.user("Codertocat")
        return _epoch_times(payload)

    return {
        "installation/created.payload.json": lambda: _epoch_times(_installation_event(w, w.installation, "created")),
        "installation/created.with-requester.payload.json": created_with_requester,
        "installation/deleted.payload.json": lambda: _epoch_times(
            _installation_event(w, w.octo_installation, "deleted")
        ),
        "installation/new_permissions_accepted.payload.json": lambda: _epoch_times(
            _installation_event(
                w,
                w.installation,
                "new_permissions_accepted",
                repository_selection="all",
                permissions={**ALL_PERMISSIONS, "members": "read"},
                events=[*ALL_EVENTS, "member"],
            )
        ),
        "installation/suspend.payload.json": lambda: _offset_times(
            _installation_event(w, w.suspended, "suspend", suspended_at=suspended_at, suspended_by="Codertocat")
        ),
        "installation/unsuspend.payload.json": lambda: _offset_times(_installation_event(w, w.suspended, "unsuspend")),
        "installation_repositories/added.payload.json": lambda: repositories("added"),
        "installation_repositories/removed.payload.json": lambda: repositories("removed"),
    }


def repository_event(
    w: World,
    action: str,
    *,
    repo: Repository | None = None,
    installation: bool = False,
    organization: bool = False,
    changes: dict[str, Any] | None = None,
    **repo_changes: Any,
) -> dict[str, Any]:
    """A ``repository`` delivery: the repository after the change, and ``changes`` saying what it was before."""
    repo = copy.copy(repo or w.org_repo)
    for name, value in repo_changes.items():
        setattr(repo, name, value)
    payload: dict[str, Any] = {"action": action}
    if changes is not None:
        payload["changes"] = changes
    payload.update({"repository": shapes.repo_json(w.state, repo), "sender": w.user("Codertocat")})
    if installation:
        payload["installation"] = w.installation_ref()
    if organization:
        payload["organization"] = w.org()
    return payload


def _repository_events(w: World) -> dict[str, Callable[[], Document]]:
    moved = {"owner": {"from": {"user": w.user("octocat")}}}
    files: dict[str, Callable[[], Document]] = {
        "repository/created.payload.json": lambda: repository_event(w, "created", organization=True),
        "repository/created.with-installation.payload.json": lambda: repository_event(
            w, "created", installation=True, organization=True
        ),
        "repository/edited.payload.json": lambda: repository_event(
            w, "edited", organization=True, changes={"description": {"from": "My Repo"}}
        ),
        "repository/edited.with-default_branch-edit.payload.json": lambda: repository_event(
            w, "edited", organization=True, changes={"default_branch": {"from": "main"}}
        ),
        "repository/renamed.payload.json": lambda: repository_event(
            w,
            "renamed",
            installation=True,
            organization=True,
            changes={"repository": {"name": {"from": "Hello-World"}}},
        ),
        "repository/transferred.payload.json": lambda: repository_event(w, "transferred", changes=moved),
        "repository/transferred.with-installation.payload.json": lambda: repository_event(
            w, "transferred", installation=True, changes=moved
        ),
        "repository/transferred.with-organization.payload.json": lambda: repository_event(
            w, "transferred", organization=True, changes=moved
        ),
    }
    for action, private in (("privatized", True), ("publicized", False)):
        files[f"repository/{action}.payload.json"] = lambda a=action, p=private: repository_event(
            w, a, repo=w.hello, private=p
        )
        files[f"repository/{action}.with-organization.payload.json"] = lambda a=action, p=private: repository_event(
            w, a, repo=w.hello, organization=True, private=p
        )
    return files


def account_files(w: World) -> dict[str, Callable[[], Document]]:
    """Relative path under ``webhooks/`` → builder, for installations and repositories."""
    return {**_installation_events(w), **_repository_events(w)}
