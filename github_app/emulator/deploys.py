"""Deployments, deployment statuses and workflow runs happening *now*, each followed by the deliveries GitHub sends.

Who gets a delivery is GitHub's rule: an installation covering the repository, whose App subscribed to the event,
and which holds the permission the event needs — ``deployments: read`` for ``deployment`` and ``deployment_status``,
``actions: read`` for ``workflow_run`` ("Webhook events and payloads", each event's "Availability"). An installation
that has not accepted new permissions yet keeps its old ones and gets nothing.

A workflow run that deploys makes one deployment per attempt (a re-run deploys again, with the same run id), with
``in_progress`` then ``success`` or ``failure`` statuses; GitHub sends no event for an ``inactive`` status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from . import commits
from .deploy_payloads import deployment_event, deployment_status_event, workflow_run_event
from .deploy_store import Deployment, DeploymentStatus, WorkflowRun, workflow_id
from .httpkit import HttpError
from .models import Installation, Repository
from .state import State, utcnow
from .webhooks import deliver

if TYPE_CHECKING:
    from .server import EmulatorServer

EVENT_PERMISSIONS = {"deployment": "deployments", "deployment_status": "deployments", "workflow_run": "actions"}
STATUS_STATES = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")
CONCLUSIONS = ("success", "failure", "cancelled", "timed_out", "action_required", "neutral", "skipped", "stale")
Outbox = list[tuple[Installation, str, dict[str, Any]]]
T = TypeVar("T")


def known(record: T | None) -> T:
    """The deployment or run a request named, or GitHub's answer for an id it does not know."""
    if record is None:
        raise HttpError(404, "Not Found")
    return record


def holds(inst: Installation, permission: str) -> bool:
    """Whether the installation may read ``permission`` (``write`` includes ``read``)."""
    return inst.permissions.get(permission) in ("read", "write", "admin")


def subscribers(state: State, repo: Repository, event: str) -> list[Installation]:
    """Installations GitHub sends ``event`` of ``repo`` to: covering it, subscribed, holding the permission."""
    permission = EVENT_PERMISSIONS[event]
    return [i for i in state.installations_covering(repo) if event in i.events and holds(i, permission)]


def _repo(state: State, full_name: str) -> Repository:
    repo = state.repo_by_full_name(full_name)
    if repo is None:
        raise HttpError(404, f"Repository {full_name!r} not found")
    return repo


@dataclass
class _Recorder:
    """Collects deliveries under the lock; ``send`` delivers them after it is released."""

    state: State
    outbox: Outbox

    def deployment(self, repo: Repository, d: Deployment) -> None:
        for inst in subscribers(self.state, repo, "deployment"):
            self.outbox.append((inst, "deployment", deployment_event(self.state, repo, d, inst)))

    def status(self, repo: Repository, d: Deployment, s: DeploymentStatus) -> None:
        if s.state == "inactive":
            return
        for inst in subscribers(self.state, repo, "deployment_status"):
            self.outbox.append((inst, "deployment_status", deployment_status_event(self.state, repo, d, s, inst)))

    def run(self, repo: Repository, run: WorkflowRun, action: str) -> None:
        for inst in subscribers(self.state, repo, "workflow_run"):
            self.outbox.append((inst, "workflow_run", workflow_run_event(self.state, repo, run, action, inst)))

    def send(self) -> list[str]:
        guids = []
        for inst, event, payload in self.outbox:
            app = self.state.app(inst.app_id)
            delivery = None if app is None else deliver(self.state, app, event, payload)
            if delivery is not None:
                guids.append(delivery.guid)
        return guids


def _add_status(state: State, repo: Repository, d: Deployment, rec: _Recorder, /, **fields: Any) -> DeploymentStatus:
    status = DeploymentStatus(id=state.deploys.next_status_id(), deployment_id=d.id, created_at=utcnow(), **fields)
    if status.state not in STATUS_STATES:
        raise HttpError(422, f"state must be one of {', '.join(STATUS_STATES)}")
    d.statuses.append(status)
    d.updated_at = status.created_at
    rec.status(repo, d, status)
    if status.state == "success":
        _inactivate_previous(state, repo, d, status.creator)
    return status


