"""Every dashboard figure's definition, with a version and the date it took effect: the one place they are kept.

The definitions page renders this, each figure on the dashboard links to its entry, and each figure's PR list
names the version it was computed with. When a rule of ``apps.metrics.rules`` changes what a figure means, its
entry here gets a new version, a new ``since`` date and a line in ``changes``, so a reader comparing numbers
across that date knows why they moved.
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
    changes: tuple[str, ...] = ()  # earlier versions, newest first, "v1 (until …): what differed"


DEFINITIONS: dict[str, Definition] = {
    d.key: d
    for d in (
        Definition(
            "merged",
            "Merged PRs",
            "Pull requests merged in the period (the merge time in the team's time zone), in tracked repositories, "
            "without hidden people's PRs and, unless included, without bot-authored ones.",
            1,
            date(2026, 11, 28),
        ),
        Definition(
            "cycle-time",
            "Cycle time",
            "For each PR merged in the period: merged minus opened, wall-clock. The figure is the p50, p75 or p90 "
            "of those values, interpolated between the two nearest ranks (PostgreSQL's percentile_cont): the "
            "value at rank (n - 1) * p of the values sorted from shortest.",
            2,
            date(2026, 12, 1),
            ("v1 (until 2026-12-01): durations kept in hours with two decimals, so percentiles were rounded.",),
        ),
        Definition(
            "pickup",
            "Pickup",
            "For each PR whose first review came in the period: the first review by a human other than the author "
            "minus the time it was ready for review (when it last left draft before that review, or opened). A "
            "review before it was ready gives 0. Percentiles as for cycle time; PRs that never left draft have none.",
            2,
            date(2026, 12, 1),
            ("v1 (until 2026-12-01): durations kept in hours with two decimals, so percentiles were rounded.",),
        ),
        Definition(
            "size",
            "PR size",
            "Lines added plus lines deleted of each PR merged in the period, as GitHub reports them; a PR whose "
            "size GitHub has not reported is left out. p50 and p90 as for cycle time.",
            1,
            date(2026, 11, 28),
        ),
        Definition(
            "merged-without-review",
            "Merged without review",
            "PRs merged in the period that no human other than the author reviewed before the merge; the share is "
            "of all PRs merged in the period.",
            1,
            date(2026, 11, 28),
        ),
        Definition(
            "reverts",
            "Reverts",
            'PRs merged in the period whose title starts with Revert "…", whose branch starts with revert-, or '
            'whose description says "This reverts commit".',
            1,
            date(2026, 11, 28),
        ),
        Definition(
            "hotfixes",
            "Hotfixes",
            "PRs merged in the period whose branch starts with hotfix/ or hotfix-, that carry a hotfix label, or "
            "whose title starts with hotfix.",
            1,
            date(2026, 11, 28),
        ),
        Definition(
            "breakdown",
            "Where the time goes",
            "Each PR merged in the period splits its cycle time into draft (opened → ready), pickup (ready → first "
            "review, or merge when never reviewed), review (first review → last approval, or merge) and merge "
            "wait (last approval → merge). Each part shown is its mean over the period's merged PRs, so the four "
            "add up to the mean cycle time.",
            1,
            date(2026, 11, 28),
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
            "of their own PR are not counted.",
            1,
            date(2026, 11, 28),
        ),
        Definition(
            "response",
            "Median response",
            "For each PR a person reviewed in the period, from the request of their review (or the PR becoming "
            "ready, if they were never asked) to their first review of it; the median of those.",
            1,
            date(2026, 11, 28),
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
