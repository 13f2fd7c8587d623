"""Every stored body not yet pruned is copied from ``integrations_webhookdelivery.payload`` into the payload table.

Not atomic: a million deliveries are copied ``BATCH`` ids at a time, each batch its own short statement, so no
transaction holds the whole table and a migration stopped half-way resumes where it stopped (from the highest
delivery id copied; ``ON CONFLICT DO NOTHING`` makes copying a batch twice harmless). A body already past
``WEBHOOK_PAYLOAD_RETENTION_DAYS`` whose delivery is done is not copied: the next prune would only drop it. On
PostgreSQL the day partitions of the retention period are created first, so the copied rows land in their day's
partition and are dropped with it; older ones (kept because their delivery failed or is pending) land in the DEFAULT
partition, as pruning would have put them.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import migrations

BATCH = 10_000
PARENT = "integrations_webhookpayload"


def _create_day_partitions(cursor, cutoff):
    today = datetime.now(UTC).date()
    first = cutoff.date()
    for offset in range((today + timedelta(days=7) - first).days + 1):
        day = first + timedelta(days=offset)
        start, end = f"{day:%Y-%m-%d} 00:00:00+00", f"{day + timedelta(days=1):%Y-%m-%d} 00:00:00+00"
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {PARENT}_p{day:%Y%m%d} PARTITION OF {PARENT}"
            f" FOR VALUES FROM ('{start}') TO ('{end}')"
        )


def copy_payloads(apps, schema_editor):
    connection = schema_editor.connection
    cutoff = datetime.now(UTC) - timedelta(days=getattr(settings, "WEBHOOK_PAYLOAD_RETENTION_DAYS", 30))
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM integrations_webhookdelivery")
        last = cursor.fetchone()[0]
        if last is None:
            return  # a fresh install: nothing to copy, and its partitions are made after migrate
        if connection.vendor == "postgresql":
            _create_day_partitions(cursor, cutoff)
        cursor.execute(f"SELECT coalesce(max(delivery_id), 0) FROM {PARENT}")
        start = cursor.fetchone()[0]  # resumes with the last batch copied (again: its rows conflict, nothing more)
        while start <= last:
            cursor.execute(
                f"INSERT INTO {PARENT} (delivery_id, received_at, body) SELECT id, received_at, payload"
                " FROM integrations_webhookdelivery WHERE id >= %s AND id < %s AND payload_pruned_at IS NULL"
                " AND (received_at >= %s OR status NOT IN ('processed', 'ignored')) ON CONFLICT DO NOTHING",
                [start, start + BATCH, connection.ops.adapt_datetimefield_value(cutoff)],
            )
            start += BATCH


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("integrations", "0011_webhook_payload")]

    operations = [migrations.RunPython(copy_payloads, migrations.RunPython.noop)]
