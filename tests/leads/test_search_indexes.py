import pytest
from django.db import connection
from django.db.models import Q

from apps.leads.models import Lead

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.mark.parametrize("column", ["name", "email", "phone"])
def test_a_substring_search_can_use_the_trigram_index(column):
    with connection.cursor() as cursor:
        cursor.execute(
            "SET LOCAL enable_seqscan = off"
        )  # tiny test tables favour scans
    plan = Lead.objects.filter(Q(**{f"{column}__icontains": "garcia"})).explain()
    assert f"leads_lead_{column}_trgm" in plan
