"""Record the test suite's GitHub fixtures from the built-in emulator: ``python -m github_app.tests.record_fixtures``.

Every document under ``github_app/tests/data/github/`` is produced here, by the emulator's own shape code
(``github_app.emulator.shapes`` and ``payloads``) for what the emulator models, and by the small builders below,
written from GitHub's documented payload schemas, for the events it does not send (``ping``, ``meta``, ``member``,
``organization``, review comments and threads). Nothing is copied from GitHub's files.

The scenario reuses the identities of GitHub's documentation examples (``Codertocat/Hello-World`` and its PR #2,
installation 957387, ``octocat``...) so a test reads the same whichever corpus it is pointed at; the conformance
pass (``tests/conformance``) checks every file here against GitHub's real example of the same name.

``github_app/tests/test_recorded_fixtures.py`` fails when a file differs from what this module records today, so a
change to the emulator's shapes shows up as a fixture to re-record, never as silent drift.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from github_app.emulator import payloads, shapes
from github_app.emulator.models import Account, App, Delivery, Installation, PullRequest, Repository, Review
from github_app.emulator.state import State

DATA_DIR = Path(__file__).resolve().parent / "data" / "github"
API = "https://api.github.com"
WEB = "https://github.com"
AVATARS = "https://avatars.githubusercontent.com"

Document = dict[str, Any] | list[Any]


def at(text: str) -> datetime:
    """A GitHub timestamp (``2019-05-15T15:20:33Z``) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


ALL_PERMISSIONS = {
    "administration": "write",
    "checks": "write",
    "contents": "write",
    "issues": "write",
    "metadata": "read",
    "pull_requests": "write",
    "statuses": "write",
}
ALL_EVENTS = ["check_run", "issues", "pull_request", "pull_request_review", "push", "repository"]


class World:
    """One emulator state holding every account, repository, installation and PR the fixtures talk about."""

    def __init__(self) -> None:
        self.state = State(base_url=API)
        for login, ident, kind in [
            ("Codertocat", 21031067, "User"),
            ("octocat", 1, "User"),
            ("hacktocat", 39652351, "User"),
            ("Octocoders", 38302899, "Organization"),
        ]:
            self.state.accounts[login.lower()] = Account(id=ident, login=login, type=kind, name=login)  # type: ignore[arg-type]
        self.state.accounts["octocoders"].members.update({"Codertocat", "hacktocat"})
        self.app = self.state.add_app(
            App(
                id=29310,
                slug="tformance-fixtures",
                name="tformance fixtures",
                client_id="Iv1.f1x7ure5c11e47",
                client_secret="fixture-client-secret",
                webhook_secret="fixture-webhook-secret",
                private_key_pem="",
                public_key_pem="",
                owner_login="Codertocat",
                created_at=at("2019-05-15T15:19:20Z"),
                description="The App the test fixtures are recorded for.",
                external_url="https://tformance.example",
                permissions=dict(ALL_PERMISSIONS),
                events=list(ALL_EVENTS),
            )
        )
        created = at("2019-05-15T15:19:25Z")
        self.hello = self._repo(186853002, "Codertocat", "Hello-World", created, private=False, branch="master")
        self.space = self._repo(186853007, "Codertocat", "Space", created, private=False, branch="master")
        self.org_repo = self._repo(186853261, "Octocoders", "Hello-World", created, private=False, branch="master")
        self.octo_repo = self._repo(1296269, "octocat", "Hello-World", at("2011-01-26T19:01:12Z"), private=False)
        self.installation = self._installation(
            957387, "Codertocat", "selected", [self.hello.id], "2019-05-15T15:19:51Z"
        )
        self.octo_installation = self._installation(
            2, "octocat", "selected", [self.octo_repo.id], "2018-04-30T17:38:18Z"
        )
        self.suspended = self._installation(16598467, "Codertocat", "all", [], "2021-04-29T02:32:21Z")
        self.pr_installation = Installation(
            id=1,
            app_id=self.app.id,
            account_login="Codertocat",
            repository_selection="all",
            repository_ids=[],
            created_at=created,
            updated_at=created,
            sender_login="Codertocat",
        )

    def _repo(
        self, ident: int, owner: str, name: str, created: datetime, *, private: bool, branch: str = "main"
    ) -> Repository:
        repo = Repository(
            id=ident,
            owner_login=owner,
            name=name,
            private=private,
            default_branch=branch,
            created_at=created,
            description="A repository of the test fixtures",
        )
        self.state.repositories[ident] = repo
        return repo

    def _installation(self, ident: int, owner: str, selection: str, repo_ids: list[int], created: str) -> Installation:
        inst = Installation(
            id=ident,
            app_id=self.app.id,
            account_login=owner,
            repository_selection=selection,  # type: ignore[arg-type]
            repository_ids=repo_ids,
            created_at=at(created),
            updated_at=at(created),
            sender_login=owner,
            permissions=dict(ALL_PERMISSIONS),
            events=list(ALL_EVENTS),
        )
        self.state.installations[ident] = inst
        return inst

    # the pull request of every pull_request* example: Codertocat/Hello-World #2 ----------------------------
    def pull_request(self, **changes: Any) -> PullRequest:
        pr = PullRequest(
            id=279147437,
            number=2,
            title="Update the README with new information.",
            body="This is a pretty simple change that we need to pull into master.",
            user="Codertocat",
            head_ref="changes",
            base_ref="master",
            created_at=at("2019-05-15T15:20:33Z"),
            updated_at=at("2019-05-15T15:20:33Z"),
            additions=1,
            deletions=1,
            changed_files=1,
            labels=["bug"],
            requested_reviewers=["octocat"],
            head_sha="ec26c3e57ca3a959ca5aad62de7213c562f8c821",
        )
        for name, value in changes.items():
            setattr(pr, name, value)
        return pr

    def review(self, state: str = "COMMENTED") -> Review:
        return Review(id=237895671, user="Codertocat", state=state, submitted_at=at("2019-05-15T15:20:38Z"))

    def user(self, login: str) -> dict[str, Any]:
        return shapes.user_by_login(self.state, login)

    def org(self) -> dict[str, Any]:
        org = self.state.account("Octocoders")
        assert org is not None
        return shapes.org_json(self.state, org)

    def installation_ref(self, inst: Installation | None = None) -> dict[str, Any]:
        """The short ``installation`` object of events that are not about the installation itself."""
        ident = (inst or self.pr_installation).id
        return {"id": ident, "node_id": shapes.node_id("IntegrationInstallation", ident)}


