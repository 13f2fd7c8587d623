"""JSON of deployments, deployment statuses, workflow runs and commits, and the webhook payloads built from them.

Shapes follow GitHub's webhook examples (``deployment``, ``deployment_status``, ``workflow_run``) and the REST
objects of "List deployments", "List deployment statuses", "List workflow runs for a repository" and "Compare two
commits". The ``workflow_run`` inside a deployment event is the shorter object GitHub sends there (no ``path``,
``head_commit``, ``repository``...); a ``workflow_run`` event carries the whole run.
"""

from __future__ import annotations

from typing import Any

from .commits import find_commit
from .deploy_store import Commit, Deployment, DeploymentStatus, WorkflowRun
from .models import Installation, Repository
from .payloads import envelope
from .shapes import REPO_URL_TEMPLATES, iso, node_id, repo_json, repo_min_json, user_by_login
from .state import State


def _api(state: State, repo: Repository) -> str:
    return f"{state.api_url}/repos/{repo.full_name}"


def minimal_repo_json(state: State, repo: Repository, *, rest: bool = False) -> dict[str, Any]:
    """GitHub's "minimal repository" of a workflow run: the short entry, owner, description and the API URLs."""
    keep = {*repo_min_json(repo), "owner", "html_url", "description", "fork", "url", *REPO_URL_TEMPLATES}
    keep |= {"git_url", "ssh_url"} if rest else set()
    return {k: v for k, v in repo_json(state, repo).items() if k in keep}


def deployment_json(state: State, repo: Repository, d: Deployment) -> dict[str, Any]:
    url = f"{_api(state, repo)}/deployments/{d.id}"
    return {
        "url": url,
        "id": d.id,
        "node_id": node_id("Deployment", d.id),
        "sha": d.sha,
        "ref": d.ref,
        "task": d.task,
        "payload": {},
        "original_environment": d.environment,
        "environment": d.environment,
        "description": d.description,
        "creator": user_by_login(state, d.creator),
        "created_at": iso(d.created_at),
        "updated_at": iso(d.updated_at),
        "statuses_url": f"{url}/statuses",
        "repository_url": _api(state, repo),
        "transient_environment": d.transient_environment,
        "production_environment": d.production_environment,
        "performed_via_github_app": None,
    }


def deployment_status_json(state: State, repo: Repository, d: Deployment, s: DeploymentStatus) -> dict[str, Any]:
    deployment_url = f"{_api(state, repo)}/deployments/{d.id}"
    return {
        "url": f"{deployment_url}/statuses/{s.id}",
        "id": s.id,
        "node_id": node_id("DeploymentStatus", s.id),
        "state": s.state,
        "creator": user_by_login(state, s.creator),
        "description": s.description,
        "environment": d.environment,
        "target_url": s.log_url,
        "created_at": iso(s.created_at),
        "updated_at": iso(s.created_at),
        "deployment_url": deployment_url,
        "repository_url": _api(state, repo),
        "environment_url": s.environment_url,
        "log_url": s.log_url,
        "performed_via_github_app": None,
    }


def workflow_json(state: State, repo: Repository, run: WorkflowRun) -> dict[str, Any]:
    url = f"{_api(state, repo)}/actions/workflows/{run.workflow_id}"
    html = f"{state.base_url}/{repo.full_name}"
    return {
        "badge_url": f"{html}/workflows/{run.name}/badge.svg",
        "created_at": iso(repo.created_at),
        "html_url": f"{html}/blob/{repo.default_branch}/{run.path}",
        "id": run.workflow_id,
        "name": run.name,
        "node_id": node_id("Workflow", run.workflow_id),
        "path": run.path,
        "state": "active",
        "updated_at": iso(repo.created_at),
        "url": url,
    }


def _pull_request_ref(state: State, repo: Repository, number: int, run: WorkflowRun) -> dict[str, Any]:
    pr = state.pull_request(repo, number)
    head_ref, head_sha = (pr.head_ref, pr.head_sha) if pr is not None else (run.head_branch, run.head_sha)
    base_ref = pr.base_ref if pr is not None else repo.default_branch
    short = {"id": repo.id, "url": _api(state, repo), "name": repo.name}
    return {
        "url": f"{_api(state, repo)}/pulls/{number}",
        "id": pr.id if pr is not None else number,
        "number": number,
        "head": {"ref": head_ref, "sha": head_sha, "repo": short},
        "base": {"ref": base_ref, "sha": head_sha[::-1], "repo": short},
    }


