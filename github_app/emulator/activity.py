"""Live activity: PRs opened, reviewed, merged *now*, each followed by the webhooks GitHub would send.

Used by the demo (``--live-interval``), the control API (``POST /_emulator/activity``) and tests,
which can name the exact actions (``["open", "approve", "merge"]``) instead of a seeded mix.
"""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .commits import record_merge
from .deploys import workflow_run_rerun, workflow_run_start
from .history import pr_id, sha_for
from .httpkit import HttpError
from .models import PullRequest, Repository, Review, TimelineEvent
from .payloads import pull_request_event, pull_request_review_event
from .state import State, utcnow
from .webhooks import deliver

if TYPE_CHECKING:
    from .server import EmulatorServer

ACTIONS = (
    "open",
    "open_draft",
    "ready",
    "review",
    "approve",
    "request_changes",
    "comment",
    "merge",
    "close",
    "reopen",
    "synchronize",
    "label",
    "convert_to_draft",
    "dismiss",
)
_MATERIALIZE_LIMIT = 2000


def _open_prs(state: State, repo: Repository) -> list[PullRequest]:
    """Open PRs that activity may act on; small histories' open PRs are materialized so they can move too."""
    if not repo.open_history_materialized and repo.history_count <= _MATERIALIZE_LIMIT:
        for number in range(1, repo.history_count + 1):
            pr = state.pull_request(repo, number)
            if number not in repo.live and pr is not None and pr.state == "open":
                state.materialize(repo, number)
        repo.open_history_materialized = True
    return sorted(repo.live.values(), key=lambda p: p.number)


