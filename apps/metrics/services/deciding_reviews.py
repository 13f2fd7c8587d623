"""The reviews that decide a PR's metrics, found by index probes: what an event reads does not grow with the PR.

Every metric depends on at most four submitted reviews per reviewer: their first (the PR's first
review is one of these, and so is the one a response time is measured to), their last approval and their last
request for changes before the merge (the PR's last approval is the latest approval no later request for changes of
its reviewer withdrew) and their latest (whether a review request is still open depends on it). Any set of reviews
holding those gives the same metrics as all of them. Whether a reviewer counts (a bot, the author) is a property of
the reviewer, so the rules still decide that, from these; reviews without a reviewer (a deleted account) never
count, so none is read.

A busy PR (a bot commenting on every push, a long review thread) collects thousands of reviews from a handful of
people, and each of its review events recomputes its metrics. Ranking all of its reviews (a window per reviewer)
reads every one of them on every event. Here the database walks the index ``(pull request, reviewer,
submitted_at, id)`` instead: one probe finds the PR's next reviewer (a loose index scan, by a recursive CTE that
PostgreSQL and SQLite both run), one probe at each end of a reviewer's range reads their first and latest review,
and one probe of a partial index of approvals (and one of requests for changes) reads their last one before the
merge. That is a few rows per reviewer, whatever the PR's history. The indexes are ``PRReview.Meta.indexes``.
"""

# The SQL is assembled from this module's constants and table names; every value is a query parameter.
# ruff: noqa: S608

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from django.db import connection

from apps.metrics.models import PRReview, ReviewState, TeamMember
from apps.metrics.rules import ReviewFact

_REVIEWS = PRReview._meta.db_table
_APPROVED = ReviewState.APPROVED.value  # literals in the SQL, so the partial indexes of approvals and of
_CHANGES = ReviewState.CHANGES_REQUESTED.value  # requests for changes apply
# What a deciding review is read with; ``reviewer_is_bot`` is looked up by the member's primary key.
_COLUMNS = (
    "r.id, r.pull_request_id, r.reviewer_id, r.state, r.submitted_at, r.github_review_id, r.response_seconds, "
    "r.pr_author_id, r.pr_is_bot_author, r.pr_github_repo_id"
)
_IS_BOT = f"(SELECT m.is_bot FROM {TeamMember._meta.db_table} m WHERE m.id = r.reviewer_id) AS reviewer_is_bot"

_NO_END = datetime(9999, 12, 31, tzinfo=UTC)
Stored = dict[int, tuple[int, int | None, tuple[object, ...]]]


def deciding_reviews(merged_at: dict[int, datetime | None]) -> tuple[dict[int, list[ReviewFact]], Stored]:
    """The reviews of the PRs ``merged_at`` names (by pk, with the merge time about to be saved) that can decide a
    metric, as facts by PR, and each one's (github_review_id, stored response time, its copies of the PR's scope
    columns).

    Besides each reviewer's first, latest, last approval and last request for changes before the merge, the
    reviews that still hold a response time are read, to clear one that a late, earlier
    review displaced: a partial index holds only those, about one per reviewer. (PostgreSQL picks that index from
    its statistics; a table never analyzed looks to it as if almost every review held a response time.)
    """
    if not merged_at:
        return {}, {}
    reviews: dict[int, list[ReviewFact]] = defaultdict(list)
    stored: Stored = {}
    for row in PRReview.objects.raw(*_deciding_sql(merged_at)):
        is_bot = bool(getattr(row, "reviewer_is_bot"))  # noqa: B009 (a column of the raw query, not a field)
        fact = ReviewFact(row.pk, row.reviewer_id, is_bot, row.state, row.submitted_at, row.github_review_id)
        reviews[row.pull_request_id].append(fact)
        copies = (row.pr_author_id, row.pr_is_bot_author, row.pr_github_repo_id)
        stored[row.pk] = (row.github_review_id, row.response_seconds, copies)
    return reviews, stored


def _deciding_sql(merged_at: dict[int, datetime | None]) -> tuple[str, list[object]]:
    """One statement reading the deciding reviews of ``deciding_reviews``, with its parameters.

    Each probe is an ``ORDER BY … LIMIT 1`` of one reviewer's index range. PostgreSQL runs it as a ``LATERAL``
    subquery that returns the row itself: given the review ids instead, it may plan a pass over the whole table
    cheaper than the look-ups it cannot estimate (it does on a table of a few thousand rows). SQLite has no
    ``LATERAL``; it looks ids ``IN (subquery)`` up by primary key, always.
    """
    pr_ids = sorted(merged_at)
    # Each PR with the last moment an approval counts: its merge, or no end (an index bound either way).
    ctes = [f"prs(pr, approved_until) AS (VALUES {', '.join(['(%s, %s)'] * len(pr_ids))})"]
    params: list[object] = []
    for pk in pr_ids:
        params += [pk, connection.ops.adapt_datetimefield_value(merged_at[pk] or _NO_END)]
    # The loose index scan: each step probes the PR's next reviewer id (NULL after the last one).
    ctes.append(
        "reviewers(pr, approved_until, rid) AS ("
        f"SELECT p.pr, p.approved_until, (SELECT r.reviewer_id FROM {_REVIEWS} r WHERE r.pull_request_id = p.pr "
        "AND r.reviewer_id IS NOT NULL ORDER BY r.reviewer_id LIMIT 1) FROM prs p "
        f"UNION ALL SELECT v.pr, v.approved_until, (SELECT r.reviewer_id FROM {_REVIEWS} r "
        "WHERE r.pull_request_id = v.pr AND r.reviewer_id > v.rid ORDER BY r.reviewer_id LIMIT 1) "
        "FROM reviewers v WHERE v.rid IS NOT NULL)"
    )
    until = " AND r.submitted_at <= v.approved_until"
    approval = f" AND r.state = '{_APPROVED}'{until}"
    changes = f" AND r.state = '{_CHANGES}'{until}"
    lateral = connection.vendor == "postgresql"
    selects: list[str] = []
    # Each reviewer of each PR: first, latest, last approval and last request for changes before the merge.
    for order, condition in (("ASC", ""), ("DESC", ""), ("DESC", approval), ("DESC", changes)):
        probe = (
            f"SELECT {_COLUMNS if lateral else 'r.id'} FROM {_REVIEWS} r WHERE r.pull_request_id = v.pr "
            f"AND r.reviewer_id = v.rid AND r.submitted_at IS NOT NULL{condition} "
            f"ORDER BY r.submitted_at {order}, r.id {order} LIMIT 1"
        )
        if lateral:
            selects.append(f"SELECT d.* FROM reviewers v CROSS JOIN LATERAL ({probe}) d WHERE v.rid IS NOT NULL")
        else:
            selects.append(f"SELECT ({probe}) FROM reviewers v WHERE v.rid IS NOT NULL")
    in_prs = ", ".join(["%s"] * len(pr_ids))
    responses = f"FROM {_REVIEWS} r WHERE r.pull_request_id IN ({in_prs}) AND r.response_seconds IS NOT NULL"
    params += pr_ids
    with_ctes = f"WITH RECURSIVE {', '.join(ctes)}"
    if lateral:
        selects.append(f"SELECT {_COLUMNS} {responses}")
        return f"{with_ctes} SELECT r.*, {_IS_BOT} FROM ({' UNION '.join(selects)}) r", params
    selects.append(f"SELECT r.id {responses}")
    ids = f"{with_ctes} {' UNION '.join(selects)}"
    return f"SELECT {_COLUMNS}, {_IS_BOT} FROM {_REVIEWS} r WHERE r.id IN ({ids})", params
