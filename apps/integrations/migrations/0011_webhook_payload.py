"""Delivery bodies get a table of their own, ``integrations_webhookpayload``, apart from the audit rows.

On PostgreSQL it is partitioned by range of ``received_at``, one partition per UTC day (created by
``services.payload_partitions``: ahead of time by a daily task and after every migrate) and a DEFAULT partition for
the rows no day takes, so that pruning a day's payloads is dropping its partition. The primary key holds the
partition key, as PostgreSQL requires of a partitioned table's unique keys. ``body`` is compressed with lz4, as
migration 0005 did for the old column, on servers built with it. Elsewhere (SQLite) it is a plain table.
"""

import django.db.models.deletion
from django.db import DatabaseError, migrations, models, transaction

PARENT = "integrations_webhookpayload"


def create_table(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.create_model(apps.get_model("integrations", "WebhookPayload"))
        return
    schema_editor.execute(
        f"CREATE TABLE {PARENT} (delivery_id bigint NOT NULL, received_at timestamp with time zone NOT NULL,"
        f" body text NOT NULL, CONSTRAINT {PARENT}_pkey PRIMARY KEY (delivery_id, received_at))"
        " PARTITION BY RANGE (received_at)"
    )
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute(f"ALTER TABLE {PARENT} ALTER COLUMN body SET COMPRESSION lz4")
    except DatabaseError:  # a server without lz4 keeps pglz: slower, never wrong
        pass
    schema_editor.execute(f"CREATE TABLE {PARENT}_default PARTITION OF {PARENT} DEFAULT")


def drop_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE {PARENT}")  # its partitions with it


class Migration(migrations.Migration):
    dependencies = [("integrations", "0010_delivery_repository")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="WebhookPayload",
                    fields=[
                        (
                            "pk",
                            models.CompositePrimaryKey(
                                "delivery", "received_at", blank=True, editable=False, primary_key=True, serialize=False
                            ),
                        ),
                        ("received_at", models.DateTimeField()),
                        ("body", models.TextField()),
                        (
                            "delivery",
                            models.ForeignKey(
                                db_constraint=False,
                                db_index=False,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="integrations.webhookdelivery",
                            ),
                        ),
                    ],
                ),
            ]
        ),
        migrations.RunPython(create_table, drop_table),
    ]
