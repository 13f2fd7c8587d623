"""Drill: the Celery worker is SIGKILLed in the middle of a history import, then started again.

A killed worker acknowledges nothing and cleans nothing up: its message stays unacknowledged in Redis (until
the visibility timeout, an hour) and the repository stays ``running`` under the dead worker's claim. Each page
is written together with its cursor, so nothing half-written survives; the periodic ``resume_imports`` takes
the silent claim over once its heartbeat is older than ``IMPORT_LOCK_SECONDS`` and the import resumes after
the last written page. The result must equal an import that was never interrupted.
"""

from __future__ import annotations

import pytest

from tests.drills import harness

pytestmark = pytest.mark.drill

HISTORY = 600
LOCK_SECONDS = 4

PR_COLUMNS = (
    "pr.github_pr_id, pr.number, pr.github_repo_id, pr.title, a.github_id, pr.state, pr.is_draft, pr.head_ref, "
    "pr.base_ref, pr.pr_created_at, pr.pr_updated_at, pr.ready_at, pr.closed_at, pr.merged_at, pr.first_review_at, "
    "pr.cycle_time_seconds, pr.review_time_seconds, pr.additions, pr.deletions, pr.changed_files, pr.is_revert, "
    "pr.is_hotfix, pr.labels::text, pr.is_bot_author, pr.merged_without_review, pr.last_approval_at, "
    "pr.draft_seconds, pr.pickup_seconds, pr.review_phase_seconds, pr.merge_wait_seconds"
)
REVIEW_COLUMNS = "r.github_review_id, pr.github_pr_id, m.github_id, r.state, r.submitted_at, r.response_seconds"


def imported_rows(tf, team_id: int) -> tuple[set, set, int]:
    """The team's PRs and reviews as GitHub ids and values (row ids and team differ between teams)."""
    prs = tf.db.rows(
        f"SELECT {PR_COLUMNS} FROM metrics_pullrequest pr LEFT JOIN metrics_teammember a ON a.id = pr.author_id "
        "WHERE pr.team_id = %s",
        [team_id],
    )
    reviews = tf.db.rows(
        f"SELECT {REVIEW_COLUMNS} FROM metrics_prreview r JOIN metrics_pullrequest pr ON pr.id = r.pull_request_id "
        "LEFT JOIN metrics_teammember m ON m.id = r.reviewer_id WHERE r.team_id = %s",
        [team_id],
    )
    events = tf.db.value("SELECT COUNT(*) FROM metrics_prevent WHERE team_id = %s", [team_id])
    return set(prs), set(reviews), events


def test_a_worker_killed_mid_import_resumes_to_the_rows_of_an_uninterrupted_import(stack):
    tf = stack(IMPORT_PAGE_SIZE="20", IMPORT_LOCK_SECONDS=str(LOCK_SECONDS))
    installation = tf.install(["acme/big"], pull_requests={"acme/big": HISTORY})
    linked = tf.ops("link", installation_id=installation, repositories=["acme/big"])
    tracked = linked["tracked"]["acme/big"]
    progress = "SELECT import_status, import_count FROM integrations_trackedrepository WHERE id = %s"

    harness.wait_for(
        lambda: (row := tf.db.rows(progress, [tracked])[0])[0] == "running" and 0 < row[1] <= HISTORY - 100,
        timeout=90,
        interval=0.02,
        what="the import to be under way",
    )
    tf.worker.kill()
    status, imported = tf.db.rows(progress, [tracked])[0]
    assert status == "running" and 0 < imported < HISTORY, (status, imported)

    tf.start_worker()
    # Beat's resume_imports runs every few minutes; run it once the dead worker's claim has gone silent.
    stale = (
        "SELECT now() - import_heartbeat_at > make_interval(secs => %s)"
        " FROM integrations_trackedrepository WHERE id = %s"
    )
    harness.wait_for(lambda: tf.db.value(stale, [LOCK_SECONDS, tracked]), timeout=30, what="a stale claim")
    assert tf.ops("resume") == 1
    tf.wait_import(tracked)

    reference = tf.ops("reference_import", tracked_repository_id=tracked)
    tf.wait_import(reference["tracked_repository_id"])

    resumed, uninterrupted = imported_rows(tf, linked["team_id"]), imported_rows(tf, reference["team_id"])
    assert len(resumed[0]) == HISTORY and len(resumed[1]) >= HISTORY
    assert resumed[0] == uninterrupted[0]
    assert resumed[1] == uninterrupted[1]
    assert resumed[2] == uninterrupted[2]
