"""Every stored body not yet pruned is copied from ``integrations_webhookdelivery.payload`` into the payload table.

Not atomic: a million deliveries are copied ``BATCH`` ids at a time, each batch its own short statement, so no
transaction holds the whole table and a migration stopped half-way resumes where it stopped (from the highest
delivery id copied; ``ON CONFLICT DO NOTHING`` makes copying a batch twice harmless). On PostgreSQL the day
partitions of the retention period are created first, so the copied rows land in their day's partition and are
dropped with it; older ones (kept because their delivery failed) land in the DEFAULT partition, as pruning would
have put them.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import migrations

BATCH = 10_000
PARENT = "integrations_webhookpayload"


def _create_day_partitions(cursor):
    cursor.execute("SELECT min(received_at) FROM integrations_webhookdelivery WHERE payload_pruned_at IS NULL")
    oldest = cursor.fetchone()[0]
    today = datetime.now(UTC).date()
    retention = getattr(settings, "WEBHOOK_PAYLOAD_RETENTION_DAYS", 30)
    first = max(oldest.astimezone(UTC).date() if oldest else today, today - timedelta(days=retention))
    for offset in range((today + timedelta(days=7) - first).days + 1):
        day = first + timedelta(days=offset)
        start, end = f"{day:%Y-%m-%d} 00:00:00+00", f"{day + timedelta(days=1):%Y-%m-%d} 00:00:00+00"
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {PARENT}_p{day:%Y%m%d} PARTITION OF {PARENT}"
            f" FOR VALUES FROM ('{start}') TO ('{end}')"
        )


def copy_payloads(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            _create_day_partitions(cursor)
        cursor.execute("SELECT max(id) FROM integrations_webhookdelivery")
        last = cursor.fetchone()[0]
        cursor.execute(f"SELECT coalesce(max(delivery_id), 0) FROM {PARENT}")
        start = cursor.fetchone()[0]  # resumes with the last batch copied (again: its rows conflict, nothing more)
        while last is not None and start <= last:
            cursor.execute(
                f"INSERT INTO {PARENT} (delivery_id, received_at, body) SELECT id, received_at, payload"
                " FROM integrations_webhookdelivery WHERE id >= %s AND id < %s AND payload_pruned_at IS NULL"
                " ON CONFLICT DO NOTHING",
                [start, start + BATCH],
            )
            start += BATCH


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("integrations", "0011_webhook_payload")]

    operations = [migrations.RunPython(copy_payloads, migrations.RunPython.noop)]