class _Step:
    """One action on one repository: mutates the PR and collects (event, payload builder) pairs."""

    def __init__(self, state: State, repo: Repository, rng: random.Random, pick_newest: bool) -> None:
        self.state, self.repo, self.rng, self.pick_newest = state, repo, rng, pick_newest
        self.events: list[tuple[str, str, PullRequest, Review | None, str, dict[str, Any]]] = []

    def pick(self, candidates: list[PullRequest]) -> PullRequest | None:
        if not candidates:
            return None
        return candidates[-1] if self.pick_newest else self.rng.choice(candidates)

    def people(self, exclude: str = "") -> list[str]:
        humans = [h for h in self.repo.history_humans if h != exclude]
        return humans or [exclude]

    def emit(
        self, event: str, action: str, pr: PullRequest, sender: str, review: Review | None = None, **extra: Any
    ) -> None:
        self.events.append((event, action, pr, review, sender, extra))

    def tick(self, pr: PullRequest) -> datetime:
        """The time of this action: now, but always a second after the PR's last change, so that
        quick scripted sequences still produce strictly newer ``updated_at`` snapshots."""
        pr.updated_at = max(utcnow(), pr.updated_at + timedelta(seconds=1))
        return pr.updated_at

    def run(self, action: str) -> PullRequest | None:
        live = _open_prs(self.state, self.repo)
        opened = [p for p in live if p.state == "open"]
        ready = [p for p in opened if not p.draft]
        if action in ("open", "open_draft"):
            return self.open(draft=action == "open_draft")
        handlers = {
            "ready": ([p for p in opened if p.draft], self.ready),
            "convert_to_draft": (ready, self.convert_to_draft),
            "review": (ready, lambda p: self.review(p, None)),
            "approve": (ready, lambda p: self.review(p, "APPROVED")),
            "request_changes": (ready, lambda p: self.review(p, "CHANGES_REQUESTED")),
            "comment": (ready, lambda p: self.review(p, "COMMENTED")),
            "merge": (ready, lambda p: self.close(p, merged=True)),
            "close": (opened, lambda p: self.close(p, merged=False)),
            "reopen": ([p for p in live if p.state == "closed" and not p.merged], self.reopen),
            "synchronize": (opened, self.synchronize),
            "label": (opened, self.label),
            "dismiss": ([p for p in opened if any(r.state == "CHANGES_REQUESTED" for r in p.reviews)], self.dismiss),
        }
        if action not in handlers:
            raise HttpError(422, f"Unknown action {action!r}; known: {', '.join(ACTIONS)}")
        candidates, handler = handlers[action]
        pr = self.pick(candidates)
        if pr is None:
            return None
        handler(pr)
        return pr

    def open(self, draft: bool) -> PullRequest:
        rng, repo, now = self.rng, self.repo, utcnow()
        number = self.state.new_pr_number(repo)
        bot = repo.history_bots and rng.random() < 0.1
        author = rng.choice(repo.history_bots) if bot else rng.choice(self.people())
        area = rng.choice(["auth", "billing", "search", "ui", "ci"])
        title = f"Bump {area}-lib to 2.{number}" if bot else rng.choice(["Add", "Fix", "Refactor"]) + f" {area} flow"
        reviewers = rng.sample(self.people(author), min(len(self.people(author)), rng.randint(1, 2)))
        pr = PullRequest(
            id=pr_id(repo, number),
            number=number,
            title=title,
            body=f"{title}.",
            user=author,
            head_ref=f"feature/{area}-{number}",
            base_ref=repo.default_branch,
            created_at=now,
            updated_at=now,
            draft=draft,
            additions=rng.randint(1, 400),
            deletions=rng.randint(0, 200),
            changed_files=rng.randint(1, 12),
            requested_reviewers=[] if draft else reviewers,
            head_sha=sha_for(repo, number, "head"),
            labels=["dependencies"] if bot else [],
        )
        repo.live[number] = pr
        self.emit("pull_request", "opened", pr, author)
        for login in pr.requested_reviewers:
            pr.timeline.append(TimelineEvent("REVIEW_REQUESTED", now, actor=author, reviewer=login))
            self.emit("pull_request", "review_requested", pr, author, requested_reviewer=login)
        return pr

    def ready(self, pr: PullRequest) -> None:
        pr.draft = False
        pr.timeline.append(TimelineEvent("READY_FOR_REVIEW", self.tick(pr), actor=pr.user))
        self.emit("pull_request", "ready_for_review", pr, pr.user)
        if not pr.requested_reviewers:
            pr.requested_reviewers = [self.rng.choice(self.people(pr.user))]
            event = TimelineEvent("REVIEW_REQUESTED", pr.updated_at, actor=pr.user, reviewer=pr.requested_reviewers[0])
            pr.timeline.append(event)
            self.emit("pull_request", "review_requested", pr, pr.user, requested_reviewer=pr.requested_reviewers[0])

    def convert_to_draft(self, pr: PullRequest) -> None:
        pr.draft = True
        pr.timeline.append(TimelineEvent("CONVERT_TO_DRAFT", self.tick(pr), actor=pr.user))
        self.emit("pull_request", "converted_to_draft", pr, pr.user)

    def review(self, pr: PullRequest, state: str | None) -> None:
        reviewer = (pr.requested_reviewers or self.people(pr.user))[0 if self.pick_newest else -1]
        state = state or self.rng.choices(["APPROVED", "COMMENTED", "CHANGES_REQUESTED"], weights=[5, 3, 2])[0]
        body = "LGTM" if state == "APPROVED" else "See comments."
        review = Review(self.state.next_review_id(), reviewer, state, self.tick(pr), body)
        pr.reviews.append(review)
        pr.requested_reviewers = [r for r in pr.requested_reviewers if r != reviewer]
        self.emit("pull_request_review", "submitted", pr, reviewer, review)

    def dismiss(self, pr: PullRequest) -> None:
        review = next(r for r in pr.reviews if r.state == "CHANGES_REQUESTED")
        review.state = "DISMISSED"
        self.tick(pr)
        self.emit("pull_request_review", "dismissed", pr, pr.user, review)

    def close(self, pr: PullRequest, merged: bool) -> None:
        pr.state, pr.closed_at = "closed", self.tick(pr)
        pr.merged_at = pr.closed_at if merged else None
        pr.requested_reviewers = []
        if merged:
            record_merge(self.state, self.repo, pr)
        self.emit("pull_request", "closed", pr, pr.user)

    def reopen(self, pr: PullRequest) -> None:
        pr.state, pr.closed_at = "open", None
        self.tick(pr)
        self.emit("pull_request", "reopened", pr, pr.user)

    def synchronize(self, pr: PullRequest) -> None:
        before, pr.head_sha = pr.head_sha, sha_for(self.repo, pr.number, str(self.tick(pr)))
        pr.additions += self.rng.randint(1, 30)
        self.emit("pull_request", "synchronize", pr, pr.user, before=before, after=pr.head_sha)

    def label(self, pr: PullRequest) -> None:
        from .shapes import label_json

        name = self.rng.choice(["bug", "enhancement", "hotfix", "documentation"])
        self.tick(pr)
        if name not in pr.labels:
            pr.labels.append(name)
        self.emit("pull_request", "labeled", pr, pr.user, label=label_json(self.state, self.repo, name))


