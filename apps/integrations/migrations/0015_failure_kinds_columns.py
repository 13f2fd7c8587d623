"""``inactive_reason`` holds a kind (0014 mapped the sentences), so its column shrinks to the longest kind."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("integrations", "0014_failure_kinds")]

    operations = [
        migrations.AlterField(
            model_name="trackedrepository",
            name="inactive_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("untracked", "Untracked"),
                    ("disconnected", "GitHub disconnected"),
                    ("access_removed", "Access removed"),
                    ("moved", "Moved to another organization"),
                    ("repository_deleted", "Repository deleted"),
                    ("repository_dropped", "Repository deleted, dropped from the figures"),
                ],
                max_length=24,
            ),
        ),
        migrations.AlterField(
            model_name="trackedrepository",
            name="sync_error",
            field=models.TextField(
                blank=True, help_text="GitHub's own words about the failure, when its kind needs them."
            ),
        ),
    ]
