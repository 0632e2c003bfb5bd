import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_seed_demo_prints_the_login_and_is_idempotent():
    out = io.StringIO()
    call_command("seed_demo", "--password", "pw-for-test", stdout=out)
    call_command("seed_demo", stdout=out)
    first, second = out.getvalue().splitlines()
    assert first == (
        "Created demo business 'Maison Belle Hair Studio'. Staff login: demo / pw-for-test"
    )
    assert second.startswith(
        "Already present: demo business 'Maison Belle Hair Studio'."
    )


def test_the_printed_login_opens_the_admin_on_the_demo_data(client):
    call_command("seed_demo", "--password", "pw-for-test", stdout=io.StringIO())
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "demo", "password": "pw-for-test", "next": "/admin/"},
        follow=True,
    )
    assert response.status_code == 200
    assert response.context["user"].username == "demo"
    page = client.get("/admin/businesses/business/").content.decode()
    assert "Maison Belle Hair Studio" in page
    page = client.get("/admin/appointments/appointment/").content.decode()
    assert "haircut_and_color with Maria" in page or "Maria" in page


def test_seed_demo_can_add_volume():
    out = io.StringIO()
    call_command("seed_demo", "--leads", "12", stdout=out)
    assert (
        out.getvalue().strip().endswith("Added 12 leads, 12 calls and 3 appointments.")
    )
