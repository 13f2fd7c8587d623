"""The audit row keeps no body any more (0012 copied them to the payload table), and pruning keeps no checkpoint: it
drops whole day partitions, or deletes rows, instead of walking the deliveries by age.

On PostgreSQL dropping a column is instant and rewrites nothing; the TOAST space the old bodies took is given
back only when the table is rewritten (``VACUUM FULL`` or pg_repack, in a quiet hour; see docs/deployment.md).
"""

from django.db import migrations


def forget_prune_checkpoint(apps, schema_editor):
    apps.get_model("integrations", "Checkpoint").objects.filter(name="delivery-payload-prune").delete()


class Migration(migrations.Migration):
    dependencies = [("integrations", "0012_copy_delivery_payloads")]

    operations = [
        migrations.RemoveField(model_name="webhookdelivery", name="payload"),
        migrations.RemoveField(model_name="webhookdelivery", name="payload_pruned_at"),
        migrations.RunPython(forget_prune_checkpoint, migrations.RunPython.noop),
    ]