def activity_run(
    emulator: EmulatorServer, full_name: str, count: int = 1, actions: list[str] | None = None, seed: int | None = None
) -> list[dict[str, Any]]:
    """Perform ``actions`` (or ``count`` seeded random ones) on a repository and deliver their webhooks."""
    state = emulator.state
    # Seeded pseudo-randomness on purpose: activity must be reproducible, it protects nothing.
    rng = random.Random(seed if seed is not None else f"{state.seed}:{full_name}:{utcnow().isoformat()}")  # noqa: S311
    outbox, results = [], []
    with state.lock:
        repo = state.repo_by_full_name(full_name)
        if repo is None:
            raise HttpError(404, f"Repository {full_name!r} not found")
        step = _Step(state, repo, rng, pick_newest=actions is not None)
        plan = actions if actions is not None else [_random_action(rng, state, repo) for _ in range(max(0, count))]
        for action in plan:
            step.events.clear()
            pr = step.run(action)
            state.touch(repo)
            for event, act, target, review, sender, extra in step.events:
                for inst in state.installations_covering(repo):
                    if review is None:
                        payload = pull_request_event(state, repo, target, inst, act, sender, **_expand(state, extra))
                    else:
                        payload = pull_request_review_event(state, repo, target, review, inst, act, sender)
                    outbox.append((state.app(inst.app_id), event, payload))
            results.append(
                {
                    "action": action,
                    "repository": repo.full_name,
                    "number": pr.number if pr else None,
                    "events": [f"{e}.{a}" for e, a, *_ in step.events],
                }
            )
    for app, event, payload in outbox:
        if app is not None:  # an installation always has its App; the state's lookup just cannot say so
            deliver(state, app, event, payload)
    return results


def _expand(state: State, extra: dict[str, Any]) -> dict[str, Any]:
    from .shapes import user_by_login

    if "requested_reviewer" in extra:
        return {**extra, "requested_reviewer": user_by_login(state, extra["requested_reviewer"])}
    return extra


def _random_action(rng: random.Random, state: State, repo: Repository) -> str:
    opened = [p for p in repo.live.values() if p.state == "open"]
    if len(opened) < 3:
        return rng.choice(["open", "open", "open_draft"])
    return rng.choices(
        ["open", "open_draft", "ready", "review", "merge", "close", "synchronize", "label"],
        weights=[3, 1, 2, 6, 4, 1, 1, 1],
    )[0]


DEPLOY_WORKFLOW = ".github/workflows/deploy.yml"


def deploy_after_merge(emulator: EmulatorServer, full_name: str, rng: random.Random) -> None:
    """What a team that ships every merge does: its deploy workflow runs on the default branch's tip and deploys it
    to production through a GitHub deployment. About one time in three it deploys to staging first; about one in
    six its first attempt fails and a re-run of the same run succeeds (one deployment, its failure in the timeline).
    """
    actor = emulator.config.owner
    if rng.random() < 1 / 3:
        workflow_run_start(emulator, full_name, path=DEPLOY_WORKFLOW, actor=actor, environment="staging",
                           conclusion="success")  # fmt: skip
    failing = rng.random() < 1 / 6
    run, _ = workflow_run_start(emulator, full_name, path=DEPLOY_WORKFLOW, actor=actor, environment="production",
                                conclusion="failure" if failing else "success")  # fmt: skip
    if failing:
        workflow_run_rerun(emulator, full_name, run.id, environment="production", conclusion="success")


def run_live(emulator: EmulatorServer, stop: threading.Event) -> None:
    """Background loop for ``--live-interval``: one action on an installed repository per tick, and a deploy after
    each merge (``deploy_after_merge``)."""
    rng = random.Random(emulator.config.seed)  # noqa: S311 - reproducible demo data, not a secret
    while not stop.wait(emulator.config.live_interval):
        with emulator.state.lock:
            repos = [r for r in emulator.state.repositories.values() if emulator.state.installations_covering(r)]
        if repos:
            full_name = rng.choice(repos).full_name
            try:
                done = activity_run(emulator, full_name, 1, seed=rng.randrange(2**32))
                if any(step["action"] == "merge" for step in done):
                    deploy_after_merge(emulator, full_name, rng)
            except HttpError:
                continue
