"""On PostgreSQL, staff searches for part of a name, email or phone use an index.

The admin's search is `UPPER(column) LIKE UPPER('%term%')`; a trigram GIN index on
the same expression serves it instead of a scan of every lead. SQLite has none.
"""

from django.db import migrations

COLUMNS = ("name", "email", "phone")


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS leads_lead_{column}_trgm "
            f"ON leads_lead USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS leads_lead_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("leads", "0002_callback_request")]

    operations = [migrations.RunPython(add_indexes, drop_indexes, elidable=False)]
