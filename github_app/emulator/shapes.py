"""GitHub's REST and webhook JSON shapes, generated in code from emulator records.

Field names and types follow the documented examples (``apps-*.json``, ``pulls-get.json``) and
the real webhook payloads; URLs point at the emulator's own origin, since api and web share it.
"""

from __future__ import annotations

import base64
import zlib
from datetime import datetime
from typing import Any

from .models import Account, App, Installation, Repository
from .state import State


def iso(value: datetime | None) -> str | None:
    """GitHub's timestamp format: UTC, seconds precision, ``Z`` suffix."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def node_id(kind: str, ident: int) -> str:
    """Legacy global node ids, e.g. ``MDQ6VXNlcjE=`` is base64 of ``04:User1``."""
    prefix = {
        "User": "04",
        "Bot": "03",
        "Organization": "012",
        "Repository": "010",
        "PullRequest": "011",
        "PullRequestReview": "017",
        "Label": "05",
        "IntegrationInstallation": "023",
        "Integration": "011",
        "Deployment": "010",
        "DeploymentStatus": "016",
        "Workflow": "08",
        "WorkflowRun": "011",
        "CheckSuite": "010",
        "CheckRun": "08",
        "Commit": "06",
    }[kind]
    return base64.b64encode(f"{prefix}:{kind}{ident}".encode()).decode()


def avatar_url(state: State, account: Account) -> str:
    return f"{state.base_url}/avatars/u/{account.id}?v=4"


def user_json(state: State, account: Account) -> dict[str, Any]:
    """The ``simple-user`` object GitHub embeds everywhere (sender, user, owner, account)."""
    api, login = f"{state.base_url}/users/{account.login}", account.login
    return {
        "login": login,
        "id": account.id,
        "node_id": node_id(account.type, account.id),
        "avatar_url": avatar_url(state, account),
        "gravatar_id": "",
        "url": api,
        "html_url": f"{state.base_url}/{login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": account.type,
        "site_admin": False,
    }


def user_by_login(state: State, login: str) -> dict[str, Any]:
    account = state.account(login) or state.add_account(login)
    return user_json(state, account)


def org_json(state: State, org: Account) -> dict[str, Any]:
    """The ``organization`` object of webhook payloads for org-owned repositories."""
    api = f"{state.base_url}/orgs/{org.login}"
    return {
        "login": org.login,
        "id": org.id,
        "node_id": node_id("Organization", org.id),
        "url": api,
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events",
        "hooks_url": f"{api}/hooks",
        "issues_url": f"{api}/issues",
        "members_url": f"{api}/members{{/member}}",
        "public_members_url": f"{api}/public_members{{/member}}",
        "avatar_url": avatar_url(state, org),
        "description": "",
    }


def membership_json(state: State, org: Account, user: Account, role: str) -> dict[str, Any]:
    """``org-membership``: ``GET /user/memberships/orgs/{org}`` (the emulator has no pending invitations)."""
    api = f"{state.base_url}/orgs/{org.login}"
    return {
        "url": f"{api}/memberships/{user.login}",
        "state": "active",
        "role": role,
        "organization_url": api,
        "organization": org_json(state, org),
        "user": user_json(state, user),
    }


def repo_min_json(repo: Repository) -> dict[str, Any]:
    """The short repository entries of ``installation`` / ``installation_repositories`` events."""
    return {
        "id": repo.id,
        "node_id": node_id("Repository", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "private": repo.private,
    }


REPO_URL_TEMPLATES = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
}


def repo_json(state: State, repo: Repository) -> dict[str, Any]:
    """The full ``repository`` object of REST listings and webhook payloads."""
    owner = state.account(repo.owner_login)
    if owner is None:
        raise RuntimeError("the emulator's state is inconsistent")
    api, html = f"{state.base_url}/repos/{repo.full_name}", f"{state.base_url}/{repo.full_name}"
    host = state.base_url.split("://", 1)[-1]
    body: dict[str, Any] = {
        **repo_min_json(repo),
        "owner": user_json(state, owner),
        "html_url": html,
        "description": repo.description or None,
        "fork": False,
        "url": api,
    }
    body.update({key: api + suffix for key, suffix in REPO_URL_TEMPLATES.items()})
    created = iso(repo.created_at)
    body.update(
        {
            "git_url": f"git://{host}/{repo.full_name}.git",
            "ssh_url": f"git@{host}:{repo.full_name}.git",
            "clone_url": f"{html}.git",
            "svn_url": html,
            "mirror_url": None,
            "homepage": None,
            "language": "Python",
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "size": 1024,
            "default_branch": repo.default_branch,
            "open_issues_count": 0,
            "is_template": False,
            "topics": [],
            "has_issues": True,
            "has_projects": True,
            "has_wiki": False,
            "has_pages": False,
            "has_downloads": True,
            "archived": repo.archived,
            "disabled": False,
            "visibility": "private" if repo.private else "public",
            "pushed_at": created,
            "created_at": created,
            "updated_at": created,
            "license": None,
            "forks": 0,
            "open_issues": 0,
            "watchers": 0,
            "web_commit_signoff_required": False,
            "custom_properties": {},
        }
    )
    return body


def installation_json(state: State, inst: Installation) -> dict[str, Any]:
    """``base-installation`` (``GET /app/installations/{id}``), also the ``installation`` of its events."""
    account = state.account(inst.account_login)
    app = state.app(inst.app_id)
    if not (account is not None and app is not None):
        raise RuntimeError("the emulator's state is inconsistent")
    settings = f"organizations/{account.login}/settings" if account.is_org else "settings"
    suspender = state.account(inst.suspended_by) if inst.suspended_by else None
    return {
        "id": inst.id,
        "account": user_json(state, account),
        "access_tokens_url": f"{state.base_url}/app/installations/{inst.id}/access_tokens",
        "repositories_url": f"{state.base_url}/installation/repositories",
        "html_url": f"{state.base_url}/{settings}/installations/{inst.id}",
        "app_id": inst.app_id,
        "app_slug": app.slug,
        "target_id": account.id,
        "target_type": "Organization" if account.is_org else "User",
        "permissions": dict(inst.permissions),
        "events": list(inst.events),
        "created_at": iso(inst.created_at),
        "updated_at": iso(inst.updated_at),
        "single_file_name": None,
        "has_multiple_single_files": False,
        "single_file_paths": [],
        "repository_selection": inst.repository_selection,
        "suspended_at": iso(inst.suspended_at),
        "suspended_by": user_json(state, suspender) if suspender else None,
    }


def app_json(state: State, app: App) -> dict[str, Any]:
    """``GET /app`` (integration): the App without its secrets."""
    owner = state.account(app.owner_login) or state.add_account(app.owner_login)
    return {
        "id": app.id,
        "slug": app.slug,
        "client_id": app.client_id,
        "node_id": node_id("Integration", app.id),
        "owner": user_json(state, owner),
        "name": app.name,
        "description": app.description,
        "external_url": app.external_url or state.base_url,
        "html_url": f"{state.base_url}/apps/{app.slug}",
        "created_at": iso(app.created_at),
        "updated_at": iso(app.created_at),
        "permissions": dict(app.permissions),
        "events": list(app.events),
        "installations_count": sum(1 for i in state.installations.values() if i.app_id == app.id),
    }


def label_json(state: State, repo: Repository, name: str) -> dict[str, Any]:
    ident = zlib.crc32(f"{repo.id}:{name}".encode())
    return {
        "id": ident,
        "node_id": node_id("Label", ident),
        "url": f"{state.base_url}/repos/{repo.full_name}/labels/{name}",
        "name": name,
        "color": "d73a4a" if name in ("bug", "hotfix") else "0e8a16",
        "default": name in ("bug", "enhancement", "documentation"),
        "description": None,
    }
