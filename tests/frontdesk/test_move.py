import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from apps.appointments import services as appointment_services
from apps.appointments.models import Appointment
from apps.businesses import roles
from apps.businesses.models import Membership
from apps.notifications.models import Notification
from tests.appointments.factories import ProviderFactory
from tests.businesses.factories import (
    ClosureFactory,
    MembershipFactory,
)
from tests.core.factories import UserFactory
from tests.frontdesk.salon import CHICAGO, at, open_salon
from tests.leads.factories import LeadFactory

WEDNESDAY_3PM = dt.datetime(2025, 3, 12, 15, tzinfo=CHICAGO)
SATURDAY = dt.date(2025, 3, 15)
Role = Membership.Role

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(WEDNESDAY_3PM, tick=False),
]


@pytest.fixture(autouse=True)
def notice_settings(settings):
    settings.QUIET_HOURS_START = "21:00"
    settings.QUIET_HOURS_END = "08:00"
    settings.REMINDER_LEAD_HOURS = 24
    settings.SITE_URL = ""


@pytest.fixture
def salon():
    return open_salon(weekdays=range(1, 6))  # Tuesday to Saturday


@pytest.fixture
def appointment(salon) -> Appointment:
    business, service, ana, _ = salon
    lead = LeadFactory(
        business=business,
        name="Dana Whitfield",
        phone="+15125550187",
        email="dana@example.com",
    )
    return appointment_services.book_appointment(
        service, provider=ana, start_at=at(SATURDAY, 13), lead=lead
    )


@pytest.fixture
def desk(client, salon):
    user = UserFactory(username="desk")
    MembershipFactory(user=user, business=salon[0], role=Role.FRONT_DESK)
    client.force_login(user)
    return client


def move_url(appointment) -> str:
    return reverse("frontdesk:move-appointment", args=[appointment.pk])


def move(client, appointment, provider, day=SATURDAY, time="15:00", **extra):
    data = {"provider": provider.pk, "date": day.isoformat(), "time": time, **extra}
    return client.post(move_url(appointment), data)


def reloaded(appointment) -> Appointment:
    return Appointment.objects.get(pk=appointment.pk)


def test_the_form_starts_from_the_appointments_local_time(desk, appointment):
    page = desk.get(move_url(appointment)).content.decode()
    assert 'value="2025-03-15"' in page and 'value="13:00"' in page
    assert f'<option value="{appointment.provider_id}" selected>' in page
    assert "Dana Whitfield" in page


def test_a_move_goes_through_the_reschedule_service_and_tells_the_client(
    desk, salon, appointment
):
    _, _, _, bo = salon
    response = move(desk, appointment, bo, time="15:00")

    assert response.status_code == 302
    moved = reloaded(appointment)
    assert (moved.provider, moved.start_at) == (bo, at(SATURDAY, 15))
    assert "Rescheduled from 2025-03-15 13:00 CDT" in moved.notes
    sent = Notification.objects.filter(kind="reschedule_notice")
    assert sorted(sent.values_list("channel", "recipient")) == [
        ("email", "dana@example.com"),
        ("sms", "+15125550187"),
    ]
    # Staff made the move, so staff are not alerted about it.
    assert not Notification.objects.filter(kind="appointment_moved").exists()


def test_after_a_move_the_calendar_opens_on_the_new_day(desk, salon, appointment):
    _, _, ana, bo = salon
    came_from = (
        f"{reverse('frontdesk:calendar')}?view=day&date=2025-03-15&provider={ana.pk}"
    )
    response = move(
        desk, appointment, bo, day=SATURDAY - dt.timedelta(days=1), next=came_from
    )
    location = urlsplit(response["Location"])
    assert location.path == reverse("frontdesk:calendar")
    assert parse_qs(location.query) == {
        "view": ["day"],
        "date": ["2025-03-14"],
        "provider": [str(bo.pk)],  # it showed one provider: the one it moved to
        "business": [str(salon[0].pk)],
    }
    page = desk.get(response["Location"]).content.decode()
    assert "Moved Haircut for Dana Whitfield to Fri 14 Mar, 15:00 with Bo." in page


def test_an_address_elsewhere_is_never_where_a_move_returns(desk, salon, appointment):
    response = move(
        desk,
        appointment,
        salon[2],
        next="https://evil.example/admin/frontdesk/calendar/",
    )
    assert response["Location"].startswith(reverse("frontdesk:calendar"))


