"""Deliveries the emulator does not send, from GitHub's documented schemas: ``ping``, ``meta``, ``member``,
``organization``, ``github_app_authorization``, and the two GitHub Enterprise-only actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from github_app.emulator import shapes

from .installations import repository_event
from .world import API, AVATARS, WEB, Document, World


def _hook(w: World, *, kind: str, app_id: bool = False) -> dict[str, Any]:
    """The ``hook`` of ``ping``: the webhook that was just created (a repository's, an org's or an App's)."""
    ident = 109948940
    base = (
        f"{API}/repos/{w.org_repo.full_name}/hooks/{ident}"
        if kind == "Repository"
        else f"{API}/orgs/Octocoders/hooks/{ident}"
    )
    hook: dict[str, Any] = {"type": kind, "id": ident, "name": "web", "active": True}
    if app_id:
        hook["app_id"] = w.app.id
    hook.update(
        {
            "events": ["*"],
            "config": {
                "content_type": "json",
                "url": "https://tformance.example/webhooks/github/",
                "insecure_ssl": "0",
            },
            "updated_at": "2019-05-15T15:20:49Z",
            "created_at": "2019-05-15T15:20:49Z",
            "url": base,
        }
    )
    if kind == "Repository":
        hook["test_url"] = f"{base}/test"
    if kind == "Organization":
        hook["config"]["secret"] = "********"  # GitHub masks the secret of an organization's hook
    hook.update({"ping_url": f"{base}/pings", "deliveries_url": f"{base}/deliveries"})
    if kind == "Repository":
        hook["last_response"] = {"code": None, "status": "unused", "message": None}
    return hook


def _ping(w: World, *, organization: bool = False, app_id: bool = False) -> dict[str, Any]:
    hook = _hook(w, kind="Organization" if organization else "Repository", app_id=app_id)
    payload: dict[str, Any] = {"zen": "Keep it logically awesome.", "hook_id": hook["id"], "hook": hook}
    if organization:
        payload["organization"] = w.org()
    else:
        payload["repository"] = shapes.repo_json(w.state, w.org_repo)
    payload["sender"] = w.user("Codertocat")
    return payload


def _meta_deleted(w: World) -> dict[str, Any]:
    """``meta`` deleted: the webhook itself was removed; ``hook`` is what it was."""
    hook = {
        "type": "Repository",
        "id": 101047067,
        "name": "web",
        "active": True,
        "events": ["meta"],
        "config": {
            "content_type": "json",
            "insecure_ssl": "0",
            "url": "https://tformance.example/webhooks/github/",
            "secret": "********",
        },
        "updated_at": "2019-04-10T03:57:12Z",
        "created_at": "2019-04-10T03:57:12Z",
    }
    return {
        "action": "deleted",
        "hook_id": hook["id"],
        "hook": hook,
        "repository": shapes.repo_json(w.state, w.hello),
        "sender": w.user("Codertocat"),
    }


def _member_event(w: World, action: str, *, installation: bool = False) -> dict[str, Any]:
    payload: dict[str, Any] = {"action": action, "member": w.user("hacktocat")}
    if action == "edited":
        payload["changes"] = {"old_permission": {"from": "write"}}
    payload.update({"repository": shapes.repo_json(w.state, w.hello), "sender": w.user("Codertocat")})
    if installation:
        payload["installation"] = w.installation_ref()
    return payload


def _membership(w: World, login: str, state: str) -> dict[str, Any]:
    return {
        "url": f"{API}/orgs/Octocoders/memberships/{login}",
        "state": state,
        "role": "member",
        "organization_url": f"{API}/orgs/Octocoders",
        "user": w.user(login),
    }


def _organization_event(w: World, action: str, *, installation: bool = False) -> dict[str, Any]:
    payload: dict[str, Any] = {"action": action}
    if action == "member_added":
        payload["membership"] = _membership(w, "hacktocat", "active")
    if action == "member_invited":
        payload["invitation"] = {
            "id": 39652351,
            "node_id": shapes.node_id("User", 39652351),
            "login": "hacktocat",
            "email": None,
            "role": "direct_member",
            "created_at": "2021-05-24T04:10:21Z",
            "failed_at": None,
            "failed_reason": None,
            "inviter": w.user("Codertocat"),
            "team_count": 1,
            "invitation_teams_url": f"{API}/organizations/38302899/invitations/39652351/teams",
        }
        payload["user"] = w.user("hacktocat")
    if action == "renamed":
        payload["changes"] = {"login": {"from": "Octocoders-old"}}
    payload.update({"organization": w.org(), "sender": w.user("Codertocat")})
    if installation:
        payload["installation"] = w.installation_ref()
    return payload


def _enterprise() -> dict[str, Any]:
    return {
        "id": 1,
        "slug": "tformance-enterprise",
        "name": "tformance Enterprise",
        "node_id": shapes.node_id("Organization", 1),
        "avatar_url": f"{AVATARS}/b/1?v=4",
        "description": None,
        "website_url": None,
        "html_url": f"{WEB}/enterprises/tformance-enterprise",
        "created_at": "2019-05-14T19:31:12Z",
        "updated_at": "2019-05-14T19:31:12Z",
    }


def ghes_files(w: World) -> dict[str, Callable[[], Document]]:
    def deleted() -> Document:
        payload = repository_event(w, "deleted", organization=True)
        payload["enterprise"] = _enterprise()
        return payload

    def member_removed() -> Document:
        payload = {"action": "member_removed", "membership": _membership(w, "hacktocat", "active")}
        payload.update({"organization": w.org(), "enterprise": _enterprise(), "sender": w.user("Codertocat")})
        return payload

    return {"repository/deleted.json": deleted, "organization/member_removed.json": member_removed}


def other_files(w: World) -> dict[str, Callable[[], Document]]:
    """Relative path under ``webhooks/`` → builder, for the events without an emulator counterpart."""
    return {
        "github_app_authorization/revoked.payload.json": lambda: {"action": "revoked", "sender": w.user("octocat")},
        "ping/payload.json": lambda: _ping(w),
        "ping/with-app_id.payload.json": lambda: _ping(w, app_id=True),
        "ping/with-organization.payload.json": lambda: _ping(w, organization=True),
        "meta/deleted.payload.json": lambda: _meta_deleted(w),
        "member/added.payload.json": lambda: _member_event(w, "added"),
        "member/added.with-installation.payload.json": lambda: _member_event(w, "added", installation=True),
        "member/edited.payload.json": lambda: _member_event(w, "edited"),
        "organization/member_added.payload.json": lambda: _organization_event(w, "member_added"),
        "organization/member_added.with-installation.payload.json": lambda: _organization_event(
            w, "member_added", installation=True
        ),
        "organization/member_invited.payload.json": lambda: _organization_event(w, "member_invited", installation=True),
        "organization/renamed.payload.json": lambda: _organization_event(w, "renamed", installation=True),
    }