def _inactivate_previous(state: State, repo: Repository, d: Deployment, creator: str) -> None:
    """GitHub: a ``success`` makes every earlier non-transient, non-production deployment of the same repository and
    environment ``inactive`` (``auto_inactive``, default true); no event is sent for that."""
    for other in state.deploys.of(repo).deployments:
        if other.id >= d.id or other.environment != d.environment or other.production_environment:
            continue
        if other.transient_environment or (other.statuses and other.statuses[-1].state == "inactive"):
            continue
        status = DeploymentStatus(state.deploys.next_status_id(), other.id, "inactive", creator, utcnow())
        other.statuses.append(status)


def deployment_create(
    emulator: EmulatorServer, full_name: str, *, ref: str, environment: str = "production", creator: str, **options: Any
) -> tuple[Deployment, list[str]]:
    """A deployment of ``ref`` (a branch or a sha) as "Create a deployment" makes it, then its ``deployment`` event.

    ``production_environment`` defaults to ``environment == "production"`` and ``transient_environment`` to false,
    as GitHub documents. ``statuses`` (e.g. ``["in_progress", "success"]``) are added at once, each with its event.
    """
    state = emulator.state
    rec = _Recorder(state, [])
    with state.lock:
        repo = _repo(state, full_name)
        d = _new_deployment(state, repo, ref, environment, creator, options.get("run_id"), options)
        rec.deployment(repo, d)
        for s in options.get("statuses") or []:
            _add_status(state, repo, d, rec, state=str(s), creator=creator, log_url=str(options.get("log_url") or ""))
    return d, rec.send()


def _new_deployment(
    state: State,
    repo: Repository,
    ref: str,
    environment: str,
    creator: str,
    run_id: int | None,
    options: dict[str, Any],
) -> Deployment:
    head = commits.resolve(state, repo, ref)
    if head is None:
        raise HttpError(422, f"No ref found for: {ref}")
    now = utcnow()
    production = options.get("production_environment")
    d = Deployment(
        id=state.deploys.next_deployment_id(),
        repository_id=repo.id,
        sha=head.sha,
        ref=ref,
        task=str(options.get("task") or "deploy"),
        environment=environment,
        creator=creator,
        created_at=now,
        updated_at=now,
        production_environment=environment == "production" if production is None else bool(production),
        transient_environment=bool(options.get("transient_environment", False)),
        description=options.get("description"),
        run_id=run_id,
    )
    state.deploys.of(repo).deployments.append(d)
    return d


def deployment_status_create(
    emulator: EmulatorServer, full_name: str, deployment_id: int, *, state_name: str, creator: str, **urls: str
) -> tuple[DeploymentStatus, list[str]]:
    """A new status of a deployment ("Create a deployment status") and its ``deployment_status`` event."""
    state = emulator.state
    rec = _Recorder(state, [])
    with state.lock:
        repo = _repo(state, full_name)
        d = known(state.deploys.deployment(repo, deployment_id))
        status = _add_status(state, repo, d, rec, state=state_name, creator=creator, **urls)
    return status, rec.send()


def workflow_run_start(
    emulator: EmulatorServer, full_name: str, *, path: str, actor: str, **options: Any
) -> tuple[WorkflowRun, list[str]]:
    """A run of the workflow at ``path`` on ``branch`` (default: the default branch's tip), then its attempt."""
    state = emulator.state
    rec = _Recorder(state, [])
    with state.lock:
        repo = _repo(state, full_name)
        branch = str(options.get("branch") or repo.default_branch)
        head = commits.resolve(state, repo, str(options.get("head_sha") or branch))
        if head is None:
            raise HttpError(422, f"No commit found for: {options.get('head_sha') or branch}")
        store, wf = state.deploys.of(repo), workflow_id(repo, path)
        store.run_numbers[wf] = store.run_numbers.get(wf, 0) + 1
        now = utcnow()
        run = WorkflowRun(
            id=state.deploys.next_run_id(),
            repository_id=repo.id,
            workflow_id=wf,
            name=str(options.get("name") or path.rsplit("/", 1)[-1].split(".")[0]),
            path=path,
            run_number=store.run_numbers[wf],
            head_sha=head.sha,
            head_branch=branch,
            event=str(options.get("event") or "push"),
            actor=actor,
            created_at=now,
            updated_at=now,
            run_started_at=now,
            pull_requests=[int(n) for n in options.get("pull_requests") or []],
        )
        store.runs.append(run)
        _attempt(state, repo, run, rec, options.get("environment"), options.get("conclusion"))
    return run, rec.send()


