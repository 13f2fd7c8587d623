"""Durations are stored as exact whole seconds and rounded only for display (they were hours to two decimals).

Existing rows get their old value converted here (exact to 36 seconds); ``manage.py recompute_metrics`` makes
them exact from the stored facts.
"""

from django.db import migrations, models
from django.db.models import F, IntegerField
from django.db.models.functions import Cast, Round

PR_FIELDS = {
    "cycle_time_hours": "cycle_time_seconds",
    "review_time_hours": "review_time_seconds",
    "draft_hours": "draft_seconds",
    "pickup_hours": "pickup_seconds",
    "review_phase_hours": "review_phase_seconds",
    "merge_wait_hours": "merge_wait_seconds",
}


def _seconds(name: str) -> Cast:
    return Cast(Round(F(name) * 3600), IntegerField())


def hours_to_seconds(apps, schema_editor) -> None:
    apps.get_model("metrics", "PullRequest").objects.update(**{new: _seconds(old) for old, new in PR_FIELDS.items()})
    apps.get_model("metrics", "PRReview").objects.update(response_seconds=_seconds("response_hours"))


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0005_people_count_indexes"),
    ]

    operations = [
        *(
            migrations.AddField(model_name="pullrequest", name=new, field=models.IntegerField(blank=True, null=True))
            for new in PR_FIELDS.values()
        ),
        migrations.AddField(model_name="prreview", name="response_seconds", field=models.IntegerField(blank=True, null=True)),
        migrations.RunPython(hours_to_seconds, migrations.RunPython.noop),
        *(migrations.RemoveField(model_name="pullrequest", name=old) for old in PR_FIELDS),
        migrations.RemoveField(model_name="prreview", name="response_hours"),
    ]
