"""Value types of the deployment events (`deployment`, `deployment_status`, `workflow_run`) and their readers.

These carry what the four DORA keys need: which commit reached which environment, when, through which run and
attempt. Fields GitHub added over the years (`production_environment`, `transient_environment`, a status's
`environment_url` and `log_url`, a run's `path`) are None when a payload predates them: the product decides what
an unknown flag means (a team rule), the parser never guesses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from github_app._reader import Reader
from github_app.webhooks.models import GitHubUser, read_opt_user

# GitHub's "Webhook events and payloads": an App receives `deployment` and `deployment_status` events only with the
# "Deployments" permission (read).
DEPLOYMENTS_PERMISSION = ("deployments", "read")


@dataclass(frozen=True, slots=True)
class Deployment:
    """`deployment` of deployment and deployment_status events (the REST `deployment` object).

    `environment` is where it went after GitHub's renames (`original_environment` is what the creator asked for);
    `production_environment`/`transient_environment` are None in payloads from before GitHub sent them.
    `created_by_app_id` is the App that made it (`performed_via_github_app.id`: Actions for workflow deployments).
    """

    id: int
    sha: str
    ref: str
    task: str
    environment: str
    original_environment: str | None
    production_environment: bool | None
    transient_environment: bool | None
    description: str | None
    created_at: datetime
    updated_at: datetime | None
    creator: GitHubUser | None
    created_by_app_id: int | None


@dataclass(frozen=True, slots=True)
class DeploymentStatus:
    """`deployment_status` of deployment_status events: `state` is one of queued, pending, in_progress, success,
    failure, error (GitHub sends no event for `inactive`). Empty URLs (GitHub's "not set") read as None."""

    id: int
    state: str
    environment: str | None
    environment_url: str | None
    log_url: str | None
    target_url: str | None
    description: str | None
    created_at: datetime
    updated_at: datetime | None
    creator: GitHubUser | None


@dataclass(frozen=True, slots=True)
class WorkflowRun:
    """`workflow_run` of workflow_run events, and the run that made a deployment (deployment events).

    One run id is one run whatever its attempts: a re-run keeps `id` and raises `run_attempt`. `run_started_at` is
    when this attempt started; a run has no completion time: `updated_at` of the `completed` event stands for it.
    `path` is None in the shorter run object of deployment events.
    """

    id: int
    run_attempt: int
    run_number: int
    name: str | None
    workflow_id: int
    path: str | None
    head_sha: str
    head_branch: str | None
    event: str
    status: str | None
    conclusion: str | None
    run_started_at: datetime | None
    created_at: datetime
    updated_at: datetime
    actor: GitHubUser | None
    pull_request_numbers: tuple[int, ...]
    html_url: str


def _url(r: Reader, key: str) -> str | None:
    return r.opt_text(key) or None


def read_deployment(r: Reader) -> Deployment:
    app = r.opt_obj("performed_via_github_app")
    return Deployment(
        id=r.integer("id"),
        sha=r.text("sha"),
        ref=r.text("ref"),
        task=r.text("task"),
        environment=r.text("environment"),
        original_environment=r.opt_text("original_environment"),
        production_environment=r.opt_flag("production_environment"),
        transient_environment=r.opt_flag("transient_environment"),
        description=r.opt_text("description"),
        created_at=r.timestamp("created_at"),
        updated_at=r.opt_timestamp("updated_at"),
        creator=read_opt_user(r.opt_obj("creator")),
        created_by_app_id=None if app is None else app.integer("id"),
    )


def read_deployment_status(r: Reader) -> DeploymentStatus:
    return DeploymentStatus(
        id=r.integer("id"),
        state=r.text("state"),
        environment=r.opt_text("environment"),
        environment_url=_url(r, "environment_url"),
        log_url=_url(r, "log_url"),
        target_url=_url(r, "target_url"),
        description=r.opt_text("description"),
        created_at=r.timestamp("created_at"),
        updated_at=r.opt_timestamp("updated_at"),
        creator=read_opt_user(r.opt_obj("creator")),
    )


def read_workflow_run(r: Reader) -> WorkflowRun:
    return WorkflowRun(
        id=r.integer("id"),
        run_attempt=r.integer("run_attempt"),
        run_number=r.integer("run_number"),
        name=r.opt_text("name"),
        workflow_id=r.integer("workflow_id"),
        path=r.opt_text("path"),
        head_sha=r.text("head_sha"),
        head_branch=r.opt_text("head_branch"),
        event=r.text("event"),
        status=r.opt_text("status"),
        conclusion=r.opt_text("conclusion"),
        run_started_at=r.opt_timestamp("run_started_at"),
        created_at=r.timestamp("created_at"),
        updated_at=r.timestamp("updated_at"),
        actor=read_opt_user(r.opt_obj("actor")),
        pull_request_numbers=tuple(pr.integer("number") for pr in r.objects("pull_requests")),
        html_url=r.opt_text("html_url") or "",
    )


def read_opt_workflow_run(r: Reader | None) -> WorkflowRun | None:
    return None if r is None else read_workflow_run(r)
