"""Every admin list costs the same number of queries whatever the number of rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.businesses.models import Membership
from tests.businesses.factories import BusinessFactory, MembershipFactory
from tests.businesses.test_admin_matrix import LABELS
from tests.rows import rows_of_every_kind

pytestmark = pytest.mark.django_db


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def _add_rows(business, count: int, start: int, manager) -> None:
    for n in range(start, start + count):
        place = business if n == 0 else BusinessFactory()
        if place != business:
            MembershipFactory(
                business=place, user=manager, role=Membership.Role.MANAGER
            )
        rows_of_every_kind(place, f"Row{n}")


@pytest.mark.parametrize("viewer", ["operator", "manager"])
@pytest.mark.parametrize("label", LABELS)
def test_changelist_queries_do_not_grow_with_rows(client, admin_user, label, viewer):
    app_label, model_name = label.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    if label == "appointments.appointment":
        url += "?when=all"  # the list opens on upcoming visits only
    business = BusinessFactory()
    manager = MembershipFactory(business=business, role=Membership.Role.MANAGER).user
    client.force_login(admin_user if viewer == "operator" else manager)
    _add_rows(business, 2, 0, manager)
    few = _queries(client, url)
    _add_rows(business, 12, 2, manager)
    assert _queries(client, url) <= few
