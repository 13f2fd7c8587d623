"""Control API for deployments, workflow runs, commits and the App's permissions (``/_emulator/...``, no auth)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import commits
from ..deploys import (
    deployment_create,
    deployment_status_create,
    workflow_run_complete,
    workflow_run_rerun,
    workflow_run_start,
)
from ..httpkit import HttpError, Request, Response, Router, json_response
from ..state import utcnow

if TYPE_CHECKING:
    from ..server import EmulatorServer


def _body(request: Request) -> dict[str, Any]:
    data = request.json()
    if not isinstance(data, dict):
        raise HttpError(400, "Expected a JSON object")
    if not data.get("repository"):
        raise HttpError(422, "repository is required")
    return data


def _run_answer(run: Any, guids: list[str]) -> dict[str, Any]:
    return {
        "id": run.id,
        "run_attempt": run.run_attempt,
        "status": run.status,
        "conclusion": run.conclusion,
        "head_sha": run.head_sha,
        "deliveries": guids,
    }


def register(router: Router, emulator: EmulatorServer) -> None:
    state = emulator.state

    def deployments(request: Request) -> Response:
        """``{"repository", "ref", "environment", "creator", "statuses": ["success"], "production_environment",
        "transient_environment", "task", "description", "log_url"}``"""
        data = _body(request)
        repo_name, ref = str(data["repository"]), str(data.get("ref") or "")
        options: dict[str, Any] = {
            k: data[k] for k in ("production_environment", "transient_environment", "task") if k in data
        }
        options.update({k: data.get(k) for k in ("description", "statuses", "log_url")})
        d, guids = deployment_create(
            emulator,
            repo_name,
            ref=ref or _default_branch(emulator, repo_name),
            environment=str(data.get("environment") or "production"),
            creator=str(data.get("creator") or emulator.config.owner),
            **options,
        )
        return json_response({"id": d.id, "sha": d.sha, "deliveries": guids}, 201)

    def statuses(request: Request) -> Response:
        data = _body(request)
        urls = {k: str(data.get(k) or "") for k in ("log_url", "environment_url", "description")}
        status, guids = deployment_status_create(
            emulator,
            str(data["repository"]),
            request.id_param("id"),
            state_name=str(data.get("state") or ""),
            creator=str(data.get("creator") or emulator.config.owner),
            **urls,
        )
        return json_response({"id": status.id, "state": status.state, "deliveries": guids}, 201)

    def runs(request: Request) -> Response:
        """``{"repository", "path", "name", "branch", "head_sha", "event", "actor", "environment", "conclusion",
        "pull_requests"}``: one run through requested, in_progress and (with a conclusion) completed."""
        data = _body(request)
        keys = ("name", "branch", "head_sha", "event", "environment", "conclusion", "pull_requests")
        run, guids = workflow_run_start(
            emulator,
            str(data["repository"]),
            path=str(data.get("path") or ".github/workflows/deploy.yml"),
            actor=str(data.get("actor") or emulator.config.owner),
            **{k: data.get(k) for k in keys},
        )
        return json_response(_run_answer(run, guids), 201)

    def rerun(request: Request) -> Response:
        data = _body(request)
        run, guids = workflow_run_rerun(
            emulator,
            str(data["repository"]),
            request.id_param("id"),
            environment=data.get("environment"),
            conclusion=data.get("conclusion"),
        )
        return json_response(_run_answer(run, guids), 201)

    def complete(request: Request) -> Response:
        data = _body(request)
        run, guids = workflow_run_complete(
            emulator, str(data["repository"]), request.id_param("id"), str(data.get("conclusion") or "success")
        )
        return json_response(_run_answer(run, guids))

    def push(request: Request) -> Response:
        """``{"repository", "branch", "messages": [...], "author"}``: commits on a branch (no ``push`` event: the
        App does not subscribe to it)."""
        data = _body(request)
        messages = [str(m) for m in data.get("messages") or ["Update"]]
        with state.lock:
            repo = state.repo_by_full_name(str(data["repository"]))
            if repo is None:
                raise HttpError(404, "Repository not found")
            branch = str(data.get("branch") or repo.default_branch)
            author = str(data.get("author") or repo.owner_login)
            made = [commits.push(state, repo, branch, m, author, utcnow()) for m in messages]
        return json_response({"branch": branch, "shas": [c.sha for c in made]}, 201)

    def app_permissions(request: Request) -> Response:
        """``{"permissions": {...}, "events": [...]}``: the App asks for new permissions / events. Installations keep
        their old ones until they accept (``POST /_emulator/installations/{id}/accept_permissions``)."""
        data = request.json()
        if not isinstance(data, dict):
            raise HttpError(400, "Expected a JSON object")
        app = emulator.app
        with state.lock:
            if isinstance(data.get("permissions"), dict):
                app.permissions = {str(k): str(v) for k, v in data["permissions"].items()}
            if isinstance(data.get("events"), list):
                app.events = [str(e) for e in data["events"]]
        return json_response({"permissions": app.permissions, "events": app.events})

    router.add("POST", "/_emulator/deployments", deployments, "control")
    router.add("POST", "/_emulator/deployments/{id}/statuses", statuses, "control")
    router.add("POST", "/_emulator/workflow-runs", runs, "control")
    router.add("POST", "/_emulator/workflow-runs/{id}/rerun", rerun, "control")
    router.add("POST", "/_emulator/workflow-runs/{id}/complete", complete, "control")
    router.add("POST", "/_emulator/commits", push, "control")
    router.add("POST", "/_emulator/app", app_permissions, "control")


def _default_branch(emulator: EmulatorServer, full_name: str) -> str:
    repo = emulator.state.repo_by_full_name(full_name)
    return repo.default_branch if repo is not None else "main"
