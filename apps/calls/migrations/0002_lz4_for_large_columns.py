"""Compress the large VAPI columns with lz4 instead of pglz, on PostgreSQL.

Every webhook message stores its raw body (14 KB for a tool call, 20 KB for an
end-of-call report), and the report rewrites the call's transcript and messages.
Compressing a body with pglz, PostgreSQL's default, cost its backend 0.26 ms of
CPU (tool call) and 0.37 ms (report) per INSERT on the bench machine; lz4 0.18 and
0.20 ms. Only the columns' method for new values changes: nothing is rewritten, and
older values stay readable as they are. Skipped on other databases and where the
server has no lz4 (PostgreSQL before 14, or built without it).
"""

from django.db import migrations

LARGE_COLUMNS = {
    "WebhookEvent": ("payload", "response"),
    "Call": ("transcript", "messages"),
}


def _has_lz4(connection) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
            "WHERE name = 'default_toast_compression'"
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def _set_compression(method: str):
    def run(apps, schema_editor):
        if not _has_lz4(schema_editor.connection):
            return
        quote = schema_editor.quote_name
        for model_name, field_names in LARGE_COLUMNS.items():
            meta = apps.get_model("calls", model_name)._meta
            for name in field_names:
                schema_editor.execute(
                    f"ALTER TABLE {quote(meta.db_table)} ALTER COLUMN "
                    f"{quote(meta.get_field(name).column)} SET COMPRESSION {method}"
                )

    return run


class Migration(migrations.Migration):
    dependencies = [("calls", "0001_initial")]

    operations = [
        migrations.RunPython(_set_compression("lz4"), _set_compression("default")),
    ]