# webhooks ---------------------------------------------------------------------------------------------------


def _pr_event(
    w: World,
    action: str,
    *,
    installation: bool = True,
    organization: bool = False,
    pr: PullRequest | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A ``pull_request`` delivery; ``installation``/``organization`` say which of the optional keys it carries."""
    payload = payloads.pull_request_event(
        w.state, w.hello, pr or w.pull_request(), w.pr_installation, action, "Codertocat", **extra
    )
    return _envelope_variant(w, payload, installation=installation, organization=organization)


def _envelope_variant(w: World, payload: dict[str, Any], *, installation: bool, organization: bool) -> dict[str, Any]:
    if not installation:
        payload.pop("installation", None)
    if organization:
        payload["organization"] = w.org()
    return payload


def _pr_events(w: World) -> dict[str, Callable[[], Document]]:
    updated = {
        "assigned": "2019-05-15T15:20:33Z",
        "closed": "2019-05-15T15:21:18Z",
        "converted_to_draft": "2019-05-15T15:21:18Z",
        "labeled": "2019-05-15T15:20:35Z",
        "locked": "2019-05-15T15:20:36Z",
        "opened": "2019-05-15T15:20:33Z",
        "ready_for_review": "2019-05-15T15:21:18Z",
        "reopened": "2019-05-15T15:20:33Z",
        "review_request_removed": "2019-05-15T15:20:33Z",
        "review_requested": "2019-05-15T15:20:33Z",
        "synchronize": "2019-05-15T15:20:33Z",
        "unassigned": "2019-05-15T15:20:35Z",
        "unlabeled": "2019-05-15T15:20:36Z",
        "unlocked": "2019-05-15T15:20:37Z",
    }

    def pr_for(action: str, **changes: Any) -> PullRequest:
        pr = w.pull_request(updated_at=at(updated[action]), **changes)
        if action == "closed":
            pr.state, pr.closed_at = "closed", pr.updated_at
        if action == "converted_to_draft":
            pr.draft = True
        return pr

    def extra(action: str) -> dict[str, Any]:
        if action in ("labeled", "unlabeled"):
            return {"label": shapes.label_json(w.state, w.hello, "bug")}
        if action in ("assigned", "unassigned"):
            return {"assignee": w.user("Codertocat")}
        if action in ("review_requested", "review_request_removed"):
            return {"requested_reviewer": w.user("octocat")}
        if action == "synchronize":
            return {"before": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", "after": w.pull_request().head_sha}
        return {}

    def make(action: str, *, installation: bool = True, organization: bool = False, **changes: Any):
        return lambda: _pr_event(
            w,
            action,
            installation=installation,
            organization=organization,
            pr=pr_for(action, **changes),
            **extra(action),
        )

    files: dict[str, Callable[[], Document]] = {}
    plain_without_installation = {"converted_to_draft", "ready_for_review"}
    for action in updated:
        has_installation = action not in plain_without_installation
        files[f"pull_request/{action}.payload.json"] = make(
            action, installation=has_installation, organization=action.startswith("review_request")
        )
    for action in [
        "assigned",
        "closed",
        "labeled",
        "locked",
        "opened",
        "reopened",
        "unassigned",
        "unlabeled",
        "unlocked",
    ]:
        files[f"pull_request/{action}.with-organization.payload.json"] = make(action, organization=True)
    for action in plain_without_installation:
        files[f"pull_request/{action}.with-installation.payload.json"] = make(action)
        files[f"pull_request/{action}.with-organization.payload.json"] = make(
            action, installation=False, organization=True
        )
    files["pull_request/opened.with-null-body.json"] = make("opened", body="")
    return files


def _review_event(w: World, action: str, *, organization: bool) -> dict[str, Any]:
    state = "DISMISSED" if action == "dismissed" else "COMMENTED"
    pr = w.pull_request(updated_at=at("2019-05-15T15:20:38Z"))
    payload = payloads.pull_request_review_event(
        w.state, w.hello, pr, w.review(state), w.pr_installation, action, "Codertocat"
    )
    return _envelope_variant(w, payload, installation=True, organization=organization)


def _review_comment(w: World) -> dict[str, Any]:
    """A ``pull-request-review-comment``: a comment on a line of the diff, part of review 237895671."""
    pr_api = f"{API}/repos/{w.hello.full_name}/pulls/2"
    ident = 284312630
    url = f"{API}/repos/{w.hello.full_name}/pulls/comments/{ident}"
    html = f"{WEB}/{w.hello.full_name}/pull/2#discussion_r{ident}"
    sha = w.pull_request().head_sha
    return {
        "url": url,
        "pull_request_review_id": w.review().id,
        "id": ident,
        "node_id": shapes.node_id("PullRequestReview", ident),
        "diff_hunk": "@@ -1 +1 @@\n-# Hello-World",
        "path": "README.md",
        "position": 1,
        "original_position": 1,
        "commit_id": sha,
        "original_commit_id": sha,
        "user": w.user("Codertocat"),
        "body": "Could this line say what the change is for?",
        "created_at": "2019-05-15T15:20:37Z",
        "updated_at": "2019-05-15T15:20:38Z",
        "html_url": html,
        "pull_request_url": pr_api,
        "author_association": "OWNER",
        "_links": {"self": {"href": url}, "html": {"href": html}, "pull_request": {"href": pr_api}},
        "reactions": {
            "url": f"{url}/reactions",
            "total_count": 0,
            **dict.fromkeys(["+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"], 0),
        },
        "start_line": None,
        "original_start_line": None,
        "start_side": None,
        "line": 1,
        "original_line": 1,
        "side": "RIGHT",
    }


def _review_comment_event(w: World, action: str, *, organization: bool = False) -> dict[str, Any]:
    pr = payloads.pull_request_json(w.state, w.hello, w.pull_request(updated_at=at("2019-05-15T15:20:38Z")), full=False)
    payload: dict[str, Any] = {"action": action}
    if action == "edited":
        payload["changes"] = {"body": {"from": ""}}
    payload.update({"comment": _review_comment(w), "pull_request": pr})
    payload.update(
        {
            "repository": shapes.repo_json(w.state, w.hello),
            "sender": w.user("Codertocat"),
            "installation": w.installation_ref(),
        }
    )
    return _envelope_variant(w, payload, installation=True, organization=organization)


def _review_thread_event(w: World, action: str) -> dict[str, Any]:
    pr = payloads.pull_request_json(w.state, w.hello, w.pull_request(updated_at=at("2019-05-15T15:20:38Z")), full=False)
    return {
        "action": action,
        "thread": {"node_id": "PRRT_f1x7ure5thread", "comments": [_review_comment(w)]},
        "pull_request": pr,
        "repository": shapes.repo_json(w.state, w.hello),
        "sender": w.user("Codertocat"),
        "installation": w.installation_ref(),
    }


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


def _repository_event(
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
        "repository/created.payload.json": lambda: _repository_event(w, "created", organization=True),
        "repository/created.with-installation.payload.json": lambda: _repository_event(
            w, "created", installation=True, organization=True
        ),
        "repository/edited.payload.json": lambda: _repository_event(
            w, "edited", organization=True, changes={"description": {"from": "My Repo"}}
        ),
        "repository/edited.with-default_branch-edit.payload.json": lambda: _repository_event(
            w, "edited", organization=True, changes={"default_branch": {"from": "main"}}
        ),
        "repository/renamed.payload.json": lambda: _repository_event(
            w,
            "renamed",
            installation=True,
            organization=True,
            changes={"repository": {"name": {"from": "Hello-World"}}},
        ),
        "repository/transferred.payload.json": lambda: _repository_event(w, "transferred", changes=moved),
        "repository/transferred.with-installation.payload.json": lambda: _repository_event(
            w, "transferred", installation=True, changes=moved
        ),
        "repository/transferred.with-organization.payload.json": lambda: _repository_event(
            w, "transferred", organization=True, changes=moved
        ),
    }
    for action, private in (("privatized", True), ("publicized", False)):
        files[f"repository/{action}.payload.json"] = lambda a=action, p=private: _repository_event(
            w, a, repo=w.hello, private=p
        )
        files[f"repository/{action}.with-organization.payload.json"] = lambda a=action, p=private: _repository_event(
            w, a, repo=w.hello, organization=True, private=p
        )
    return files


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


def _ghes_events(w: World) -> dict[str, Callable[[], Document]]:
    def deleted() -> Document:
        payload = _repository_event(w, "deleted", organization=True)
        payload["enterprise"] = _enterprise()
        return payload

    def member_removed() -> Document:
        payload = {"action": "member_removed", "membership": _membership(w, "hacktocat", "active")}
        payload.update({"organization": w.org(), "enterprise": _enterprise(), "sender": w.user("Codertocat")})
        return payload

    return {"repository/deleted.json": deleted, "organization/member_removed.json": member_removed}


def webhooks(w: World) -> dict[str, Callable[[], Document]]:
    """Relative path under ``webhooks/`` → builder."""
    files = _pr_events(w)
    files.update(_installation_events(w))
    files.update(_repository_events(w))
    files.update(
        {
            "pull_request_review/submitted.payload.json": lambda: _review_event(w, "submitted", organization=False),
            "pull_request_review/submitted.with-organization.payload.json": lambda: _review_event(
                w, "submitted", organization=True
            ),
            "pull_request_review/dismissed.payload.json": lambda: _review_event(w, "dismissed", organization=True),
            "pull_request_review_comment/created.payload.json": lambda: _review_comment_event(w, "created"),
            "pull_request_review_comment/created.with-organization.payload.json": lambda: _review_comment_event(
                w, "created", organization=True
            ),
            "pull_request_review_comment/edited.payload.json": lambda: _review_comment_event(w, "edited"),
            "pull_request_review_comment/deleted.payload.json": lambda: _review_comment_event(w, "deleted"),
            "pull_request_review_thread/resolved.payload.json": lambda: _review_thread_event(w, "resolved"),
            "pull_request_review_thread/unresolved.payload.json": lambda: _review_thread_event(w, "unresolved"),
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
            "organization/member_invited.payload.json": lambda: _organization_event(
                w, "member_invited", installation=True
            ),
            "organization/renamed.payload.json": lambda: _organization_event(w, "renamed", installation=True),
        }
    )
    return files


# REST API responses ------------------------------------------------------------------------------------------


def _api_installation(w: World, inst: Installation, **fields: Any) -> dict[str, Any]:
    body = shapes.installation_json(w.state, inst)
    body.update(fields)
    return body


def _token_response(w: World) -> dict[str, Any]:
    """``POST /app/installations/{id}/access_tokens``, as the emulator's route answers it (201)."""
    inst = w.octo_installation
    return {
        "token": "ghs_f1x7ure5f1x7ure5f1x7ure5f1x7ure5f1x7",
        "expires_at": "2016-07-11T22:14:10Z",
        "permissions": dict(inst.permissions),
        "repository_selection": inst.repository_selection,
    }


def _api_deliveries(w: World) -> list[Any]:
    def delivery(ident: int, day: int, redelivery: bool) -> dict[str, Any]:
        return Delivery(
            id=ident,
            guid="0b989ba4-242f-11e5-81e1-c7b6966d2516",
            app_id=w.app.id,
            event="pull_request",
            action="opened",
            installation_id=w.pr_installation.id,
            repository_id=w.hello.id,
            body=b"{}",
            delivered_at=at(f"2019-06-0{day}T00:57:16Z"),
            redelivery=redelivery,
            duration=0.27,
            status="OK",
            status_code=200,
        ).as_json()

    return [delivery(12345678, 3, False), delivery(123456789, 4, True)]


def _from_manifest(w: World, pem: str) -> dict[str, Any]:
    """``POST /app-manifests/{code}/conversions``: the App with its secrets, as the emulator's route answers it."""
    body = shapes.app_json(w.state, w.app)
    body.pop("installations_count", None)
    body.update({"client_secret": w.app.client_secret, "webhook_secret": w.app.webhook_secret, "pem": pem})
    return body


def _octo_installation_listing(w: World) -> dict[str, Any]:
    first = _api_installation(w, w.octo_installation)
    first.update(id=1)
    second = _api_installation(w, w.installation)
    return {"total_count": 2, "installations": [first, second]}


def api(w: World, pem: str) -> dict[str, Callable[[], Document]]:
    """File name under ``api/`` → builder (one per REST operation the suite mocks)."""

    def list_installations() -> Document:
        first = _api_installation(w, w.octo_installation)
        first.update(id=1)
        return [first]

    return {
        "apps-get-authenticated.json": lambda: shapes.app_json(w.state, w.app),
        "apps-list-installations.json": list_installations,
        "apps-get-installation.json": lambda: _api_installation(w, w.octo_installation, id=1),
        "apps-create-installation-access-token.json": lambda: _token_response(w),
        "apps-list-repos-accessible-to-installation.json": lambda: {
            "total_count": 1,
            "repositories": [shapes.repo_json(w.state, w.octo_repo)],
        },
        "apps-list-installations-for-authenticated-user.json": lambda: _octo_installation_listing(w),
        "apps-list-webhook-deliveries.json": lambda: _api_deliveries(w),
        "apps-create-from-manifest.json": lambda: _from_manifest(w, pem),
    }


def signature_vector() -> dict[str, Any]:
    """Our own test vector for ``X-Hub-Signature-256``, computed here with the standard library's HMAC."""
    secret, payload = "tformance fixtures secret", '{"zen":"Keep it logically awesome."}'
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return {
        "secret": secret,
        "payload": payload,
        "signature_256": f"sha256={digest}",
        "hexdigest": digest,
        "encoding": "secret and payload are UTF-8 bytes without a trailing newline",
    }


# writing ----------------------------------------------------------------------------------------------------


def _web_urls(node: Any, key: str = "") -> Any:
    """The emulator serves API and web pages on one origin; GitHub's documents point pages and avatars elsewhere."""
    if isinstance(node, dict):
        return {k: _web_urls(v, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_web_urls(v, key) for v in node]
    if isinstance(node, str) and key == "avatar_url" and node.startswith(f"{API}/avatars/"):
        return AVATARS + node.removeprefix(f"{API}/avatars")
    if isinstance(node, str) and key in ("html_url", "href") and node.startswith(API) and "/repos/" not in node:
        return WEB + node.removeprefix(API)
    if isinstance(node, str) and key == "href" and node.startswith(f"{API}/repos/") and "/pull/" in node:
        return WEB + node.removeprefix(f"{API}/repos")
    return node


def render(document: Document) -> str:
    return json.dumps(_web_urls(document), indent=2, ensure_ascii=False) + "\n"


def _existing_pem() -> str:
    """The manifest example's private key: generated once, then kept (a new key each run would churn the file)."""
    path = DATA_DIR / "api" / "apps-create-from-manifest.json"
    if path.exists():
        return json.loads(path.read_text())["pem"]
    from github_app.emulator.crypto import generate_private_key_pem

    return generate_private_key_pem()


def recorded() -> dict[str, str]:
    """Relative path under DATA_DIR → file text, for every fixture."""
    texts: dict[str, str] = {}
    for relative, build in webhooks(World()).items():
        texts[f"webhooks/{relative}"] = render(build())
    for relative, build in _ghes_events(World()).items():
        texts[f"webhooks-ghes-35/{relative}"] = render(build())
    for name, build in api(World(), _existing_pem()).items():
        texts[f"api/{name}"] = render(build())
    texts["signature-test-vector.json"] = render(signature_vector())
    return texts


def main() -> None:
    texts = recorded()
    for relative, text in sorted(texts.items()):
        path = DATA_DIR / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    stale = {p.relative_to(DATA_DIR).as_posix() for p in DATA_DIR.rglob("*.json")} - texts.keys()
    for relative in stale:
        (DATA_DIR / relative).unlink()
    print(f"recorded {len(texts)} fixtures in {DATA_DIR}, removed {len(stale)} stale")


if __name__ == "__main__":
    main()
