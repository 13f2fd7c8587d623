# Each review carries its PR's scope columns, so reviewer load reads a period's reviews from one index range.

import django.db.models.deletion
from django.db import migrations, models

# UPDATE … FROM (PostgreSQL, and SQLite since 3.33), one range of PR ids per transaction: the reviews of a few
# thousand PRs are locked for a moment at a time, never all of them for the minutes a large install needs.
FILL = """
UPDATE metrics_prreview
SET pr_author_id = pr.author_id, pr_is_bot_author = pr.is_bot_author, pr_github_repo_id = pr.github_repo_id
FROM metrics_pullrequest AS pr
WHERE pr.id = metrics_prreview.pull_request_id AND pr.id >= %s AND pr.id < %s
"""
PULL_REQUESTS_PER_BATCH = 20_000


def fill_review_scope_copies(apps, schema_editor):
    PullRequest = apps.get_model("metrics", "PullRequest")
    bounds = PullRequest.objects.aggregate(low=models.Min("id"), high=models.Max("id"))
    if bounds["low"] is None:
        return
    with schema_editor.connection.cursor() as cursor:
        for start in range(bounds["low"], bounds["high"] + 1, PULL_REQUESTS_PER_BATCH):
            cursor.execute(FILL, [start, start + PULL_REQUESTS_PER_BATCH])


class Migration(migrations.Migration):
    atomic = False  # each batch of the fill commits on its own

    dependencies = [
        ("metrics", "0009_covering_indexes"),
        ("teams", "0002_team_timezone"),
    ]

    operations = [
        migrations.AddField(
            model_name="prreview",
            name="pr_author",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="metrics.teammember",
            ),
        ),
        migrations.AddField(
            model_name="prreview",
            name="pr_github_repo_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="prreview",
            name="pr_is_bot_author",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(fill_review_scope_copies, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="prreview",
            index=models.Index(
                fields=["team", "submitted_at"],
                include=("id", "reviewer", "response_seconds", "pr_author", "pr_is_bot_author", "pr_github_repo_id"),
                name="review_team_submitted_cov_idx",
            ),
        ),
        migrations.RemoveIndex(
            model_name="prreview",
            name="review_team_submitted_idx",
        ),
    ]
