"""Connecting a CalDAV calendar in the admin: who may, what is stored, what is shown."""

import pytest
from django.urls import reverse

from apps.businesses.models import Membership
from apps.calendars.models import CalendarConnection, CalendarWrite
from tests.appointments.factories import AppointmentFactory, ProviderFactory
from tests.businesses.factories import BusinessFactory, MembershipFactory
from tests.calendars.radicale import PASSWORD, USER
from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:calendars_calendarconnection_add")


@pytest.fixture
def business():
    return BusinessFactory()


def staff(business, role, client):
    user = UserFactory(is_staff=True)
    MembershipFactory(business=business, user=user, role=role)
    client.force_login(user)
    return user


def form(business, provider, radicale, password=PASSWORD):
    return {
        "business": business.pk,
        "provider": provider.pk if provider else "",
        "server_url": radicale.url,
        "account": USER,
        "password": password,
    }


def test_a_manager_connects_a_caldav_account(client, business, radicale):
    radicale.make_calendar()
    staff(business, Membership.Role.MANAGER, client)
    provider = ProviderFactory(business=business)
    response = client.post(ADD, form(business, provider, radicale))
    assert response.status_code == 302, response.content.decode()[:2000]
    connection = CalendarConnection.objects.get()
    assert connection.status == "active" and connection.account == USER
    assert PASSWORD not in connection.secret
    assert connection.credentials() == {"password": PASSWORD}
    calendars = list(connection.calendars.all())
    assert calendars and all(c.blocks_time for c in calendars)
    assert sum(c.receives_bookings for c in calendars) == 1
    page = client.get(
        reverse("admin:calendars_calendarconnection_change", args=[connection.pk])
    ).content.decode()
    assert PASSWORD not in page and connection.secret not in page


def test_a_refused_password_stores_nothing(client, business, radicale):
    staff(business, Membership.Role.MANAGER, client)
    provider = ProviderFactory(business=business)
    response = client.post(ADD, form(business, provider, radicale, password="nope"))
    assert "refused that user name and password" in response.content.decode()
    assert not CalendarConnection.objects.exists()


def test_front_desk_connects_only_their_own_calendar(client, business, radicale):
    user = staff(business, Membership.Role.FRONT_DESK, client)
    colleague = ProviderFactory(business=business)
    response = client.post(ADD, form(business, colleague, radicale))
    assert "Only a manager of the business" in response.content.decode()
    assert not CalendarConnection.objects.exists()
    mine = ProviderFactory(business=business, user=user)
    assert client.post(ADD, form(business, mine, radicale)).status_code == 302
    assert CalendarConnection.objects.get().provider == mine


def test_disconnect_forgets_the_secret_and_busy_time(client, business, radicale):
    staff(business, Membership.Role.MANAGER, client)
    provider = ProviderFactory(business=business)
    client.post(ADD, form(business, provider, radicale))
    connection = CalendarConnection.objects.get()
    response = client.post(
        reverse("admin:calendars_calendarconnection_changelist"),
        {"action": "disconnect", "_selected_action": [connection.pk]},
    )
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.status == "disconnected" and connection.secret == ""


def test_conflicts_are_shown_to_staff(client, business):
    staff(business, Membership.Role.FRONT_DESK, client)
    appointment = AppointmentFactory(business=business)
    connection = CalendarConnection.objects.create(
        business=business, provider=appointment.provider, kind="caldav", status="active"
    )
    calendar = connection.calendars.create(remote_id="/c/", receives_bookings=True)
    CalendarWrite.objects.create(
        appointment=appointment,
        calendar=calendar,
        business=business,
        voicehive_ref="r",
        state=CalendarWrite.State.CONFLICT,
        conflict=CalendarWrite.Conflict.DELETED,
    )
    page = client.get(
        reverse("admin:calendars_calendarwrite_changelist") + "?state=conflict"
    ).content.decode()
    assert "Deleted from the calendar" in page


def test_a_manager_links_a_provider_to_one_of_their_staff_only(client, business):
    staff(business, Membership.Role.MANAGER, client)
    colleague = UserFactory(username="colleague", is_staff=True)
    MembershipFactory(business=business, user=colleague)
    stranger = UserFactory(username="zyxwv-stranger", is_staff=True)
    MembershipFactory(business=BusinessFactory(), user=stranger)
    provider = ProviderFactory(business=business)
    page = client.get(
        reverse("admin:appointments_provider_change", args=[provider.pk])
    ).content.decode()
    assert f'value="{colleague.pk}"' in page
    assert "zyxwv-stranger" not in page