def workflow_run_json(
    state: State, repo: Repository, run: WorkflowRun, *, full: bool = True, rest: bool = False
) -> dict[str, Any]:
    """The run as the ``workflow_run`` webhook shows it; ``full=False``: the shorter run inside a deployment event;
    ``rest=True``: as ``GET /repos/{owner}/{repo}/actions/runs`` shows it (also ``referenced_workflows``, and the
    repository's ``git_url``/``ssh_url``, which GitHub's REST examples have and its webhook examples do not)."""
    url, html = f"{_api(state, repo)}/actions/runs/{run.id}", f"{state.base_url}/{repo.full_name}/actions/runs/{run.id}"
    suite = run.id + 7_000_000_000
    body: dict[str, Any] = {
        "id": run.id,
        "name": run.name,
        "node_id": node_id("WorkflowRun", run.id),
        "head_branch": run.head_branch,
        "head_sha": run.head_sha,
        "run_number": run.run_number,
        "event": run.event,
        "status": run.status,
        "conclusion": run.conclusion,
        "workflow_id": run.workflow_id,
        "check_suite_id": suite,
        "check_suite_node_id": node_id("CheckSuite", suite),
        "url": url,
        "html_url": html,
        "pull_requests": [_pull_request_ref(state, repo, n, run) for n in run.pull_requests],
        "created_at": iso(run.created_at),
        "updated_at": iso(run.updated_at),
        "run_attempt": run.run_attempt,
        "run_started_at": iso(run.run_started_at),
        "actor": user_by_login(state, run.actor),
        "triggering_actor": user_by_login(state, run.actor),
    }
    if not full:
        return body
    commit = find_commit(state, repo, run.head_sha)
    body.update(
        {
            "path": run.path,
            "display_title": commit.message.splitlines()[0] if commit else run.name,
            "previous_attempt_url": f"{url}/attempts/{run.run_attempt - 1}" if run.run_attempt > 1 else None,
            "jobs_url": f"{url}/jobs",
            "logs_url": f"{url}/logs",
            "check_suite_url": f"{_api(state, repo)}/check-suites/{suite}",
            "artifacts_url": f"{url}/artifacts",
            "cancel_url": f"{url}/cancel",
            "rerun_url": f"{url}/rerun",
            "workflow_url": f"{_api(state, repo)}/actions/workflows/{run.workflow_id}",
            "head_commit": head_commit_json(state, commit) if commit else None,
            "repository": minimal_repo_json(state, repo, rest=rest),
            "head_repository": minimal_repo_json(state, repo),
        }
    )
    if rest:
        body["referenced_workflows"] = []
    return body


def head_commit_json(state: State, commit: Commit) -> dict[str, Any]:
    person = {"name": commit.author, "email": f"{commit.author}@users.noreply.github.com"}
    return {
        "id": commit.sha,
        "tree_id": commit.sha[::-1],
        "message": commit.message,
        "timestamp": iso(commit.at),
        "author": person,
        "committer": person,
    }


def commit_json(state: State, repo: Repository, commit: Commit) -> dict[str, Any]:
    """A commit of "Compare two commits" (the REST ``commit`` object)."""
    api, html = _api(state, repo), f"{state.base_url}/{repo.full_name}"
    signature = {"name": commit.author, "email": f"{commit.author}@users.noreply.github.com", "date": iso(commit.at)}
    parents = [] if commit.parent is None else [commit.parent]
    return {
        "url": f"{api}/commits/{commit.sha}",
        "sha": commit.sha,
        "node_id": node_id("Commit", int(commit.sha[:8], 16)),
        "html_url": f"{html}/commit/{commit.sha}",
        "comments_url": f"{api}/commits/{commit.sha}/comments",
        "commit": {
            "url": f"{api}/git/commits/{commit.sha}",
            "author": signature,
            "committer": signature,
            "message": commit.message,
            "tree": {"url": f"{api}/git/trees/{commit.sha[::-1]}", "sha": commit.sha[::-1]},
            "comment_count": 0,
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        },
        "author": user_by_login(state, commit.author),
        "committer": user_by_login(state, commit.author),
        "parents": [{"url": f"{api}/commits/{p}", "sha": p} for p in parents],
    }


def _run_of(state: State, repo: Repository, d: Deployment) -> WorkflowRun | None:
    return None if d.run_id is None else state.deploys.run(repo, d.run_id)


def deployment_event(state: State, repo: Repository, d: Deployment, inst: Installation) -> dict[str, Any]:
    """``deployment`` created: the deployment, and the workflow and run that made it (null for a REST one)."""
    run = _run_of(state, repo, d)
    return {
        "action": "created",
        "deployment": deployment_json(state, repo, d),
        "workflow": None if run is None else workflow_json(state, repo, run),
        "workflow_run": None if run is None else workflow_run_json(state, repo, run, full=False),
        **envelope(state, repo, inst, d.creator),
    }


def check_run_json(state: State, repo: Repository, run: WorkflowRun) -> dict[str, Any]:
    """The deploy job's check run, which GitHub puts in a deployment status an Actions run creates."""
    ident = run.id + 5_000_000_000
    html = f"{state.base_url}/{repo.full_name}/runs/{ident}?check_suite_focus=true"
    done = run.status == "completed"
    return {
        "id": ident,
        "name": "deploy",
        "node_id": node_id("CheckRun", ident),
        "head_sha": run.head_sha,
        "external_id": f"{run.id}-{run.run_attempt}",
        "url": f"{_api(state, repo)}/check-runs/{ident}",
        "html_url": html,
        "details_url": html,
        "status": run.status,
        "conclusion": run.conclusion,
        "started_at": iso(run.run_started_at),
        "completed_at": iso(run.updated_at) if done else None,
    }


def deployment_status_event(
    state: State, repo: Repository, d: Deployment, s: DeploymentStatus, inst: Installation
) -> dict[str, Any]:
    run = _run_of(state, repo, d)
    payload: dict[str, Any] = {
        "action": "created",
        "deployment_status": deployment_status_json(state, repo, d, s),
        "deployment": deployment_json(state, repo, d),
    }
    if run is not None:
        payload["check_run"] = check_run_json(state, repo, run)
        payload["workflow_run"] = workflow_run_json(state, repo, run, full=False)
    payload.update(envelope(state, repo, inst, s.creator))
    return payload


def workflow_run_event(
    state: State, repo: Repository, run: WorkflowRun, action: str, inst: Installation
) -> dict[str, Any]:
    """``workflow_run`` requested / in_progress / completed."""
    return {
        "action": action,
        **envelope(state, repo, inst, run.actor),
        "workflow": workflow_json(state, repo, run),
        "workflow_run": workflow_run_json(state, repo, run),
    }
