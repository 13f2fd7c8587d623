"""``pull_request``, ``pull_request_review``, review comment and review thread deliveries (PR #2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from github_app.emulator import payloads, shapes
from github_app.emulator.models import PullRequest

from .world import API, WEB, Document, World, at, envelope_variant


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
    return envelope_variant(w, payload, installation=installation, organization=organization)


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
    return envelope_variant(w, payload, installation=True, organization=organization)


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
    return envelope_variant(w, payload, installation=True, organization=organization)


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


def pull_request_files(w: World) -> dict[str, Callable[[], Document]]:
    """Relative path under ``webhooks/`` → builder, for everything about the pull request."""
    files = _pr_events(w)
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
        }
    )
    return files
