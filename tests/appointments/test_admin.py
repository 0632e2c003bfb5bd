import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.appointments.models import Appointment
from apps.businesses.models import Membership
from apps.notifications.models import Notification
from tests.appointments.factories import (
    AppointmentFactory,
    ProviderFactory,
    ServiceFactory,
)
from tests.businesses.factories import (
    BusinessFactory,
    ClosureFactory,
    MembershipFactory,
    OpeningHoursFactory,
)

# A Wednesday noon: tomorrow is an open Thursday, the next Monday is closed.
NOW = dt.datetime(2026, 3, 4, 12, tzinfo=dt.UTC)
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


@pytest.fixture
def salon():
    business = BusinessFactory(timezone="UTC")
    for weekday in range(1, 7):  # closed on Mondays
        OpeningHoursFactory(
            business=business,
            weekday=weekday,
            opens_at=dt.time(9),
            closes_at=dt.time(17),
        )
    service = ServiceFactory(business=business, duration_minutes=60)
    return business, service, ProviderFactory(business=business, services=[service])


def _form(business, service, provider, start_at, **extra):
    return {
        "business": business.pk,
        "service": service.pk,
        "provider": provider.pk,
        "lead": "",
        "start_at_0": start_at.strftime("%Y-%m-%d"),
        "start_at_1": start_at.strftime("%H:%M:%S"),
        "notes": "",
        **extra,
    }


def _tomorrow_at(hour):
    tomorrow = timezone.now().date() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time(hour), tzinfo=dt.UTC)


def test_adding_an_appointment_books_it_through_the_service(admin_client, salon):
    business, service, provider = salon
    response = admin_client.post(
        reverse("admin:appointments_appointment_add"),
        _form(business, service, provider, _tomorrow_at(10)),
    )
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.end_at == _tomorrow_at(11)
    assert appointment.blocked_until == _tomorrow_at(11)


def test_the_form_refuses_a_conflicting_time_with_a_clear_message(admin_client, salon):
    business, service, provider = salon
    AppointmentFactory(
        business=business, service=service, provider=provider, start_at=_tomorrow_at(10)
    )
    response = admin_client.post(
        reverse("admin:appointments_appointment_add"),
        _form(business, service, provider, _tomorrow_at(10) + dt.timedelta(minutes=30)),
    )
    assert response.status_code == 200
    assert (
        f"{provider} already has an appointment at that time"
        in response.content.decode()
    )
    assert Appointment.objects.count() == 1


def test_the_form_refuses_a_provider_of_another_business(admin_client, salon):
    business, service, _ = salon
    stranger = ProviderFactory(business=BusinessFactory())
    response = admin_client.post(
        reverse("admin:appointments_appointment_add"),
        _form(business, service, stranger, _tomorrow_at(10)),
    )
    assert "This provider belongs to another business." in response.content.decode()


