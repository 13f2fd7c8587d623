"""Deliveries keep only the indexes a query uses.

- ``delivery_id``: one unique index (a constraint) instead of ``unique=True``'s two on PostgreSQL; the second,
  ``varchar_pattern_ops`` for LIKE, was never used and held a third of all index space.
- pending rows by age: a partial index the drain and the sweeper read, as small as the backlog.
- failed rows by age: a partial index for the admin's filter and the reprocess command, written only on failure.
- ``received_at``: the admin's newest-first list, pruning and expiry by age.
- gone: ``installation_id`` alone (``delivery_installation_recv_idx`` starts with it) and ``(status, received_at)``,
  which every status UPDATE rewrote.

The ON CONFLICT (delivery_id) of the webhook's INSERT is served by the new constraint on PostgreSQL and SQLite.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0006_delivery_installation_received_index'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='webhookdelivery',
            name='delivery_status_received_idx',
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='delivery_id',
            field=models.CharField(help_text='X-GitHub-Delivery', max_length=64),
        ),
        migrations.AlterField(
            model_name='webhookdelivery',
            name='installation_id',
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='webhookdelivery',
            index=models.Index(condition=models.Q(('status', 'pending')), fields=['received_at'], name='delivery_pending_idx'),
        ),
        migrations.AddIndex(
            model_name='webhookdelivery',
            index=models.Index(condition=models.Q(('status', 'failed')), fields=['received_at'], name='delivery_failed_idx'),
        ),
        migrations.AddIndex(
            model_name='webhookdelivery',
            index=models.Index(fields=['received_at'], name='delivery_received_idx'),
        ),
        migrations.AddConstraint(
            model_name='webhookdelivery',
            constraint=models.UniqueConstraint(fields=('delivery_id',), name='unique_delivery_id'),
        ),
    ]
