"""Every admin list costs the same number of queries whatever the number of rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.businesses.factories import BusinessFactory
from tests.businesses.test_tenant_isolation import MAKERS, SCOPED

pytestmark = pytest.mark.django_db


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("label", SCOPED)
def test_changelist_queries_do_not_grow_with_rows(admin_client, label):
    app_label, model_name = label.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    if label == "appointments.appointment":
        url += "?when=all"  # the list opens on upcoming visits only
    business = BusinessFactory()
    for _ in range(2):
        MAKERS[label](business if label != "businesses.business" else BusinessFactory())
    few = _queries(admin_client, url)
    for _ in range(25):
        MAKERS[label](business if label != "businesses.business" else BusinessFactory())
    assert _queries(admin_client, url) <= few
