"""Each business's own rules, used by every consumer: Roxy's offers, staff booking,
reminders and texts (issue #16). New businesses start from the settings."""

import datetime as dt
import zoneinfo

import pytest

from apps.appointments import availability, bookability, notices
from apps.businesses.models import Business
from apps.notifications import services as notification_services
from tests.appointments.factories import (
    AppointmentFactory,
    ProviderFactory,
    ServiceFactory,
)
from tests.appointments.test_availability import local_times, open_every_day
from tests.businesses.factories import BusinessFactory

pytestmark = pytest.mark.django_db

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
TUESDAY = dt.date(2025, 3, 11)
MONDAY_7AM = dt.datetime(2025, 3, 10, 7, tzinfo=CHICAGO)


def salon(**rules):
    business = BusinessFactory(timezone="America/Chicago", **rules)
    open_every_day(business)
    service = ServiceFactory(business=business, duration_minutes=60, buffer_minutes=0)
    provider = ProviderFactory(business=business, name="Ana", services=[service])
    return business, service, provider


def test_new_businesses_start_from_the_settings(settings):
    settings.SCHEDULING_SLOT_MINUTES = 20
    settings.SCHEDULING_MIN_NOTICE_MINUTES = 120
    settings.SCHEDULING_MAX_DAYS_AHEAD = 30
    settings.REMINDER_LEAD_HOURS = 48
    settings.QUIET_HOURS_START, settings.QUIET_HOURS_END = "22:00", "07:30"
    settings.ROXY_SLOTS_OFFERED = 3
    business = Business.objects.create(name="New", slug="new")
    assert (
        business.slot_minutes,
        business.min_notice_minutes,
        business.booking_horizon_days,
        business.reminder_lead_hours,
        business.quiet_hours_start,
        business.quiet_hours_end,
        business.slots_offered,
    ) == (20, 120, 30, 48, dt.time(22), dt.time(7, 30), 3)


def test_two_businesses_offer_on_their_own_grids():
    _, quarter_hours, _ = salon(slot_minutes=15)
    _, half_hours, _ = salon(slot_minutes=30)
    kwargs = {"start_date": TUESDAY, "end_date": TUESDAY, "now": MONDAY_7AM}
    quarter = availability.find_free_slots(quarter_hours, **kwargs)
    half = availability.find_free_slots(half_hours, **kwargs)
    assert local_times(quarter)[:3] == ["09:00", "09:15", "09:30"]
    assert local_times(half)[:3] == ["09:00", "09:30", "10:00"]


def test_minimum_notice_is_the_business_own():
    _, service, _ = salon(min_notice_minutes=180)
    now = dt.datetime.combine(TUESDAY, dt.time(9), CHICAGO)
    slots = availability.find_free_slots(
        service, start_date=TUESDAY, end_date=TUESDAY, now=now
    )
    assert local_times(slots)[0] == "12:00"


def test_staff_booking_names_the_business_horizon():
    _, service, provider = salon(booking_horizon_days=5)
    far = dt.datetime.combine(TUESDAY + dt.timedelta(days=10), dt.time(10), CHICAGO)
    problems = bookability.problems_with(
        service, provider=provider, start_at=far, now=MONDAY_7AM
    )
    assert [(p.code, p.message) for p in problems] == [
        ("too_far", "It is more than 5 days ahead.")
    ]


def test_reminders_follow_each_business_lead_time():
    now = dt.datetime(2025, 3, 10, 12, tzinfo=CHICAGO)
    in_30_hours = now + dt.timedelta(hours=30)
    early, _, _ = salon(reminder_lead_hours=48)
    usual, _, _ = salon(reminder_lead_hours=24)
    due = AppointmentFactory(business=early, start_at=in_30_hours)
    AppointmentFactory(business=usual, start_at=in_30_hours)

    assert list(notices.due_for_reminder(now)) == [due]


def test_quiet_hours_are_the_business_own():
    business, _, _ = salon(quiet_hours_start=dt.time(18), quiet_hours_end=dt.time(9))
    evening = dt.datetime(2025, 3, 10, 19, tzinfo=CHICAGO)
    send_at = notification_services.next_allowed_send_time(
        evening, CHICAGO, quiet=notification_services.quiet_hours(business)
    )
    assert send_at == dt.datetime(2025, 3, 11, 9, tzinfo=CHICAGO)
