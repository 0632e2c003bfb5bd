"""What the calls migrations do to the database and to rows already in it."""

import datetime as dt
import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from apps.calls import search
from apps.calls.models import Call, WebhookEvent
from apps.leads.models import Lead
from tests.businesses.factories import BusinessFactory
from tests.calls.factories import CallFactory


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "field"),
    [
        (WebhookEvent, "payload"),
        (WebhookEvent, "response"),
        (Call, "transcript"),
        (Call, "messages"),
    ],
)
def test_large_vapi_columns_are_compressed_with_lz4(model, field):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attcompression FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attname = %s",
            [model._meta.db_table, model._meta.get_field(field).column],
        )
        (method,) = cursor.fetchone()

    assert method == "l"  # lz4


def _migrate(*targets: tuple[str, str]) -> None:
    MigrationExecutor(connection).migrate(list(targets))


@pytest.fixture
def before_purged_at_was_filled(transactional_db):
    """The schema with purged_at, before the migration that fills it; then the latest."""
    _migrate(("calls", "0003_call_purged_at"))
    yield
    _migrate(*MigrationExecutor(connection).loader.graph.leaf_nodes())


def _days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def _old_call(business, **fields):
    """A call inserted through the Call model as of 0003: today's has columns that
    schema lacks."""
    state = MigrationExecutor(connection).loader.project_state(
        ("calls", "0003_call_purged_at")
    )
    old_call = state.apps.get_model("calls", "Call")
    built = CallFactory.build(business=business, **fields)
    columns = {f.attname for f in old_call._meta.concrete_fields} - {"id"}
    return old_call.objects.create(**{name: getattr(built, name) for name in columns})


def _blank_call(business, *, days: int, **fields):
    """A call as the retention purge left it before purged_at existed."""
    fields = {"started_at": _days_ago(days), **fields}
    call = _old_call(business, transcript="", **fields)
    Call.objects.filter(pk=call.pk).update(updated_at=_days_ago(days - 31))
    call.refresh_from_db()
    return call


def test_calls_the_purge_had_blanked_are_marked_purged_when_it_blanked_them(
    before_purged_at_was_filled,
):
    strict = BusinessFactory(data_retention_days=30)
    lenient = BusinessFactory(data_retention_days=365)
    never_started = _blank_call(strict, days=60, started_at=None, ended_at=None)
    Call.objects.filter(pk=never_started.pk).update(created_at=_days_ago(60))
    purged = [
        _blank_call(strict, days=60),
        _blank_call(None, days=400),  # calls to no business keep the default
        never_started,  # aged from its row
    ]
    not_purged = [
        _blank_call(strict, days=10),  # within retention: recorded nothing yet
        _blank_call(lenient, days=60),
        _blank_call(None, days=60),
        _old_call(strict, started_at=_days_ago(60)),  # has a transcript
        _blank_call(strict, days=60, recording_url="https://storage.vapi.ai/a.wav"),
    ]

    _migrate(("calls", "0004_mark_purged_calls"))

    marked = Call.objects.filter(purged_at__isnull=False)
    assert sorted(marked.values_list("pk", "purged_at", "purge_reason")) == sorted(
        (c.pk, c.updated_at, Call.PurgeReason.RETENTION) for c in purged
    )
    assert not marked.filter(pk__in=[c.pk for c in not_purged]).exists()


@pytest.fixture
def before_sales_lead_was_renamed(transactional_db):
    _migrate(("calls", "0005_call_vapi_deleted_at"))
    yield
    _migrate(*MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_calls_tagged_sales_lead_read_lead_like_roxys_analysis(
    before_sales_lead_was_renamed,
):
    old = _old_call(None, intent="sales_lead")
    other = _old_call(None, intent="book")

    _migrate(("calls", "0006_rename_sales_lead_intent"))

    # values_list: the model may have columns later migrations add.
    intents = dict(Call.objects.values_list("pk", "intent"))
    assert intents[old.pk] == "lead"
    assert intents[other.pk] == "book"


@pytest.fixture
def before_search_was_indexed(transactional_db):
    _migrate(("calls", "0006_rename_sales_lead_intent"))
    yield
    _migrate(*MigrationExecutor(connection).loader.graph.leaf_nodes())


def _search_document(call) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_document::text FROM calls_call WHERE id = %s", [call.pk]
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_calls_from_before_search_are_filled_in_batch_by_batch(
    before_search_was_indexed, monkeypatch
):
    migration = importlib.import_module("apps.calls.migrations.0007_call_search")
    monkeypatch.setattr(migration, "BATCH", 2)  # several batches for a few calls
    said = [
        _old_call(None, transcript=f"User: A balayage, please. {n}") for n in range(5)
    ]
    silent = _old_call(None, transcript="", summary="")

    _migrate(("calls", "0007_call_search"))

    assert all("'balayag'" in _search_document(call) for call in said)
    assert _search_document(silent) == ""
    # Only the key: later migrations' columns are not in this older table.
    found = search.search_calls(
        Call.objects.only("pk"), "balayage", leads=Lead.objects.none()
    )
    assert sorted(c.pk for c in found) == sorted(c.pk for c in said)


@pytest.mark.postgres
def test_undoing_the_search_migration_leaves_no_column_trigger_or_index(
    before_search_was_indexed,
):
    _migrate(("calls", "0007_call_search"))
    _migrate(("calls", "0006_rename_sales_lead_intent"))

    with connection.cursor() as cursor:
        columns = [
            c.name
            for c in connection.introspection.get_table_description(
                cursor, "calls_call"
            )
        ]
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'calls_call'::regclass "
            "AND tgname LIKE 'calls_call_search%%'"
        )
        (triggers,) = cursor.fetchone()
        indexes = connection.introspection.get_constraints(cursor, "calls_call")
    assert "search_document" not in columns
    assert triggers == 0
    assert not {
        "calls_call_search_document_gin",
        "calls_call_caller_number_trgm",
    } & set(indexes)
