"""``deployment``, ``deployment_status`` and ``workflow_run`` deliveries, by the emulator's own payload code.

Recorded under ``deployments/webhooks/`` (GitHub's examples for these events sit apart in the shared corpus until the
product handles them). Two stories on Codertocat/Hello-World: a deployment to ``production`` made through the REST
API by a deploy tool (no workflow run), and GitHub Pages deploying ``gh-pages`` from an Actions run; plus one CI
workflow run through requested and completed, with and without a pull request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from github_app.emulator import commits, deploy_payloads
from github_app.emulator.deploy_store import Deployment, DeploymentStatus, WorkflowRun

from .world import Document, World, at, envelope_variant


class _Stories:
    def __init__(self, w: World) -> None:
        self.w, state, repo = w, w.state, w.hello
        store = state.deploys.of(repo)
        head = commits.push(
            state, repo, "master", "Update the README with new information.", "Codertocat", at("2019-05-15T15:20:30Z")
        )
        self.rest = Deployment(
            id=145988746,
            repository_id=repo.id,
            sha=head.sha,
            ref="master",
            task="deploy",
            environment="production",
            creator="Codertocat",
            created_at=at("2019-05-15T15:20:53Z"),
            updated_at=at("2019-05-15T15:20:55Z"),
            production_environment=True,
            transient_environment=False,
        )
        self.rest_status = DeploymentStatus(
            209916254, self.rest.id, "success", "Codertocat", at("2019-05-15T15:20:55Z")
        )
        self.pages_run = WorkflowRun(
            id=289782451,
            repository_id=repo.id,
            workflow_id=17248323,
            name="pages build and deployment",
            path="dynamic/pages/pages-build-deployment",
            run_number=1,
            head_sha=head.sha,
            head_branch="gh-pages",
            event="dynamic",
            actor="Codertocat",
            created_at=at("2022-01-03T01:27:48Z"),
            updated_at=at("2022-01-03T01:28:40Z"),
            run_started_at=at("2022-01-03T01:27:48Z"),
            status="in_progress",
        )
        self.pages = Deployment(
            id=145988747,
            repository_id=repo.id,
            sha=head.sha,
            ref="gh-pages",
            task="deploy",
            environment="github-pages",
            creator="Codertocat",
            created_at=at("2022-01-03T01:28:30Z"),
            updated_at=at("2022-01-03T01:28:40Z"),
            production_environment=False,
            transient_environment=False,
            run_id=self.pages_run.id,
        )
        self.pages_status = DeploymentStatus(
            209916255,
            self.pages.id,
            "in_progress",
            "Codertocat",
            at("2022-01-03T01:28:40Z"),
            log_url=f"https://github.com/{repo.full_name}/actions/runs/{self.pages_run.id}",
        )
        self.ci_run = WorkflowRun(
            id=289782452,
            repository_id=repo.id,
            workflow_id=2823525,
            name="test",
            path=".github/workflows/test.yml",
            run_number=163,
            head_sha=head.sha,
            head_branch="master",
            event="push",
            actor="Codertocat",
            created_at=at("2020-10-05T16:33:24Z"),
            updated_at=at("2020-10-05T16:33:24Z"),
            run_started_at=at("2020-10-05T16:33:24Z"),
        )
        store.runs += [self.pages_run, self.ci_run]
        store.deployments += [self.rest, self.pages]

    def deployment(self, d: Deployment, *, installation: bool, organization: bool) -> dict[str, Any]:
        w = self.w
        payload = deploy_payloads.deployment_event(w.state, w.hello, d, w.pr_installation)
        return envelope_variant(w, payload, installation=installation, organization=organization)

    def status(self, d: Deployment, s: DeploymentStatus, *, installation: bool, organization: bool) -> dict[str, Any]:
        w = self.w
        payload = deploy_payloads.deployment_status_event(w.state, w.hello, d, s, w.pr_installation)
        return envelope_variant(w, payload, installation=installation, organization=organization)

    def run(self, action: str, *, conclusion: str | None = None, pull_request: bool = False) -> dict[str, Any]:
        w, run = self.w, self.ci_run
        run.status, run.conclusion, run.pull_requests = "queued", None, []
        if action == "completed" or conclusion is not None:
            run.status, run.conclusion = "completed", conclusion or "success"
            run.updated_at = at("2020-10-05T16:33:49Z") if action == "completed" else run.created_at
        if pull_request:
            w.state.repositories[w.hello.id].live[2] = w.pull_request()
            run.pull_requests = [2]
        payload = deploy_payloads.workflow_run_event(w.state, w.hello, run, action, w.pr_installation)
        w.hello.live.pop(2, None)
        return envelope_variant(w, payload, installation=False, organization=True)


def deployment_files(w: World) -> dict[str, Callable[[], Document]]:
    """Relative path under ``deployments/webhooks/`` → builder."""
    s = _Stories(w)
    return {
        "deployment/payload.json": lambda: s.deployment(s.rest, installation=False, organization=False),
        "deployment/with-installation.payload.json": lambda: s.deployment(
            s.rest, installation=True, organization=False
        ),
        "deployment/gh-pages.payload.json": lambda: s.deployment(s.pages, installation=True, organization=True),
        "deployment_status/payload.json": lambda: s.status(
            s.rest, s.rest_status, installation=False, organization=False
        ),
        "deployment_status/with-installation.payload.json": lambda: s.status(
            s.rest, s.rest_status, installation=True, organization=False
        ),
        "deployment_status/gh-pages.payload.json": lambda: s.status(
            s.pages, s.pages_status, installation=True, organization=True
        ),
        "workflow_run/requested.payload.json": lambda: s.run("requested"),
        "workflow_run/requested.with-conclusion.payload.json": lambda: s.run("requested", conclusion="action_required"),
        "workflow_run/completed.payload.json": lambda: s.run("completed"),
        "workflow_run/completed.with-pull-requests.payload.json": lambda: s.run("completed", pull_request=True),
    }
