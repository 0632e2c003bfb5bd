"""On PostgreSQL, staff search calls by what was said and by part of a number, indexed.

`calls_call.search_document` holds the transcript and both summaries as a tsvector
(`english` configuration), kept current by a trigger, so a search reads stored
lexemes instead of running to_tsvector over every row. An index on the expression
alone was measured first: at 100,000 calls PostgreSQL, which prices to_tsvector
~150 times below its real cost (0.4 ms for a 1.5 KB transcript), chose plans that
ran it row by row: 1 s for a name, 20 s for a word in every call. A GENERATED column
would store the same, but adding one rewrites the table under an exclusive lock
(2 minutes at 100,000 calls, with the webhook unable to write a call meanwhile).
Here the column is added empty, the trigger covers new writes at once, existing rows
are filled in small batches, and the index is built without blocking writes.

The column is not a model field: Django never reads or writes it (search.py reaches
it), so no call query carries it. Part of a caller's number ("4242") is found through
a trigram index on the column as Django's `contains` compares it. SQLite has none of
this and searches by substring.
"""

from django.db import migrations

COLUMN = "search_document"
INDEXES = {
    "calls_call_search_document_gin": f"gin ({COLUMN})",
    "calls_call_caller_number_trgm": "gin (caller_number gin_trgm_ops)",
}
# Must stay equal to search.SEARCH_CONFIG, which the queries use.
CONFIG = "english"
BATCH = 1000

FUNCTION = f"""
CREATE OR REPLACE FUNCTION calls_call_search_document() RETURNS trigger AS $$
BEGIN
    NEW.{COLUMN} := to_tsvector(
        '{CONFIG}'::regconfig,
        coalesce(NEW.transcript, '') || ' ' || coalesce(NEW.summary, '')
        || ' ' || coalesce(NEW.vapi_summary, '')
    );
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""
# An update recomputes only when the text changed or the column was emptied (as the
# backfill below does), not on every status change.
TRIGGERS = (
    """
    CREATE OR REPLACE TRIGGER calls_call_search_document_insert
    BEFORE INSERT ON calls_call
    FOR EACH ROW EXECUTE FUNCTION calls_call_search_document()
    """,
    f"""
    CREATE OR REPLACE TRIGGER calls_call_search_document_update
    BEFORE UPDATE OF transcript, summary, vapi_summary, {COLUMN} ON calls_call
    FOR EACH ROW WHEN (
        NEW.{COLUMN} IS NULL
        OR OLD.transcript IS DISTINCT FROM NEW.transcript
        OR OLD.summary IS DISTINCT FROM NEW.summary
        OR OLD.vapi_summary IS DISTINCT FROM NEW.vapi_summary
    )
    EXECUTE FUNCTION calls_call_search_document()
    """,
)


def add_search(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # Outside a transaction a failure leaves the steps before it done, so each step
    # may run again (a failed concurrent build leaves an invalid index: drop it).
    execute = schema_editor.execute
    execute(f"ALTER TABLE calls_call ADD COLUMN IF NOT EXISTS {COLUMN} tsvector")
    execute(FUNCTION)
    for trigger in TRIGGERS:
        execute(trigger)
    _fill(schema_editor)
    execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, method in INDEXES.items():
        execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        execute(f"CREATE INDEX CONCURRENTLY {name} ON calls_call USING {method}")


def _fill(schema_editor) -> None:
    # One short transaction per batch (the migration is not atomic): only the rows
    # being filled are locked, never the table.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM calls_call")
        first, last = cursor.fetchone()
        for start in range(first or 0, (last or -1) + 1, BATCH):
            cursor.execute(
                f"UPDATE calls_call SET {COLUMN} = NULL "
                f"WHERE id >= %s AND id < %s AND {COLUMN} IS NULL",
                [start, start + BATCH],
            )


def drop_search(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    for name in INDEXES:
        execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    for event in ("insert", "update"):
        execute(
            f"DROP TRIGGER IF EXISTS calls_call_search_document_{event} ON calls_call"
        )
    execute("DROP FUNCTION IF EXISTS calls_call_search_document()")
    execute(f"ALTER TABLE calls_call DROP COLUMN IF EXISTS {COLUMN}")


class Migration(migrations.Migration):
    # The batched fill and CREATE INDEX CONCURRENTLY run outside a transaction.
    atomic = False

    dependencies = [("calls", "0006_rename_sales_lead_intent")]

    operations = [migrations.RunPython(add_search, drop_search, elidable=False)]
