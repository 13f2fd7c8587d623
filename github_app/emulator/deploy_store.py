"""Deployments, their statuses, workflow runs and a linear commit history per branch: records and their store.

GitHub keeps these per repository; so does the store, keyed by repository id. A branch is a list of commits, oldest
first. The default branch is built once, lazily, from the repository's merged pull requests in merge order (each
one's `merge_commit_sha`, the commit tformance will look for in a compare), and grows with every later merge or
pushed commit. Other branches fork from the default branch's tip when first pushed to.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import datetime

from .models import PullRequest, Repository

# Histories past this many PRs are not turned into commits (benchmarks generate 100,000 PRs and never compare).
HISTORY_COMMITS_LIMIT = 5000


@dataclass
class Commit:
    sha: str
    message: str
    author: str
    at: datetime
    parent: str | None


@dataclass
class DeploymentStatus:
    id: int
    deployment_id: int
    state: str
    creator: str
    created_at: datetime
    description: str = ""
    environment_url: str = ""
    log_url: str = ""


@dataclass
class Deployment:
    """A deployment: ``sha`` is what ``ref`` pointed at when it was created; ``run_id`` links the Actions run."""

    id: int
    repository_id: int
    sha: str
    ref: str
    task: str
    environment: str
    creator: str
    created_at: datetime
    updated_at: datetime
    production_environment: bool
    transient_environment: bool
    description: str | None = None
    run_id: int | None = None
    statuses: list[DeploymentStatus] = field(default_factory=list)


@dataclass
class WorkflowRun:
    """One run of one workflow; a re-run keeps the id and raises ``run_attempt`` (GitHub's "Re-run jobs")."""

    id: int
    repository_id: int
    workflow_id: int
    name: str
    path: str
    run_number: int
    head_sha: str
    head_branch: str
    event: str
    actor: str
    created_at: datetime
    updated_at: datetime
    run_started_at: datetime
    status: str = "queued"
    conclusion: str | None = None
    run_attempt: int = 1
    pull_requests: list[int] = field(default_factory=list)


@dataclass
class RepoDeploys:
    branches: dict[str, list[Commit]] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)  # sha -> commit, every branch's
    deployments: list[Deployment] = field(default_factory=list)
    runs: list[WorkflowRun] = field(default_factory=list)
    run_numbers: dict[int, int] = field(default_factory=dict)  # workflow id -> last run number


def commit_sha(repo: Repository, salt: str) -> str:
    return hashlib.sha1(f"{repo.full_name}:commit:{salt}".encode(), usedforsecurity=False).hexdigest()


def merge_commit_sha(pr: PullRequest) -> str:
    """The emulator's merge commit of a PR: what ``pull_request.merge_commit_sha`` says (payloads.py)."""
    return pr.head_sha[::-1]


def workflow_id(repo: Repository, path: str) -> int:
    """A stable id per (repository, workflow file), like GitHub's: the same path is the same workflow."""
    digest = hashlib.sha1(f"{repo.id}:{path}".encode(), usedforsecurity=False).hexdigest()
    return 10_000_000 + int(digest[:8], 16) % 90_000_000


class DeployStore:
    """Every repository's deployments, runs and branches; callers hold ``State.lock``."""

    def __init__(self) -> None:
        self.repos: dict[int, RepoDeploys] = {}
        self._deployment_ids = itertools.count(1_000_000_001)
        self._status_ids = itertools.count(2_000_000_001)
        self._run_ids = itertools.count(3_000_000_001)

    def of(self, repo: Repository) -> RepoDeploys:
        return self.repos.setdefault(repo.id, RepoDeploys())

    def next_deployment_id(self) -> int:
        return next(self._deployment_ids)

    def next_status_id(self) -> int:
        return next(self._status_ids)

    def next_run_id(self) -> int:
        return next(self._run_ids)

    def deployment(self, repo: Repository, ident: int) -> Deployment | None:
        return next((d for d in self.of(repo).deployments if d.id == ident), None)

    def run(self, repo: Repository, ident: int) -> WorkflowRun | None:
        return next((r for r in self.of(repo).runs if r.id == ident), None)
