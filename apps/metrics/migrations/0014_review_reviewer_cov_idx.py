from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0013_review_probe_indexes"),
    ]

    # Reviewer load counts each reviewer's reviews of a period and takes their median response from one range of
    # this index per reviewer: one statement reading the period's reviews once, no hash of them by reviewer.
    operations = [
        migrations.AddIndex(
            model_name="prreview",
            index=models.Index(
                fields=["team", "reviewer", "submitted_at"],
                include=("response_seconds", "pr_author", "pr_is_bot_author", "pr_github_repo_id"),
                name="review_team_reviewer_cov_idx",
            ),
        ),
    ]
