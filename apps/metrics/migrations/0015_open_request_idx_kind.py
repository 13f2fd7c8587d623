from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0014_review_reviewer_cov_idx"),
        ("teams", "0002_team_timezone"),
    ]

    # Open review requests ask for "kind = review_requested" beside "is_open_request". With only the flag in the
    # predicate, PostgreSQL visited each open request's row to test its kind (a page read per open request, on
    # every dashboard whatever its period). Only review requests are ever flagged open, so the predicate says so
    # and the panel reads the index alone.
    operations = [
        migrations.RemoveIndex(model_name="prevent", name="prevent_open_request_idx"),
        migrations.AddIndex(
            model_name="prevent",
            index=models.Index(
                condition=models.Q(("is_open_request", True), ("kind", "review_requested")),
                fields=["team", "pull_request", "subject"],
                name="prevent_open_request_idx",
            ),
        ),
    ]
