# Review requests open now are flagged, so the dashboard reads them from a partial index of those alone.

from django.db import migrations, models

# Only open PRs' requests can be open, so this touches the requests of open PRs, not the team's history.
# Plain SQL that PostgreSQL and SQLite both run; the same rule as ``services.recompute`` applies from then on.
FILL = """
UPDATE metrics_prevent SET is_open_request = TRUE
WHERE kind = 'review_requested' AND subject_id IS NOT NULL
AND pull_request_id IN (SELECT id FROM metrics_pullrequest WHERE state = 'open')
AND NOT EXISTS (
    SELECT 1 FROM metrics_prreview AS r
    WHERE r.pull_request_id = metrics_prevent.pull_request_id AND r.reviewer_id = metrics_prevent.subject_id
    AND r.submitted_at >= metrics_prevent.occurred_at
)
AND NOT EXISTS (
    SELECT 1 FROM metrics_prevent AS w
    WHERE w.pull_request_id = metrics_prevent.pull_request_id AND w.kind = 'review_request_removed'
    AND w.subject_id = metrics_prevent.subject_id AND w.occurred_at > metrics_prevent.occurred_at
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0010_review_scope_copies"),
        ("teams", "0002_team_timezone"),
    ]

    operations = [
        migrations.AddField(
            model_name="prevent",
            name="is_open_request",
            field=models.BooleanField(default=False, db_default=False),
        ),
        migrations.RunSQL(FILL, reverse_sql=migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="prevent",
            index=models.Index(
                condition=models.Q(("is_open_request", True)),
                fields=["team", "pull_request", "subject"],
                name="prevent_open_request_idx",
            ),
        ),
    ]
