"""Typed webhook events: `parse_event(X-GitHub-Event, X-GitHub-Delivery, decoded body)`.

Every event carries the base fields; events the product acts on get typed fields. Unknown event
names become `GenericEvent` (a new subscription must never break the endpoint). Payloads that lack
a field the typed event needs raise `WebhookPayloadError` naming the field path, and nothing else.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from github_app._reader import Reader
from github_app.webhooks.deployments import (
    Deployment,
    DeploymentStatus,
    WorkflowRun,
    read_deployment,
    read_deployment_status,
    read_opt_workflow_run,
    read_workflow_run,
)
from github_app.webhooks.models import (
    Account,
    GitHubUser,
    Installation,
    PullRequest,
    Repository,
    RepositoryRef,
    Review,
    WebhookPayloadError,
    payload_reader,
    read_account,
    read_installation,
    read_opt_user,
    read_pull_request,
    read_repository,
    read_repository_ref,
    read_review,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookEvent:
    """Fields of every delivery. `installation_id` is None for repository-webhook style payloads."""

    name: str
    action: str | None
    delivery_id: str
    installation_id: int | None
    sender: GitHubUser | None
    payload: Mapping[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallationEvent(WebhookEvent):
    """`installation`: created, deleted, suspend, unsuspend, new_permissions_accepted.

    `repositories` lists the repositories granted at creation (short objects); `requester` is the
    user who requested the install when an org owner approved it (`created.with-requester`).
    """

    installation: Installation
    repositories: tuple[RepositoryRef, ...]
    requester: GitHubUser | None


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallationRepositoriesEvent(WebhookEvent):
    """`installation_repositories` added / removed: repositories granted or withdrawn."""

    installation: Installation
    repository_selection: str
    repositories_added: tuple[RepositoryRef, ...]
    repositories_removed: tuple[RepositoryRef, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallationTargetEvent(WebhookEvent):
    """`installation_target` renamed: the account the App is installed on changed its login."""

    account: Account
    target_type: str
    changes: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class RepositoryEvent(WebhookEvent):
    """`repository` created, deleted, archived, renamed, transferred, edited (`changes` says what from)."""

    repository: Repository
    changes: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class PullRequestEvent(WebhookEvent):
    """`pull_request` with the PR snapshot; `requested_reviewer` on review_requested/removed, `label` on (un)labeled."""

    number: int
    pull_request: PullRequest
    repository: Repository
    requested_reviewer: GitHubUser | None
    label: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PullRequestReviewEvent(WebhookEvent):
    """`pull_request_review` submitted / edited / dismissed."""

    review: Review
    pull_request: PullRequest
    repository: Repository


@dataclass(frozen=True, slots=True, kw_only=True)
class DeploymentEvent(WebhookEvent):
    """`deployment` created; `workflow_run` is the Actions run that made it (None for a deployment made through the
    REST API by another tool, as in GitHub's plain example)."""

    deployment: Deployment
    repository: Repository
    workflow_run: WorkflowRun | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeploymentStatusEvent(WebhookEvent):
    """`deployment_status` created: a new state of `deployment` (its latest snapshot), maybe from an Actions run."""

    deployment_status: DeploymentStatus
    deployment: Deployment
    repository: Repository
    workflow_run: WorkflowRun | None


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkflowRunEvent(WebhookEvent):
    """`workflow_run` requested, in_progress, completed: one attempt of one run (re-runs send the same id with a
    higher `run_attempt`); `workflow_name`/`workflow_path` come from the `workflow` object beside the run."""

    workflow_run: WorkflowRun
    repository: Repository
    workflow_name: str | None
    workflow_path: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class GitHubAppAuthorizationEvent(WebhookEvent):
    """`github_app_authorization` revoked: the `sender` revoked their user authorization of the App."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PingEvent(WebhookEvent):
    """`ping`, sent when a hook is created; `app_id` is set (from `hook.app_id`) for App webhooks."""

    zen: str
    hook_id: int | None
    hook: Mapping[str, Any] = field(repr=False)
    app_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class GenericEvent(WebhookEvent):
    """Any other event; only the base fields are read, leniently (this never raises)."""


def _installation(r: Reader) -> dict[str, Any]:
    return {
        "installation": read_installation(r.obj("installation")),
        "repositories": tuple(read_repository_ref(x) for x in r.objects("repositories")),
        "requester": read_opt_user(r.opt_obj("requester")),
    }


def _installation_repositories(r: Reader) -> dict[str, Any]:
    return {
        "installation": read_installation(r.obj("installation")),
        "repository_selection": r.opt_text("repository_selection") or "",
        "repositories_added": tuple(read_repository_ref(x) for x in r.objects("repositories_added")),
        "repositories_removed": tuple(read_repository_ref(x) for x in r.objects("repositories_removed")),
    }


def _installation_target(r: Reader) -> dict[str, Any]:
    return {
        "account": read_account(r.obj("account")),
        "target_type": r.opt_text("target_type") or "",
        "changes": r.mapping("changes"),
    }


def _repository(r: Reader) -> dict[str, Any]:
    return {"repository": read_repository(r.obj("repository")), "changes": r.mapping("changes")}


def _pull_request(r: Reader) -> dict[str, Any]:
    pull_request = read_pull_request(r.obj("pull_request"))
    label = r.opt_obj("label")
    number = r.opt_integer("number")
    return {
        "number": pull_request.number if number is None else number,
        "pull_request": pull_request,
        "repository": read_repository(r.obj("repository")),
        "requested_reviewer": read_opt_user(r.opt_obj("requested_reviewer")),
        "label": None if label is None else label.text("name"),
    }


def _pull_request_review(r: Reader) -> dict[str, Any]:
    return {
        "review": read_review(r.obj("review")),
        "pull_request": read_pull_request(r.obj("pull_request")),
        "repository": read_repository(r.obj("repository")),
    }


def _deployment(r: Reader) -> dict[str, Any]:
    return {
        "deployment": read_deployment(r.obj("deployment")),
        "repository": read_repository(r.obj("repository")),
        "workflow_run": read_opt_workflow_run(r.opt_obj("workflow_run")),
    }


def _deployment_status(r: Reader) -> dict[str, Any]:
    return {"deployment_status": read_deployment_status(r.obj("deployment_status")), **_deployment(r)}


def _workflow_run(r: Reader) -> dict[str, Any]:
    workflow = r.opt_obj("workflow")
    return {
        "workflow_run": read_workflow_run(r.obj("workflow_run")),
        "repository": read_repository(r.obj("repository")),
        "workflow_name": None if workflow is None else workflow.opt_text("name"),
        "workflow_path": None if workflow is None else workflow.opt_text("path"),
    }


def _ping(r: Reader) -> dict[str, Any]:
    hook = r.opt_obj("hook")
    return {
        "zen": r.opt_text("zen") or "",
        "hook_id": r.opt_integer("hook_id"),
        "hook": {} if hook is None else hook.data,
        "app_id": None if hook is None else hook.opt_integer("app_id"),
    }


def _nothing(r: Reader) -> dict[str, Any]:
    return {}


_EVENTS: Mapping[str, tuple[type[WebhookEvent], Callable[[Reader], dict[str, Any]]]] = {
    "installation": (InstallationEvent, _installation),
    "installation_repositories": (InstallationRepositoriesEvent, _installation_repositories),
    "installation_target": (InstallationTargetEvent, _installation_target),
    "repository": (RepositoryEvent, _repository),
    "pull_request": (PullRequestEvent, _pull_request),
    "pull_request_review": (PullRequestReviewEvent, _pull_request_review),
    "deployment": (DeploymentEvent, _deployment),
    "deployment_status": (DeploymentStatusEvent, _deployment_status),
    "workflow_run": (WorkflowRunEvent, _workflow_run),
    "github_app_authorization": (GitHubAppAuthorizationEvent, _nothing),
    "ping": (PingEvent, _ping),
}


def _base(r: Reader) -> dict[str, Any]:
    return {
        "action": r.opt_text("action"),
        "installation_id": _base_installation_id(r),
        "sender": read_opt_user(r.opt_obj("sender")),
    }


def _lenient_base(r: Reader) -> dict[str, Any]:
    """Base fields for `GenericEvent`: anything unreadable becomes None instead of an error."""
    values: dict[str, Any] = {"action": None, "installation_id": None, "sender": None}
    for name, read in (
        ("action", lambda: r.opt_text("action")),
        ("installation_id", lambda: _base_installation_id(r)),
        ("sender", lambda: read_opt_user(r.opt_obj("sender"))),
    ):
        with contextlib.suppress(WebhookPayloadError):
            values[name] = read()
    return values


def _base_installation_id(r: Reader) -> int | None:
    installation = r.opt_obj("installation")
    return None if installation is None else installation.integer("id")


def event_type_for(event_name: str) -> type[WebhookEvent]:
    """The class `parse_event` gives deliveries of `event_name` (`GenericEvent` for an event it does not model)."""
    known = _EVENTS.get(event_name)
    return GenericEvent if known is None else known[0]


def parse_event(event_name: str, delivery_id: str, payload: Mapping[str, Any]) -> WebhookEvent:
    """Turn a decoded delivery into its typed event (`X-GitHub-Event` → class).

    Raises only `WebhookPayloadError`, for known events whose payload lacks a needed field.
    """
    r = payload_reader(payload)
    known = _EVENTS.get(event_name)
    if known is None:
        return GenericEvent(name=event_name, delivery_id=delivery_id, payload=payload, **_lenient_base(r))
    cls, read = known
    return cls(name=event_name, delivery_id=delivery_id, payload=payload, **_base(r), **read(r))