def workflow_run_rerun(
    emulator: EmulatorServer, full_name: str, run_id: int, **options: Any
) -> tuple[WorkflowRun, list[str]]:
    """ "Re-run a workflow": the same run id, ``run_attempt`` + 1, its events from ``requested`` again."""
    state = emulator.state
    rec = _Recorder(state, [])
    with state.lock:
        repo = _repo(state, full_name)
        run = known(state.deploys.run(repo, run_id))
        if run.status != "completed":
            raise HttpError(403, "This workflow is already running")
        run.run_attempt += 1
        run.run_started_at = run.updated_at = max(utcnow(), run.updated_at)
        _attempt(state, repo, run, rec, options.get("environment"), options.get("conclusion"))
    return run, rec.send()


def _attempt(
    state: State, repo: Repository, run: WorkflowRun, rec: _Recorder, environment: str | None, conclusion: str | None
) -> None:
    """One attempt: requested, in_progress, (a deployment to ``environment``,) completed with ``conclusion``; without
    a conclusion the attempt stays in progress."""
    if conclusion is not None and conclusion not in CONCLUSIONS:
        raise HttpError(422, f"conclusion must be one of {', '.join(CONCLUSIONS)}")
    run.status, run.conclusion = "queued", None
    rec.run(repo, run, "requested")
    run.status = "in_progress"
    rec.run(repo, run, "in_progress")
    deployment = None
    if environment:
        deployment = _new_deployment(state, repo, run.head_sha, str(environment), run.actor, run.id, {})
        rec.deployment(repo, deployment)
        _add_status(state, repo, deployment, rec, state="in_progress", creator=run.actor, log_url=_log_url(state, run))
    if conclusion is not None:
        _complete(state, repo, run, rec, conclusion, deployment)


def _complete(
    state: State, repo: Repository, run: WorkflowRun, rec: _Recorder, conclusion: str, deployment: Deployment | None
) -> None:
    """The attempt ends with ``conclusion``; the deployment it made, if any, gets ``success`` or ``failure`` first."""
    run.status, run.conclusion = "completed", conclusion
    run.updated_at = max(utcnow(), run.run_started_at)
    if deployment is not None:
        final = "success" if conclusion == "success" else "failure"
        _add_status(state, repo, deployment, rec, state=final, creator=run.actor, log_url=_log_url(state, run))
    rec.run(repo, run, "completed")


def _log_url(state: State, run: WorkflowRun) -> str:
    repo = state.repositories[run.repository_id]
    return f"{state.base_url}/{repo.full_name}/actions/runs/{run.id}/attempts/{run.run_attempt}"


def workflow_run_complete(
    emulator: EmulatorServer, full_name: str, run_id: int, conclusion: str
) -> tuple[WorkflowRun, list[str]]:
    """Finish an attempt left in progress; its deployment, if any, gets ``success`` or ``failure``."""
    state = emulator.state
    rec = _Recorder(state, [])
    with state.lock:
        repo = _repo(state, full_name)
        run = known(state.deploys.run(repo, run_id))
        if run.status == "completed":
            raise HttpError(422, "The run is already completed")
        if conclusion not in CONCLUSIONS:
            raise HttpError(422, f"conclusion must be one of {', '.join(CONCLUSIONS)}")
        made = [d for d in state.deploys.of(repo).deployments if d.run_id == run.id]
        waiting = made[-1] if made and made[-1].statuses[-1].state == "in_progress" else None
        _complete(state, repo, run, rec, conclusion, waiting)
    return run, rec.send()
