"""Deterministic pull-request histories, generated on demand from (repository, number, seed).

A benchmark imports 10,000 PRs with 3 reviews each through GraphQL, so nothing is stored: each PR
is rebuilt from its own seeded ``random.Random`` when asked for (cheap to redo), and only
the ``updated_at`` ordering is cached by ``State.pr_order``.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta

from .models import PullRequest, Repository, Review, TimelineEvent

SPAN = timedelta(days=90)
AREAS = ["auth", "billing", "search", "api", "cache", "onboarding", "metrics", "ci", "docs", "deploy", "queue", "ui"]
VERBS = ["Add", "Fix", "Refactor", "Improve", "Remove", "Speed up", "Simplify", "Document", "Harden", "Rework"]
THINGS = [
    "pagination",
    "retries",
    "error handling",
    "logging",
    "validation",
    "timeouts",
    "settings",
    "tests",
    "the cache",
]
PACKAGES = ["requests", "django", "celery", "react", "eslint", "webpack", "boto3", "pydantic", "lodash", "terraform"]
LABELS = ["bug", "enhancement", "chore", "documentation", "tech-debt"]
REVIEW_BODIES = {"APPROVED": "LGTM", "CHANGES_REQUESTED": "A few things to fix first.", "COMMENTED": "Some thoughts."}


def pr_id(repo: Repository, number: int) -> int:
    """Global PR id, unique across repositories (GitHub's ``pull_request.id``)."""
    return repo.id * 100_000 + number


def sha_for(repo: Repository, number: int, salt: str = "") -> str:
    return hashlib.sha1(f"{repo.full_name}:{number}:{salt}".encode(), usedforsecurity=False).hexdigest()


def _hours(rng: random.Random, median: float, spread: float = 1.0) -> timedelta:
    return timedelta(hours=min(24 * 14, rng.lognormvariate(0, spread) * median))


def _describe(rng: random.Random, repo: Repository, number: int, kind: str) -> tuple[str, str, str, list[str]]:
    """Title, head branch, body and labels for one PR of the given kind."""
    area = rng.choice(AREAS)
    title = f"{rng.choice(VERBS)} {rng.choice(THINGS)} in {area}"
    slug = title.lower().replace(" ", "-")[:40]
    if kind == "bot":
        pkg, a = rng.choice(PACKAGES), rng.randint(1, 9)
        return (
            f"Bump {pkg} from {a}.{rng.randint(0, 20)}.0 to {a}.{rng.randint(21, 40)}.1",
            f"dependabot/pip/{pkg}-{a}",
            f"Bumps {pkg}.",
            ["dependencies"],
        )
    if kind == "revert":
        target = max(1, number - rng.randint(1, 15))
        return (
            f'Revert "{title}"',
            f"revert-{target}-{slug}",
            f"Reverts {repo.full_name}#{target}\n\nThis reverts commit {sha_for(repo, target)}.",
            [],
        )
    if kind == "hotfix":
        return f"Hotfix: {title.lower()}", f"hotfix/{area}-{number}", "Urgent fix for production.", ["hotfix"]
    labels = rng.sample(LABELS, rng.choice([0, 0, 1, 1, 2]))
    return title, f"feature/{slug}", f"This PR {title.lower()}.\n\nCloses #{max(1, number - 3)}.", labels


def _reviews(
    rng: random.Random, repo: Repository, pr: PullRequest, ready_at: datetime, exact: int | None, wait: timedelta
) -> list[Review]:
    """1-3 teammates review (or exactly ``exact`` reviews for benchmarks); the last of each ends approved."""
    others = [h for h in repo.history_humans if h != pr.user] or [pr.user]
    base_id = pr.id * 100
    reviews: list[Review] = []
    t = ready_at + wait + _hours(rng, 3)
    if exact is not None:
        step = timedelta(hours=min(6.0, 40.0 / max(exact, 1)))
        for k in range(exact):
            state = "APPROVED" if k == exact - 1 else rng.choice(["COMMENTED", "CHANGES_REQUESTED", "APPROVED"])
            reviews.append(Review(base_id + k, others[k % len(others)], state, t, REVIEW_BODIES[state]))
            t += step
        return reviews
    count = rng.choices([1, 2, 3], weights=[5, 3, 2])[0]
    for reviewer in rng.sample(others, min(count, len(others))):
        state = rng.choices(["APPROVED", "COMMENTED", "CHANGES_REQUESTED"], weights=[6, 2, 2])[0]
        reviews.append(Review(base_id + len(reviews), reviewer, state, t, REVIEW_BODIES[state]))
        if state != "APPROVED":
            t += _hours(rng, 6)
            reviews.append(Review(base_id + len(reviews), reviewer, "APPROVED", t, REVIEW_BODIES["APPROVED"]))
            if state == "CHANGES_REQUESTED" and rng.random() < 0.1:
                reviews[-2].state = "DISMISSED"
        t += _hours(rng, 2)
    if rng.random() < 0.03:
        reviews.append(Review(base_id + len(reviews), pr.user, "COMMENTED", t, "Self-review notes."))
    return reviews


def generate(repo: Repository, number: int) -> PullRequest:
    """Rebuild historical PR ``number`` of ``repo``; the same inputs always give the same PR."""
    rng = random.Random(f"{repo.history_seed}:{repo.full_name}:{number}")  # noqa: S311 - reproducible data
    anchor = repo.history_anchor
    if anchor is None:
        raise RuntimeError("the emulator's state is inconsistent")
    count = max(repo.history_count, 1)
    exact = repo.history_reviews
    latest = anchor - (timedelta(days=2) if exact is not None else timedelta(hours=1))
    created = anchor - SPAN + (latest - (anchor - SPAN)) * ((number - 1 + rng.random()) / count)
    roll = rng.random()
    kind = "normal"
    if repo.history_bots and roll < 0.10:
        kind = "bot"
    elif roll < 0.14:
        kind = "revert"
    elif roll < 0.21:
        kind = "hotfix"
    user = rng.choice(repo.history_bots) if kind == "bot" else rng.choice(repo.history_humans)
    title, head, body, labels = _describe(rng, repo, number, kind)
    size = int(rng.lognormvariate(3.5, 1.2)) + 1
    pr = PullRequest(
        id=pr_id(repo, number),
        number=number,
        title=title,
        body=body,
        user=user,
        head_ref=head,
        base_ref=repo.default_branch,
        created_at=created,
        updated_at=created,
        labels=labels,
        additions=size,
        deletions=int(size * rng.random() * 0.8),
        changed_files=max(1, size // 40 + rng.randint(0, 3)),
        head_sha=sha_for(repo, number, "head"),
    )
    ready_at = created
    # Recent PRs are often still in flight: some wait days for review, so the demo has open work and drafts.
    recent = exact is None and anchor - created < timedelta(days=5) and rng.random() < 0.5
    wait = timedelta(days=rng.uniform(1, 6)) if recent else timedelta(0)
    if kind == "normal" and exact is None and rng.random() < 0.25:
        pr.draft = True
        ready_at = created + _hours(rng, 8) + wait
        pr.timeline.append(TimelineEvent("READY_FOR_REVIEW", ready_at, actor=user))
        if rng.random() < 0.15:
            pr.timeline.append(TimelineEvent("CONVERT_TO_DRAFT", ready_at + _hours(rng, 2), actor=user))
            ready_at = pr.timeline[-1].at + _hours(rng, 6)
            pr.timeline.append(TimelineEvent("READY_FOR_REVIEW", ready_at, actor=user))
    no_review = {"hotfix": 0.5, "bot": 0.4, "revert": 0.3}.get(kind, 0.08) if exact is None else 0.0
    reviews = [] if rng.random() < no_review else _reviews(rng, repo, pr, ready_at, exact, wait)
    # The author asks each reviewer when the PR becomes ready (no random draw: the rest of the story is unchanged).
    for reviewer in dict.fromkeys(r.user for r in reviews if r.user != user):
        pr.timeline.append(TimelineEvent("REVIEW_REQUESTED", ready_at, actor=user, reviewer=reviewer))
    last = max([ready_at, *(r.submitted_at for r in reviews)])
    closed_unmerged = exact is None and rng.random() < 0.08
    end = last + (_hours(rng, 30) if closed_unmerged else _hours(rng, 3, 0.8))
    _settle(pr, reviews, end, closed_unmerged, anchor)
    return pr


def _settle(pr: PullRequest, reviews: list[Review], end: datetime, closed_unmerged: bool, anchor: datetime) -> None:
    """Cut the story at ``anchor``: anything later has not happened yet, so the PR may still be open."""
    pr.timeline = [event for event in pr.timeline if event.at < anchor]
    if pr.draft:
        ready = [event.kind for event in pr.timeline if event.kind in ("READY_FOR_REVIEW", "CONVERT_TO_DRAFT")]
        pr.draft = not ready or ready[-1] == "CONVERT_TO_DRAFT"
    pr.reviews = [r for r in reviews if r.submitted_at < anchor]
    if end < anchor and not pr.draft:
        pr.state, pr.closed_at = "closed", end
        pr.merged_at = None if closed_unmerged else end
    else:
        reviewed = {r.user for r in pr.reviews}
        requested = {event.reviewer for event in pr.timeline if event.kind == "REVIEW_REQUESTED"}
        pr.requested_reviewers = sorted(requested - reviewed)
    times = [pr.created_at, *(event.at for event in pr.timeline), *(r.submitted_at for r in pr.reviews)]
    pr.updated_at = max([*times, pr.closed_at or pr.created_at])


def updated_keys(repo: Repository) -> dict[int, float]:
    """``updated_at`` timestamps of every historical PR, for sorting without keeping the PRs."""
    return {n: generate(repo, n).updated_at.timestamp() for n in range(1, repo.history_count + 1)}
