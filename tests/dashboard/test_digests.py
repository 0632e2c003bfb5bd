import datetime as dt
import zoneinfo

import pytest

from apps.appointments.models import Appointment
from apps.dashboard import digests
from apps.notifications.models import Notification
from tests.appointments.factories import AppointmentFactory
from tests.businesses.factories import BusinessFactory
from tests.calls.factories import CallFactory
from tests.leads.factories import CallbackRequestFactory, LeadFactory

pytestmark = pytest.mark.django_db

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
FRIDAY = dt.date(2025, 3, 14)


@pytest.fixture(autouse=True)
def digest_settings(settings):
    settings.DAILY_DIGEST_HOUR = 7
    settings.SITE_URL = ""


@pytest.fixture
def business():
    return BusinessFactory(
        name="Maison Belle",
        timezone="America/Chicago",
        notification_emails="frontdesk@example.com, owner@example.com",
        notification_phones="+15125550111",
    )


def at(day: dt.date, hour: int, minute: int = 0, tz=CHICAGO) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)


def busy_friday(business, time_machine) -> None:
    """Two calls, a new lead who booked, a follow-up, a callback and a cancellation."""
    time_machine.move_to(at(FRIDAY, 10), tick=False)
    dana = LeadFactory(business=business, name="Dana Whitfield", score=88)
    CallFactory(
        business=business,
        lead=dana,
        summary="Dana wants bridal hair for six.",
        analysis={"follow_up_needed": True},
    )
    AppointmentFactory(
        business=business, lead=dana, start_at=at(FRIDAY + dt.timedelta(days=1), 13)
    )
    time_machine.move_to(at(FRIDAY, 16), tick=False)
    CallFactory(business=business, summary="Asked about parking.")
    CallbackRequestFactory(business=business, name="Marcus Lee", message="Gift card?")
    AppointmentFactory(
        business=business,
        start_at=at(FRIDAY + dt.timedelta(days=2), 10),
        status=Appointment.Status.CANCELLED,
        cancelled_at=at(FRIDAY, 16),
    )
    time_machine.move_to(at(FRIDAY, 23, 59), tick=False)
    CallFactory(business=business)  # still Friday
    time_machine.move_to(at(FRIDAY + dt.timedelta(days=1), 0, 1), tick=False)
    CallFactory(business=business)  # Saturday: not in Friday's digest


def test_the_digest_sums_up_one_local_day(business, time_machine):
    busy_friday(business, time_machine)

    context = digests.digest_context(business, day=FRIDAY)

    assert (
        context["call_count"],
        context["lead_count"],
        context["booking_count"],
        context["cancellation_count"],
    ) == (3, 1, 2, 1)
    assert context["follow_ups"] == [
        {
            "caller_name": "Dana Whitfield",
            "caller_phone": "(512) 555-0187",
            "summary": "Dana wants bridal hair for six.",
        },
        {
            "caller_name": "Marcus Lee",
            "caller_phone": "(512) 555-0187",
            "summary": "Asked for a call back: Gift card?",
        },
    ]
    (lead,) = context["leads"]
    assert lead["name"] == "Dana Whitfield" and lead["score"] == 88
    assert lead["summary"] == "Dana wants bridal hair for six."


def test_digests_go_out_at_the_local_hour_once_per_day(business, time_machine):
    busy_friday(business, time_machine)

    time_machine.move_to(at(FRIDAY + dt.timedelta(days=1), 6, 5), tick=False)
    assert digests.send_daily_digests() == 0
    time_machine.move_to(at(FRIDAY + dt.timedelta(days=1), 7, 5), tick=False)
    assert digests.send_daily_digests() == 1
    time_machine.move_to(at(FRIDAY + dt.timedelta(days=1), 8, 5), tick=False)
    assert digests.send_daily_digests() == 0

    digest = Notification.objects.filter(kind="daily_digest").order_by("recipient")
    assert list(digest.values_list("channel", "recipient")) == [
        ("email", "frontdesk@example.com"),
        ("email", "owner@example.com"),
    ]
    assert digest[0].subject == (
        "Maison Belle daily summary for Fri, Mar 14: 3 calls, 1 lead, 2 bookings"
    )
    assert "- Marcus Lee ((512) 555-0187): Asked for a call back: Gift card?" in (
        digest[0].body
    )
    assert digest[0].dedupe_key.startswith(f"daily_digest:{business.pk}:2025-03-14:")


def test_each_business_gets_its_digest_at_its_own_local_hour(business, time_machine):
    tokyo = BusinessFactory(timezone="Asia/Tokyo", notification_emails="a@example.com")
    time_machine.move_to(at(FRIDAY, 12, tz=TOKYO), tick=False)
    CallFactory(business=tokyo)
    time_machine.move_to(at(FRIDAY, 12), tick=False)
    CallFactory(business=business)

    saturday_morning_in_tokyo = at(FRIDAY + dt.timedelta(days=1), 7, 5, tz=TOKYO)
    time_machine.move_to(saturday_morning_in_tokyo, tick=False)  # Friday 16:05 Chicago
    assert digests.send_daily_digests() == 1
    assert Notification.objects.get().business == tokyo


def test_a_missed_hour_is_caught_up_later_that_day(business, time_machine):
    busy_friday(business, time_machine)

    time_machine.move_to(at(FRIDAY + dt.timedelta(days=1), 15), tick=False)

    assert digests.send_daily_digests() == 1


def test_a_quiet_day_sends_no_digest(business, time_machine):
    time_machine.move_to(at(FRIDAY + dt.timedelta(days=1), 7, 5), tick=False)

    assert digests.send_daily_digests() == 0
    assert not Notification.objects.exists()


def test_businesses_without_staff_email_or_inactive_are_skipped(business, time_machine):
    busy_friday(business, time_machine)
    business.is_active = False
    business.save()
    other = BusinessFactory(notification_emails="")
    CallFactory(business=other)

    time_machine.move_to(at(FRIDAY + dt.timedelta(days=1), 7, 5), tick=False)

    assert digests.send_daily_digests() == 0


def test_the_local_day_has_23_hours_when_clocks_spring_forward(business, time_machine):
    sunday = dt.date(2025, 3, 9)
    time_machine.move_to(at(sunday, 0, 30), tick=False)  # CST
    CallFactory(business=business)
    time_machine.move_to(at(sunday, 23, 30), tick=False)  # CDT
    CallFactory(business=business)
    time_machine.move_to(at(sunday + dt.timedelta(days=1), 0, 30), tick=False)
    CallFactory(business=business)

    assert digests.digest_context(business, day=sunday)["call_count"] == 2