def test_moving_an_appointment_reschedules_it(admin_client, salon):
    business, service, provider = salon
    appointment = AppointmentFactory(
        business=business, service=service, provider=provider, start_at=_tomorrow_at(10)
    )
    response = admin_client.post(
        reverse("admin:appointments_appointment_change", args=[appointment.pk]),
        _form(business, service, provider, _tomorrow_at(14), notes="Moved by phone"),
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.start_at == _tomorrow_at(14)
    assert appointment.notes.startswith("Moved by phone\nRescheduled from")
    # Staff made the move: the caller hears of it, the team gets no alert of its own edit.
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert "appointment_moved" not in kinds


def test_cancelling_in_the_admin_sends_staff_no_alert(admin_client, salon):
    business, service, provider = salon
    appointment = AppointmentFactory(
        business=business, service=service, provider=provider, start_at=_tomorrow_at(9)
    )

    admin_client.post(
        reverse("admin:appointments_appointment_changelist"),
        {"action": "cancel_appointments", "_selected_action": [appointment.pk]},
    )

    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    assert not Notification.objects.filter(kind="cancellation").exists()


def test_actions_confirm_cancel_and_refuse_an_early_no_show(admin_client, salon):
    business, service, provider = salon
    first = AppointmentFactory(
        business=business, service=service, provider=provider, start_at=_tomorrow_at(9)
    )
    second = AppointmentFactory(
        business=business, service=service, provider=provider, start_at=_tomorrow_at(12)
    )
    url = reverse("admin:appointments_appointment_changelist")
    admin_client.post(
        url, {"action": "confirm_appointments", "_selected_action": [first.pk]}
    )
    admin_client.post(
        url, {"action": "cancel_appointments", "_selected_action": [second.pk]}
    )
    response = admin_client.post(
        url, {"action": "mark_no_shows", "_selected_action": [first.pk]}, follow=True
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Appointment.Status.CONFIRMED
    assert second.status == Appointment.Status.CANCELLED
    assert "before it starts" in response.content.decode()


def test_the_list_opens_on_upcoming_appointments(admin_client, salon):
    business, service, provider = salon
    AppointmentFactory(
        business=business,
        service=service,
        provider=provider,
        start_at=_tomorrow_at(9),
        notes="x",
    )
    AppointmentFactory(
        business=business,
        service=service,
        provider=provider,
        start_at=_tomorrow_at(9) - dt.timedelta(days=7),
    )
    response = admin_client.get(reverse("admin:appointments_appointment_changelist"))
    assert response.context["cl"].result_count == 1
    response = admin_client.get(
        reverse("admin:appointments_appointment_changelist") + "?when=all"
    )
    assert response.context["cl"].result_count == 2


def test_send_reminder_now_queues_one_reminder_and_skips_repeats(admin_client, salon):
    from apps.notifications.models import Notification
    from tests.leads.factories import LeadFactory

    business, service, provider = salon
    appointment = AppointmentFactory(
        business=business,
        service=service,
        provider=provider,
        start_at=_tomorrow_at(10) + dt.timedelta(days=3),
        lead=LeadFactory(business=business),
    )
    url = reverse("admin:appointments_appointment_changelist")
    form = {"action": "send_reminders_now", "_selected_action": [appointment.pk]}
    first = admin_client.post(url, form, follow=True).content.decode()
    second = admin_client.post(url, form, follow=True).content.decode()
    assert "Queued reminders for 1 appointment(s)." in first
    assert "1 skipped: already reminded" in second
    assert Notification.objects.filter(kind="appointment_reminder").exists()


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


MONDAY = dt.date(2026, 3, 9)
YESTERDAY = dt.date(2026, 3, 3)
THURSDAY = dt.date(2026, 3, 5)


@pytest.mark.parametrize(
    ("start_at", "reason"),
    [
        (_at(MONDAY, 10), "It is outside"),  # closed on Mondays: no hours
        (_at(THURSDAY, 3), "It is outside"),
        (_at(YESTERDAY, 10), "It is in the past."),
        (_at(THURSDAY + dt.timedelta(days=200), 10), "more than 90 days ahead"),
    ],
)
def test_a_time_roxy_would_not_offer_needs_book_anyway(
    admin_client, salon, start_at, reason
):
    business, service, provider = salon
    url = reverse("admin:appointments_appointment_add")

    refused = admin_client.post(url, _form(business, service, provider, start_at))

    assert refused.status_code == 200
    page = refused.content.decode()
    assert "Not a time Roxy would offer" in page and reason in page
    assert not Appointment.objects.exists()
    assert not Notification.objects.exists()

    booked = admin_client.post(
        url, _form(business, service, provider, start_at, book_anyway="on")
    )

    assert booked.status_code == 302
    assert Appointment.objects.get().start_at == start_at


def test_a_closure_needs_book_anyway(admin_client, salon):
    business, service, provider = salon
    ClosureFactory(business=business, starts_on=THURSDAY, ends_on=THURSDAY)
    response = admin_client.post(
        reverse("admin:appointments_appointment_add"),
        _form(business, service, provider, _at(THURSDAY, 10)),
    )
    assert "The business is closed on Thursday 5 March." in response.content.decode()
    assert not Appointment.objects.exists()


def test_book_anyway_never_overrides_a_clash(admin_client, salon):
    business, service, provider = salon
    AppointmentFactory(
        business=business, service=service, provider=provider, start_at=_at(MONDAY, 10)
    )
    response = admin_client.post(
        reverse("admin:appointments_appointment_add"),
        _form(business, service, provider, _at(MONDAY, 10), book_anyway="on"),
    )
    assert "already has an appointment at that time" in response.content.decode()
    assert Appointment.objects.count() == 1


def test_moving_an_appointment_to_a_closed_day_needs_book_anyway(admin_client, salon):
    business, service, provider = salon
    appointment = AppointmentFactory(
        business=business,
        service=service,
        provider=provider,
        start_at=_at(THURSDAY, 10),
    )
    url = reverse("admin:appointments_appointment_change", args=[appointment.pk])
    form = _form(business, service, provider, _at(MONDAY, 10))

    assert (
        "Not a time Roxy would offer" in admin_client.post(url, form).content.decode()
    )
    appointment.refresh_from_db()
    assert appointment.start_at == _at(THURSDAY, 10)

    assert admin_client.post(url, {**form, "book_anyway": "on"}).status_code == 302
    appointment.refresh_from_db()
    assert appointment.start_at == _at(MONDAY, 10)


def test_editing_the_notes_of_a_past_visit_needs_no_override(admin_client, salon):
    business, service, provider = salon
    visit = AppointmentFactory(
        business=business,
        service=service,
        provider=provider,
        start_at=_at(YESTERDAY, 3),
    )
    response = admin_client.post(
        reverse("admin:appointments_appointment_change", args=[visit.pk]),
        _form(business, service, provider, _at(YESTERDAY, 3), notes="Paid cash"),
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.notes == "Paid cash"


def test_the_list_and_the_add_form_lead_front_desk_to_the_slot_picker(client, salon):
    business, _, _ = salon
    client.force_login(
        MembershipFactory(business=business, role=Membership.Role.FRONT_DESK).user
    )
    book = reverse("frontdesk:book")
    listing = client.get(reverse("admin:appointments_appointment_changelist"))
    adding = client.get(reverse("admin:appointments_appointment_add"))
    assert f'<a href="{book}" class="addlink">Book with free slots</a>' in (
        listing.content.decode()
    )
    assert f'<a href="{book}">Book with free slots</a>' in adding.content.decode()
