"""Installation-token endpoints for deployments, workflow runs and commit comparison, as GitHub documents them.

- ``GET /repos/{owner}/{repo}/deployments`` (filters ``sha``, ``ref``, ``task``, ``environment``), ``.../{id}`` and
  ``.../{id}/statuses``: newest first, paged; they need the ``deployments`` permission (read).
- ``GET /repos/{owner}/{repo}/actions/runs`` (filters ``actor``, ``branch``, ``event``, ``status``, ``created``,
  ``head_sha``, ``check_suite_id``, ``exclude_pull_requests``) and ``.../runs/{id}``: need ``actions`` (read). With
  any of the search filters GitHub returns at most 1,000 runs for the search: later pages are empty.
- ``GET /repos/{owner}/{repo}/compare/{basehead}`` (``BASE...HEAD``): needs ``contents`` (read). Without ``page``
  or ``per_page`` at most 250 commits; with them the commits are paged.

A repository the installation does not reach is 404; a permission it lacks is 403 "Resource not accessible by
integration"; a malformed filter is 422.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from .. import commits
from ..deploy_payloads import commit_json, deployment_json, deployment_status_json, workflow_run_json
from ..deploy_store import WorkflowRun
from ..deploys import holds, known
from ..httpkit import HttpError, Request, Response, Router, json_response
from ..models import Repository
from .installation_api import page_of, repository_of

if TYPE_CHECKING:
    from ..server import EmulatorServer

SEARCH_FILTERS = ("actor", "branch", "check_suite_id", "created", "event", "head_sha", "status")
SEARCH_LIMIT = 1000
RUN_STATUSES = ("completed", "in_progress", "queued", "requested", "waiting", "pending")
RUN_CONCLUSIONS = ("action_required", "cancelled", "failure", "neutral", "skipped", "stale", "success", "timed_out")
COMPARE_UNPAGED_LIMIT = 250
_DATE = r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?"


def register(router: Router, emulator: EmulatorServer) -> None:
    state = emulator.state

    def repository(request: Request, permission: str) -> Repository:
        repo = repository_of(state, request)
        if request.installation is None or not holds(request.installation, permission):
            raise HttpError(403, "Resource not accessible by integration")
        return repo

    def deployments(request: Request) -> Response:
        with state.lock:
            repo = repository(request, "deployments")
            found = [
                d
                for d in reversed(state.deploys.of(repo).deployments)
                if all(
                    request.query.get(key) in (None, value)
                    for key, value in (("sha", d.sha), ("ref", d.ref), ("task", d.task), ("environment", d.environment))
                )
            ]
            page, headers = page_of(state, request, found, request.path)
            return json_response([deployment_json(state, repo, d) for d in page], headers=headers)

    def deployment(request: Request) -> Response:
        with state.lock:
            repo = repository(request, "deployments")
            d = known(state.deploys.deployment(repo, request.id_param("deployment_id")))
            return json_response(deployment_json(state, repo, d))

    def deployment_statuses(request: Request) -> Response:
        with state.lock:
            repo = repository(request, "deployments")
            d = known(state.deploys.deployment(repo, request.id_param("deployment_id")))
            page, headers = page_of(state, request, list(reversed(d.statuses)), request.path)
            return json_response([deployment_status_json(state, repo, d, s) for s in page], headers=headers)

    def runs(request: Request) -> Response:
        with state.lock:
            repo = repository(request, "actions")
            _check_filters(request)
            found = [r for r in reversed(state.deploys.of(repo).runs) if _matches(request, r)]
            total = len(found)
            if any(request.query.get(key) for key in SEARCH_FILTERS):
                found = found[:SEARCH_LIMIT]
            page, headers = page_of(state, request, found, request.path)
            body = [workflow_run_json(state, repo, r, rest=True) for r in page]
            if request.query.get("exclude_pull_requests") == "true":
                body = [{**run, "pull_requests": []} for run in body]
            return json_response({"total_count": total, "workflow_runs": body}, headers=headers)

    def run(request: Request) -> Response:
        with state.lock:
            repo = repository(request, "actions")
            run = known(state.deploys.run(repo, request.id_param("run_id")))
            return json_response(workflow_run_json(state, repo, run, rest=True))

    def compare(request: Request) -> Response:
        with state.lock:
            repo = repository(request, "contents")
            base_ref, separator, head_ref = request.params["basehead"].partition("...")
            base = commits.resolve(state, repo, base_ref) if separator else None
            head = commits.resolve(state, repo, head_ref) if separator else None
            if base is None or head is None:
                raise HttpError(404, "Not Found")
            result = commits.compare(state, repo, base, head)
            paged = "page" in request.query or "per_page" in request.query
            if paged:
                shown, headers = page_of(state, request, result.ahead, request.path)
            else:
                shown, headers = result.ahead[-COMPARE_UNPAGED_LIMIT:], {}
            api, html = f"{state.api_url}/repos/{repo.full_name}", f"{state.base_url}/{repo.full_name}"
            spec, owner = request.params["basehead"], repo.owner_login
            body = {
                "url": f"{api}/compare/{spec}",
                "html_url": f"{html}/compare/{spec}",
                "permalink_url": f"{html}/compare/{owner}:{base.sha[:7]}...{owner}:{head.sha[:7]}",
                "diff_url": f"{html}/compare/{spec}.diff",
                "patch_url": f"{html}/compare/{spec}.patch",
                "base_commit": commit_json(state, repo, base),
                "merge_base_commit": commit_json(state, repo, result.merge_base),
                "status": result.status,
                "ahead_by": len(result.ahead),
                "behind_by": result.behind_by,
                "total_commits": len(result.ahead),
                "commits": [commit_json(state, repo, c) for c in shown],
                "files": [],
            }
            return json_response(body, headers=headers)

    owner_repo = "/repos/{owner}/{repo}"
    router.add("GET", f"{owner_repo}/deployments", deployments, "installation")
    router.add("GET", f"{owner_repo}/deployments/{{deployment_id}}", deployment, "installation")
    router.add("GET", f"{owner_repo}/deployments/{{deployment_id}}/statuses", deployment_statuses, "installation")
    router.add("GET", f"{owner_repo}/actions/runs", runs, "installation")
    router.add("GET", f"{owner_repo}/actions/runs/{{run_id}}", run, "installation")
    router.add("GET", f"{owner_repo}/compare/{{basehead}}", compare, "installation")


def _check_filters(request: Request) -> None:
    """Refuse a malformed ``status`` or ``created`` even when no run would be compared with it."""
    status = request.query.get("status")
    if status is not None and status not in RUN_STATUSES + RUN_CONCLUSIONS:
        raise HttpError(422, f"Validation Failed: status must be one of {', '.join(RUN_STATUSES + RUN_CONCLUSIONS)}")
    created = request.query.get("created")
    if created is not None:
        _in_range(created, datetime.now(UTC))


def _matches(request: Request, run: WorkflowRun) -> bool:
    q = request.query
    status = q.get("status")
    checks = [
        ("actor", run.actor),
        ("branch", run.head_branch),
        ("event", run.event),
        ("head_sha", run.head_sha),
        ("check_suite_id", str(run.id + 7_000_000_000)),
    ]
    if any(q.get(key) not in (None, value) for key, value in checks):
        return False
    if status is not None and status != (run.status if status in RUN_STATUSES else run.conclusion):
        return False
    created = q.get("created")
    return created is None or _in_range(created, run.created_at)


def _parse(text: str, *, end: bool) -> datetime:
    """A date or date-time of GitHub's search syntax; a bare date's ``end`` is the start of the next day."""
    if not re.fullmatch(_DATE, text):
        raise HttpError(422, f"Validation Failed: {text!r} is not a date (YYYY-MM-DD or an ISO 8601 time)")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise HttpError(422, f"Validation Failed: {text!r} is not a date") from exc
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value + timedelta(days=1) if end and "T" not in text else value


def _not_before(text: str, at: datetime) -> bool:
    return at >= _parse(text, end=False)


def _not_after(text: str, at: datetime) -> bool:
    """A bare date covers its whole day; a date-time is an instant."""
    return at < _parse(text, end=True) if "T" not in text else at <= _parse(text, end=False)


def _in_range(expression: str, at: datetime) -> bool:
    """``created``: ``2024-01-01``, ``>=2024-01-01``, ``<2024-01-01T10:00:00Z``, ``2024-01-01..2024-01-31``,
    ``2024-01-01..*`` (GitHub's "Understanding the search syntax" for dates)."""
    if ".." in expression:
        low, _, high = expression.partition("..")
        return (low == "*" or _not_before(low, at)) and (high == "*" or _not_after(high, at))
    if expression.startswith(">="):
        return _not_before(expression[2:], at)
    if expression.startswith("<="):
        return _not_after(expression[2:], at)
    if expression.startswith(">"):
        return not _not_after(expression[1:], at)
    if expression.startswith("<"):
        return not _not_before(expression[1:], at)
    return _not_before(expression, at) and _not_after(expression, at)
