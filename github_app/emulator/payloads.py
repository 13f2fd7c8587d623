"""Pull-request shapes and the webhook payloads built from them.

``pull_request`` events carry the full PR object (``pulls-get`` shape, with ``merged``,
``additions``...); ``pull_request_review`` events carry the shorter one GitHub sends there, plus a
``review`` whose ``state`` is lower case, unlike REST and GraphQL.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .deploy_store import merge_commit_sha
from .models import Installation, PullRequest, Repository, Review
from .shapes import installation_json, iso, label_json, node_id, org_json, repo_json, repo_min_json, user_by_login
from .state import State


def _ref(state: State, repo: Repository, pr: PullRequest, ref: str, sha: str) -> dict[str, Any]:
    return {
        "label": f"{repo.owner_login}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": user_by_login(state, repo.owner_login),
        "repo": repo_json(state, repo),
    }


def pull_request_json(state: State, repo: Repository, pr: PullRequest, *, full: bool = True) -> dict[str, Any]:
    """``pulls-get`` shape; ``full=False`` drops the fields GitHub omits in review events."""
    api, html = f"{state.api_url}/repos/{repo.full_name}", f"{state.base_url}/{repo.full_name}"
    pr_api, pr_html, issue = f"{api}/pulls/{pr.number}", f"{html}/pull/{pr.number}", f"{api}/issues/{pr.number}"
    base_sha = pr.head_sha[::-1]
    body: dict[str, Any] = {
        "url": pr_api,
        "id": pr.id,
        "node_id": node_id("PullRequest", pr.id),
        "html_url": pr_html,
        "diff_url": f"{pr_html}.diff",
        "patch_url": f"{pr_html}.patch",
        "issue_url": issue,
        "number": pr.number,
        "state": pr.state,
        "locked": False,
        "title": pr.title,
        "user": user_by_login(state, pr.user),
        "body": pr.body or None,
        "created_at": iso(pr.created_at),
        "updated_at": iso(pr.updated_at),
        "closed_at": iso(pr.closed_at),
        "merged_at": iso(pr.merged_at),
        "merge_commit_sha": _merge_commit_sha(pr),
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [user_by_login(state, login) for login in pr.requested_reviewers],
        "requested_teams": [],
        "labels": [label_json(state, repo, name) for name in pr.labels],
        "milestone": None,
        "draft": pr.draft,
        "commits_url": f"{pr_api}/commits",
        "review_comments_url": f"{pr_api}/comments",
        "review_comment_url": f"{api}/pulls/comments{{/number}}",
        "comments_url": f"{issue}/comments",
        "statuses_url": f"{api}/statuses/{pr.head_sha}",
        "head": _ref(state, repo, pr, pr.head_ref, pr.head_sha),
        "base": _ref(state, repo, pr, pr.base_ref, base_sha),
        "_links": {
            "self": {"href": pr_api},
            "html": {"href": pr_html},
            "issue": {"href": issue},
            "comments": {"href": f"{issue}/comments"},
            "review_comments": {"href": f"{pr_api}/comments"},
            "review_comment": {"href": f"{api}/pulls/comments{{/number}}"},
            "commits": {"href": f"{pr_api}/commits"},
            "statuses": {"href": f"{api}/statuses/{pr.head_sha}"},
        },
        "author_association": "MEMBER",
        "auto_merge": None,
        "active_lock_reason": None,
    }
    if full:
        merger = pr.reviews[-1].user if pr.merged and pr.reviews else pr.user
        body.update(
            {
                "merged": pr.merged,
                "mergeable": None if pr.state == "closed" else True,
                "rebaseable": None,
                "mergeable_state": "unknown",
                "merged_by": user_by_login(state, merger) if pr.merged else None,
                "comments": 0,
                "review_comments": 0,
                "maintainer_can_modify": False,
                "commits": 1,
                "additions": pr.additions,
                "deletions": pr.deletions,
                "changed_files": pr.changed_files,
            }
        )
    return body


def review_json(state: State, repo: Repository, pr: PullRequest, review: Review) -> dict[str, Any]:
    """Webhook ``review`` object; ``state`` is lower case here (``approved``, ``changes_requested``...)."""
    pr_api = f"{state.api_url}/repos/{repo.full_name}/pulls/{pr.number}"
    html = f"{state.base_url}/{repo.full_name}/pull/{pr.number}#pullrequestreview-{review.id}"
    return {
        "id": review.id,
        "node_id": node_id("PullRequestReview", review.id),
        "user": user_by_login(state, review.user),
        "body": review.body or None,
        "commit_id": pr.head_sha,
        "submitted_at": iso(review.submitted_at),
        "state": review.state.lower(),
        "html_url": html,
        "pull_request_url": pr_api,
        "author_association": "MEMBER",
        "_links": {"html": {"href": html}, "pull_request": {"href": pr_api}},
    }


def envelope(state: State, repo: Repository, inst: Installation, sender: str) -> dict[str, Any]:
    """Keys every repository event shares; ``organization`` only for org-owned repositories."""
    body: dict[str, Any] = {
        "repository": repo_json(state, repo),
        "sender": user_by_login(state, sender),
        "installation": {"id": inst.id, "node_id": node_id("IntegrationInstallation", inst.id)},
    }
    owner = state.account(repo.owner_login)
    if owner is not None and owner.is_org:
        body["organization"] = org_json(state, owner)
    return body


def pull_request_event(
    state: State, repo: Repository, pr: PullRequest, inst: Installation, action: str, sender: str, **extra: Any
) -> dict[str, Any]:
    """``pull_request`` payload: action, number, the full PR, plus action-specific keys (``label``...)."""
    payload = {"action": action, "number": pr.number, "pull_request": pull_request_json(state, repo, pr)}
    payload.update(extra)
    payload.update(envelope(state, repo, inst, sender))
    return payload


def pull_request_review_event(
    state: State, repo: Repository, pr: PullRequest, review: Review, inst: Installation, action: str, sender: str
) -> dict[str, Any]:
    payload = {
        "action": action,
        "review": review_json(state, repo, pr, review),
        "pull_request": pull_request_json(state, repo, pr, full=False),
    }
    payload.update(envelope(state, repo, inst, sender))
    return payload


def installation_event(state: State, inst: Installation, action: str, sender: str) -> dict[str, Any]:
    """``installation`` created/deleted carry ``repositories``; suspend/unsuspend do not."""
    payload: dict[str, Any] = {"action": action, "installation": installation_json(state, inst)}
    if action in ("created", "deleted"):
        payload["repositories"] = [repo_min_json(r) for r in state.installation_repos(inst)]
    payload["sender"] = user_by_login(state, sender)
    if action == "created":
        payload["requester"] = None
    return payload


def installation_repositories_event(
    state: State, inst: Installation, action: str, added: list[Repository], removed: list[Repository], sender: str
) -> dict[str, Any]:
    return {
        "action": action,
        "installation": installation_json(state, inst),
        "repository_selection": inst.repository_selection,
        "repositories_added": [repo_min_json(r) for r in added],
        "repositories_removed": [repo_min_json(r) for r in removed],
        "requester": None,
        "sender": user_by_login(state, sender),
    }


def repository_event(
    state: State, repo: Repository, inst: Installation, action: str, sender: str, changes: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``repository`` payload: action, ``changes`` when the action has them (``transferred``: the old owner under
    ``changes.owner.from.organization`` or ``.user``), the full repository and the envelope."""
    payload: dict[str, Any] = {"action": action}
    if changes is not None:
        payload["changes"] = changes
    payload.update(envelope(state, repo, inst, sender))
    return payload


def _merge_commit_sha(pr: PullRequest) -> str | None:
    """As GitHub fills ``merge_commit_sha``: the merge's commit once merged; on an open PR, the commit of a test
    merge GitHub made to check mergeability (never on the base branch); nothing on a PR closed unmerged."""
    if pr.merged:
        return merge_commit_sha(pr)
    if pr.state == "open":
        return hashlib.sha1(f"{pr.head_sha}:test-merge".encode(), usedforsecurity=False).hexdigest()
    return None
