"""Storage settings the calls migrations apply on PostgreSQL."""

import pytest
from django.db import connection

from apps.calls.models import Call, WebhookEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


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
