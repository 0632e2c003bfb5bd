import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.businesses.models import Business, Membership

pytestmark = pytest.mark.django_db


def _demo_user():
    return get_user_model().objects.get(username="demo")


def test_seed_demo_prints_the_login_and_is_idempotent(settings):
    settings.DEBUG = True  # as `make run`, so the re-run may fall back to roxy-demo
    out = io.StringIO()
    call_command("seed_demo", "--password", "pw-for-test", stdout=out)
    call_command("seed_demo", stdout=out)
    first, second = out.getvalue().splitlines()
    assert first == (
        "Created demo business 'Maison Belle Hair Studio' (and the clinic "
        "'clinica-sol'). Staff login: demo / pw-for-test"
    )
    assert second.startswith(
        "Already present: demo business 'Maison Belle Hair Studio' (and the clinic "
    )
    assert second.endswith("(unless you changed it)")
    assert _demo_user().check_password("pw-for-test")


def test_the_printed_login_opens_the_admin_on_the_demo_data(client):
    call_command("seed_demo", "--password", "pw-for-test", stdout=io.StringIO())
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "demo", "password": "pw-for-test", "next": "/admin/"},
        follow=True,
    )
    assert response.status_code == 200
    assert response.context["user"].username == "demo"
    assert not response.context["user"].is_superuser  # a manager sees the studio
    page = client.get("/admin/businesses/business/").content.decode()
    assert "Maison Belle Hair Studio" in page
    page = client.get("/admin/appointments/appointment/").content.decode()
    assert "Haircut and color" in page and "Maria" in page


def test_seed_demo_can_add_volume():
    out = io.StringIO()
    call_command("seed_demo", "--password", "pw", "--leads", "12", stdout=out)
    assert (
        out.getvalue().strip().endswith("Added 12 leads, 12 calls and 3 appointments.")
    )


def test_in_debug_the_demo_login_is_a_manager_of_the_studio_with_the_known_password(
    settings,
):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert out.getvalue().strip().endswith("Staff login: demo / roxy-demo")
    user = _demo_user()
    assert user.check_password("roxy-demo")
    assert user.is_staff
    assert not user.is_superuser
    membership = user.memberships.get(business__slug="maison-belle")
    assert membership.business.slug == "maison-belle"
    assert membership.role == Membership.Role.MANAGER


def test_superuser_option_makes_the_demo_login_a_superuser(settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", "--superuser", stdout=out)
    assert out.getvalue().strip().endswith("Superuser login: demo / roxy-demo")
    user = _demo_user()
    assert user.is_superuser
    assert user.is_staff


def test_outside_debug_the_known_password_is_refused_and_nothing_is_written(
    settings,
):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--allow-known-password"):
        call_command("seed_demo", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--password"):
        call_command("seed_demo", "--password", "roxy-demo", stdout=io.StringIO())
    assert not Business.objects.exists()
    assert not get_user_model().objects.exists()


def test_outside_debug_the_known_password_is_used_when_allowed(settings):
    settings.DEBUG = False
    out = io.StringIO()
    call_command("seed_demo", "--allow-known-password", stdout=out)
    assert out.getvalue().strip().endswith("Staff login: demo / roxy-demo")
    assert _demo_user().check_password("roxy-demo")


def test_outside_debug_an_own_password_needs_no_flag(settings):
    settings.DEBUG = False
    out = io.StringIO()
    call_command("seed_demo", "--password", "a-long-own-secret", stdout=out)
    assert out.getvalue().strip().endswith("Staff login: demo / a-long-own-secret")
    assert _demo_user().check_password("a-long-own-secret")


def test_reseeding_demotes_a_superuser_login_from_an_older_seed():
    # What older seeds left behind: a superuser demo login.
    call_command("seed_demo", "--password", "pw", "--superuser", stdout=io.StringIO())
    assert _demo_user().is_superuser
    out = io.StringIO()
    call_command("seed_demo", "--password", "pw", stdout=out)
    assert "Staff login: demo / pw" in out.getvalue()
    user = _demo_user()
    assert not user.is_superuser
    assert user.is_staff
    assert (
        user.memberships.get(business__slug="maison-belle").role
        == Membership.Role.MANAGER
    )
    assert user.check_password("pw")
