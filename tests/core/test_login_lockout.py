import pytest
from django.urls import reverse

from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # UserFactory's password


@pytest.fixture
def staff_member():
    return UserFactory(username="frontdesk")


def _login(client, password):
    return client.post(
        reverse("admin:login"),
        {"username": "frontdesk", "password": password},
        REMOTE_ADDR="10.0.0.7",
    )


def test_repeated_failures_lock_the_login_even_with_the_right_password(
    client, settings, staff_member
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong-password")
    response = _login(client, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_failure_then_the_right_password_still_logs_in(client, staff_member):
    _login(client, "wrong-password")
    response = _login(client, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff_member.pk)
