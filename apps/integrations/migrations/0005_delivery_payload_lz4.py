"""Stored webhook bodies compressed with lz4 instead of PostgreSQL's default pglz.

Every delivery stores its raw body (28 KB for a typical pull_request event) while GitHub waits for the answer;
pglz spends most of the INSERT's time in the database compressing it, lz4 a third of that, and its result is
smaller. PostgreSQL only (14+, built with lz4, as Debian's and the official images are); elsewhere nothing changes.
"""

from django.db import DatabaseError, migrations, transaction


def use_lz4(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("ALTER TABLE integrations_webhookdelivery ALTER COLUMN payload SET COMPRESSION lz4")
    except DatabaseError:  # a server without lz4 keeps pglz: slower, never wrong
        pass


def use_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE integrations_webhookdelivery ALTER COLUMN payload SET COMPRESSION default")


class Migration(migrations.Migration):
    dependencies = [("integrations", "0004_installation_connection_event")]

    operations = [migrations.RunPython(use_lz4, use_default, elidable=True)]
