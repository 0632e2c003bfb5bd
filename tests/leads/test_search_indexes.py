import pytest
from django.db import connection
from django.db.models import Q

from apps.leads.models import Lead

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.mark.parametrize("column", ["name", "email", "phone"])
def test_a_substring_search_can_use_the_trigram_index(column):
    with connection.cursor() as cursor:
        # A tiny test table favours scanning it (or another index) whole; with plain
        # scans off, the planner can only answer the LIKE through a matching index.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    matches = Lead.objects.filter(Q(**{f"{column}__icontains": "garcia"}))
    assert f"leads_lead_{column}_trgm" in matches.order_by().explain()