def test_a_time_outside_hours_needs_an_explicit_book_anyway(desk, salon, appointment):
    _, _, ana, _ = salon
    response = move(desk, appointment, ana, time="17:30")

    assert response.status_code == 200
    page = response.content.decode()
    assert "It is outside Ana&#x27;s working hours." in page
    assert 'name="override"' in page and 'value="outside_hours"' in page
    assert reloaded(appointment).start_at == at(SATURDAY, 13)

    response = move(
        desk,
        appointment,
        ana,
        time="17:30",
        override="on",
        acknowledged="outside_hours",
    )
    assert response.status_code == 302
    assert reloaded(appointment).start_at == at(SATURDAY, 17, 30)


def test_book_anyway_counts_only_for_the_problems_it_was_ticked_for(
    desk, salon, appointment
):
    business, _, ana, _ = salon
    tuesday = dt.date(2025, 3, 18)
    ClosureFactory(
        business=business, starts_on=tuesday, ends_on=tuesday, reason="Training"
    )
    response = move(
        desk, appointment, ana, day=tuesday, override="on", acknowledged="outside_hours"
    )
    assert response.status_code == 200
    assert "The business is closed on Tuesday 18 March." in response.content.decode()
    assert reloaded(appointment).start_at == at(SATURDAY, 13)


def test_a_clash_is_refused_even_with_book_anyway(desk, salon, appointment):
    business, service, ana, _ = salon
    appointment_services.book_appointment(
        service, provider=ana, start_at=at(SATURDAY, 15)
    )
    response = move(desk, appointment, ana, override="on", acknowledged="clash")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Ana already has an appointment then." in page
    assert 'name="override"' not in page
    assert reloaded(appointment).start_at == at(SATURDAY, 13)


def test_a_slot_taken_at_the_last_moment_is_a_message_not_an_error(
    desk, salon, appointment, mocker
):
    mocker.patch(
        "apps.appointments.services.reschedule_appointment",
        side_effect=appointment_services.SlotTakenError("taken"),
    )
    response = move(desk, appointment, salon[3])
    assert response.status_code == 200
    assert (
        "Bo already has an appointment then. Pick another time."
        in response.content.decode()
    )


def test_a_time_the_clocks_skip_is_refused(desk, salon, appointment):
    response = move(desk, appointment, salon[2], day=dt.date(2025, 3, 9), time="02:30")
    assert "02:30 does not exist on that day" in response.content.decode()
    assert reloaded(appointment).start_at == at(SATURDAY, 13)


def test_a_cancelled_appointment_cannot_be_moved(desk, salon, appointment):
    appointment_services.cancel_appointment(appointment, by_staff=True)
    assert "is cancelled and can" in desk.get(move_url(appointment)).content.decode()
    response = move(desk, appointment, salon[3])
    assert response.status_code == 200
    assert "is cancelled and can" in response.content.decode()
    assert reloaded(appointment).start_at == at(SATURDAY, 13)


def test_a_provider_of_another_business_cannot_be_picked(desk, appointment):
    foreign = ProviderFactory(name="Zyxwv")
    response = move(desk, appointment, foreign)
    assert "Select a valid choice" in response.content.decode()
    assert reloaded(appointment).provider_id != foreign.pk


def test_staff_of_another_business_cannot_reach_the_appointment(
    client, salon, appointment
):
    user = UserFactory(username="elsewhere")
    MembershipFactory(user=user, role=Role.MANAGER)
    client.force_login(user)
    assert client.get(move_url(appointment)).status_code == 404
    assert move(client, appointment, salon[3]).status_code == 404
    assert reloaded(appointment).provider == salon[2]


def test_a_role_that_may_not_change_appointments_cannot_move_one(
    desk, salon, appointment, monkeypatch
):
    read_only = {**roles.FRONT_DESK_GRANTS, "appointments.appointment": {roles.VIEW}}
    monkeypatch.setitem(roles.GRANTS, Role.FRONT_DESK, read_only)
    assert move(desk, appointment, salon[3]).status_code == 404
    assert reloaded(appointment).provider == salon[2]


def test_a_manager_may_move_too(client, salon, appointment):
    user = UserFactory(username="boss")
    MembershipFactory(user=user, business=salon[0], role=Role.MANAGER)
    client.force_login(user)
    assert move(client, appointment, salon[3]).status_code == 302
    assert reloaded(appointment).provider == salon[3]
