import pytest
from django.urls import reverse

from apps.leads.models import CallbackRequest
from tests.core.factories import UserFactory
from tests.leads.factories import CallbackRequestFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_superuser=True))
    return client


def test_callback_request_changelist_and_change_form_render(admin_client):
    callback = CallbackRequestFactory()

    changelist = admin_client.get(reverse("admin:leads_callbackrequest_changelist"))
    change = admin_client.get(
        reverse("admin:leads_callbackrequest_change", args=[callback.pk])
    )

    assert changelist.status_code == 200
    assert b"Dana Whitfield" in changelist.content
    assert change.status_code == 200


def test_mark_as_done_action_resolves_open_requests(admin_client):
    first, second = CallbackRequestFactory.create_batch(2)

    response = admin_client.post(
        reverse("admin:leads_callbackrequest_changelist"),
        {
            "action": "resolve_callback_requests",
            "_selected_action": [first.pk, second.pk],
        },
        follow=True,
    )

    assert response.status_code == 200
    assert b"Marked 2 callback request(s) done." in response.content
    assert not CallbackRequest.objects.open().exists()
