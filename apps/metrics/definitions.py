"""Every dashboard figure's definition, with a version and the date it took effect: the one place they are kept.

The definitions page renders this, each figure on the dashboard links to its entry, and each figure's PR list
names the version it was computed with. When a rule of ``apps.metrics.rules`` changes what a figure means, its
entry here gets a new version, a new ``since`` date and a line in ``changes`` saying what the figure counted
before, so a reader comparing numbers across that date knows why they moved.

``elsewhere`` says where a figure differs from what LinearB, Swarmia, Apache DevLake and Middleware publish about
their own figures of the same name, and why ours is what it is: only what their documentation (or, for
Middleware, its open-source code) says, as read on the date in ``SOURCES``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Definition:
    key: str  # the page's anchor
    name: str
    text: str
    version: int
    since: date
    changes: tuple[str, ...] = ()  # earlier versions, newest first, "v1 (until …): what the figure counted then"
    elsewhere: tuple[str, ...] = ()  # how other products define a figure of that name, and why ours differs


# What ``elsewhere`` is based on, as read when it was written.
SOURCES_READ = date(2026, 12, 7)
SOURCES = (
    ("LinearB: How is Cycle Time calculated?", "https://linearb.helpdocs.io/article/0vif1ihmgc-how-is-cycle-time-calculated"),
    ("Swarmia: Time to review", "https://help.swarmia.com/metrics-and-definitions/pull-request-cycle-time/time-to-review"),
    ("Apache DevLake: PR Cycle Time", "https://devlake.apache.org/docs/Metrics/PRCycleTime"),
    ("Apache DevLake: PR Review Time", "https://devlake.apache.org/docs/v0.14/Metrics/ReviewTime/"),
    ("Middleware: DORA using only PR data", "https://middlewarehq.com/docs/product/cloud/dora/pr-only"),
    ("Middleware: open-source code (PR metrics)", "https://github.com/middlewarehq/middleware"),
)  # fmt: skip

# Said once for every figure built on the first review: what counts as one here.
FIRST_REVIEW_HERE = (
    "Here a first review is a review submitted on GitHub (approve, request changes or comment as a review) by a human "
    "other than the author, before the merge. A plain comment on the conversation is not a review, nor is a review "
    "by a deleted account (GitHub no longer says whose it was, and it may be the author's own)."
)

DEFINITIONS: dict[str, Definition] = {
    d.key: d
    for d in (
        Definition(
            "merged",
            "Merged PRs",
            "Pull requests merged in the period (the merge time in the team's time zone), in tracked repositories, "
            "without hidden people's PRs and, unless included, without bot-authored ones. A repository deleted on "
            "GitHub still counts in the periods it was part of, unless an admin dropped it from the figures.",
            1,
            date(2026, 11, 28),
        ),
        Definition(
            "cycle-time",
            "Cycle time",
            "For each PR merged in the period: merged minus opened, wall-clock. The figure is the p50, p75 or p90 "
            "of those values, interpolated between the two nearest values when the rank falls between them (the "
            "value at rank (n - 1) * p of the values sorted from shortest).",
            2,
            date(2026, 12, 1),
            elsewhere=(
                "LinearB, Swarmia, DevLake and Middleware start a PR's cycle or lead time at its first commit, and "
                "LinearB, DevLake and Middleware can run it on to the deployment. Ours runs from opening to merge: "
                "a commit's date is set by the author's machine and survives rebases, and deployments are not "
                "something a GitHub App sees for every team.",
                "LinearB averages each phase and DevLake's dashboards take averages; ours are percentiles, so one PR "
                "left open for a year does not move the figure for all the others.",
            ),
        ),
        Definition(
            "pickup",
            "Pickup",
            "For each PR whose first review came in the period: the first review by a human other than the author "
            "minus the time it was ready for review (when it last left draft before that review, or opened). A "
            "review before it was ready gives 0. A review submitted after the merge is not a first review: the PR "
            "was merged without review and has no pickup time. Percentiles as for cycle time; PRs that never left "
            "draft have none.",
            3,
            date(2026, 12, 7),
            changes=(
                "v2 (until 2026-12-07): a review submitted after the merge counted as the PR's first review, so a "
                "PR counted as merged without review could still add a pickup time; a review by a deleted account "
                "counted too.",
            ),
            elsewhere=(
                FIRST_REVIEW_HERE,
                "LinearB's pickup runs from the PR opened (or moved out of draft) to the first comment by someone "
                "other than the author, and to the approval or merge when there was no comment. Here a plain "
                "comment does not end pickup (anyone can comment without reviewing) and a PR merged without review "
                "has no pickup, so it cannot pull the figure down.",
                "Swarmia's time to first review runs from the first review request, not from ready for review, to "
                "the first approval or request for changes; a team that requests reviewers late sees a shorter wait "
                "there than here, and here a review that only comments counts too.",
                "DevLake's review time starts at the first comment on a PR; Middleware's open-source code measures "
                "the first response from the PR's creation, draft time included. Ours leaves draft time out, since "
                "nobody is asked to review a draft.",
            ),
        ),
        Definition(
            "size",
            "PR size",
            "Lines added plus lines deleted of each PR merged in the period, as GitHub reports them; a PR whose "
            "size GitHub has not reported is left out. p50 and p90 as for cycle time.",
            1,
            date(2026, 11, 28),
            elsewhere=("We found no published definition by the four products to compare this one with.",),
        ),
        Definition(
            "merged-without-review",
            "Merged without review",
            "PRs merged in the period that no human other than the author reviewed before the merge; the share is "
            "of all PRs merged in the period. A review after the merge does not change that (see Pickup).",
            1,
            date(2026, 11, 28),
            elsewhere=(
                FIRST_REVIEW_HERE,
                "DevLake leaves pickup and review time empty for a merged PR without review and uses the time to "
                "merge instead; LinearB counts such a PR's wait as pickup up to the merge. Here it is counted apart, "
                "and its whole wait shows in the breakdown as the wait before review or merge.",
            ),
        ),
        Definition(
            "reverts",
            "Reverts",
            'PRs merged in the period whose title starts with Revert "…", whose branch starts with revert-, or '
            'whose description says "This reverts commit".',
            1,
            date(2026, 11, 28),
            elsewhere=(
                "Middleware, with only PR data, treats a revert PR as an incident and the PR it reverts as a failed "
                "change (its change failure rate). Here a revert is counted as what it is, a merged PR that undoes "
                "another, without a claim about incidents.",
            ),
        ),
        Definition(
            "hotfixes",
            "Hotfixes",
            "PRs merged in the period whose branch starts with hotfix/ or hotfix-, that carry a hotfix label, or "
            "whose title starts with hotfix.",
            1,
            date(2026, 11, 28),
            elsewhere=("We found no published definition by the four products to compare this one with.",),
        ),
        Definition(
            "breakdown",
            "Where the time goes",
            "Each PR merged in the period splits its cycle time into draft (opened → ready), pickup (ready → first "
            "review, or merge when never reviewed), review (first review → last approval, or merge) and merge "
            "wait (last approval → merge). The last approval is the latest one still standing at the merge: a "
            "reviewer's later request for changes withdraws their approval, as GitHub shows it. Each part shown is "
            "its mean over the period's merged PRs, so the four add up to the mean cycle time.",
            2,
            date(2026, 12, 7),
            changes=(
                "v1 (until 2026-12-07): an approval counted as the last one even when its reviewer requested "
                "changes after it, so merge wait ran from an approval that no longer stood.",
            ),
            elsewhere=(
                FIRST_REVIEW_HERE,
                "LinearB and DevLake run review time from the first comment to the merge, with no merge wait of its "
                "own; Middleware's open-source code runs its merge time from the first approval. Ours ends review at "
                "the last approval still standing, so time spent reworking after a request for changes is review, "
                "and merge wait is only the wait once the PR was approved.",
            ),
        ),
        Definition(
            "weekly",
            "Weekly trends",
            "Merged PRs and the median cycle time per week, Monday to Sunday in the team's time zone, counting "
            "only merges inside the period; a week the period covers only in part is marked partial.",
            1,
            date(2026, 11, 28),
        ),
        Definition(
            "reviews-given",
            "Reviews given",
            "Reviews a person submitted in the period on the dashboard's PRs; a bot's review and an author's review "
            "of their own PR are not counted. The people page counts reviews the same way, over all time.",
            1,
            date(2026, 11, 28),
            elsewhere=(
                "A review here is one submitted on GitHub (approve, request changes or comment as a review); a plain "
                "comment on the conversation is not one. A review after the merge is counted here (the reviewer did "
                "the work) though it is not the PR's first review. We found no published definition by the four "
                "products of a per-person review count to compare this one with.",
            ),
        ),
        Definition(
            "response",
            "Median response",
            "For each PR a person reviewed in the period, from the request of their review (or the PR becoming "
            "ready, if they were never asked) to their first review of it; the median of those.",
            1,
            date(2026, 11, 28),
            elsewhere=(
                "Swarmia's review time is measured per review, from the request to the review; ours is the same "
                "idea per reviewer and PR, and falls back to ready for review when nobody asked them.",
            ),
        ),
        Definition(
            "deployment-frequency",
            "Deployment frequency",
            "Successful production deployments in the period, by the time of their first success in the team's time "
            "zone, in tracked repositories. A deployment is one commit reaching one environment through one run: the "
            "GitHub deployments one Actions run makes (reusable workflows, re-run attempts) count once, and a "
            "deployment made by another tool is its own. Failed attempts are listed and never counted. Production is "
            "an environment GitHub flags as production or whose name matches the team's rule (by default production "
            "or prod, in any case); a transient environment never is. Other environments are shown with their "
            "deployments, never counted.",
            1,
            date(2026, 12, 8),
        ),
        Definition(
            "lead-time",
            "Lead time for changes",
            "For each PR first deployed to production in the period, from its creation to the first success of the "
            "first production deployment that shipped it; the median, p75 and p90 of those, with how many PRs. A "
            "deployment shipped a PR when the PR's merge commit is among the commits GitHub lists between the "
            "commit of the production deployment before it (same repository and environment) and its own; with no "
            "earlier deployment known, only a PR merged as the deployed commit. Coverage: of the PRs merged in the "
            "period, how many a known production deployment shipped.",
            1,
            date(2026, 12, 8),
        ),
        Definition(
            "open-requests",
            "Open review requests",
            "Open PRs where the person's review was requested and they have neither reviewed since nor had the "
            "request withdrawn; as of now, whatever the period.",
            1,
            date(2026, 11, 28),
        ),
    )
}
