"""One name per concept (issue 34): sync / backfill fields, choices and values renamed to import."""

from django.db import migrations
from django.db import models

VALUES = {("trackedrepository", "import_kind"): {"backfill": "history"}}


def _move(apps, forwards: bool) -> None:
    """Stored choice values renamed with their names (``VALUES``: model, field, old value → new value)."""
    for (model_name, field), changes in VALUES.items():
        model = apps.get_model("integrations", model_name)
        for old, new in changes.items():
            before, after = (old, new) if forwards else (new, old)
            model.objects.filter(**{field: before}).update(**{field: after})


def values_forwards(apps, schema_editor) -> None:
    _move(apps, forwards=True)


def values_backwards(apps, schema_editor) -> None:
    _move(apps, forwards=False)


class Migration(migrations.Migration):
    dependencies = [("integrations", "0015_failure_kinds_columns")]

    operations = [
        migrations.RenameField(model_name="trackedrepository", old_name="last_synced_at", new_name="last_imported_at"),
        migrations.RenameField(model_name="trackedrepository", old_name="sync_claim", new_name="import_claim"),
        migrations.RenameField(model_name="trackedrepository", old_name="sync_cursor", new_name="import_cursor"),
        migrations.RenameField(model_name="trackedrepository", old_name="sync_error", new_name="import_error"),
        migrations.RenameField(
            model_name="trackedrepository", old_name="sync_heartbeat_at", new_name="import_heartbeat_at"
        ),
        migrations.RenameField(model_name="trackedrepository", old_name="sync_imported", new_name="import_count"),
        migrations.RenameField(model_name="trackedrepository", old_name="sync_kind", new_name="import_kind"),
        migrations.AlterField(
            model_name="trackedrepository",
            name="import_kind",
            field=models.CharField(
                choices=[("history", "History import"), ("catch_up", "Catch-up")], default="history", max_length=12
            ),
        ),
        migrations.RenameField(model_name="trackedrepository", old_name="sync_page_size", new_name="import_page_size"),
        migrations.RenameField(model_name="trackedrepository", old_name="sync_resume_at", new_name="import_resume_at"),
        migrations.RenameField(model_name="trackedrepository", old_name="sync_since", new_name="import_since"),
        migrations.RenameField(
            model_name="trackedrepository", old_name="sync_started_at", new_name="import_started_at"
        ),
        migrations.RenameField(model_name="trackedrepository", old_name="sync_status", new_name="import_status"),
        migrations.RenameField(model_name="trackedrepository", old_name="sync_total", new_name="import_total"),
        migrations.RenameField(
            model_name="trackedrepository", old_name="sync_error_kind", new_name="import_error_kind"
        ),
        migrations.RunPython(values_forwards, values_backwards),
    ]
