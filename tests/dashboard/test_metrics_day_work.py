"""The day's work on the dashboard: today's visits and the callbacks due, each in its
business's own day."""

import datetime as dt
import zoneinfo

import pytest

from apps.appointments.models import Appointment
from apps.businesses.models import Business
from apps.dashboard import metrics
from apps.leads.models import CallbackRequest
from tests.appointments.factories import AppointmentFactory
from tests.businesses.factories import BusinessFactory, MembershipFactory
from tests.leads.factories import CallbackRequestFactory, LeadFactory

AUSTIN = zoneinfo.ZoneInfo("America/Chicago")
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
# 9 PM on Tuesday 11 March in Austin: already Wednesday in UTC and in Tokyo.
EVENING = dt.datetime(2025, 3, 11, 21, tzinfo=AUSTIN)

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(EVENING, tick=False)]


@pytest.fixture
def austin():
    return BusinessFactory(name="Austin salon", timezone="America/Chicago")


@pytest.fixture
def tokyo():
    return BusinessFactory(name="Tokyo salon", timezone="Asia/Tokyo")


def _of(*businesses):
    return Business.objects.filter(pk__in=[b.pk for b in businesses]).values("pk")


def _visit(business, start_at, **kwargs):
    return AppointmentFactory(
        business=business,
        start_at=start_at,
        lead=LeadFactory(business=business),
        **kwargs,
    )


def test_today_s_visits_are_each_business_s_own_today_in_time_order(austin, tokyo):
    late = _visit(austin, dt.datetime(2025, 3, 11, 23, 30, tzinfo=AUSTIN))
    early = _visit(austin, dt.datetime(2025, 3, 11, 0, 15, tzinfo=AUSTIN))
    _visit(austin, dt.datetime(2025, 3, 10, 23, 45, tzinfo=AUSTIN))  # yesterday
    _visit(austin, dt.datetime(2025, 3, 12, 0, 15, tzinfo=AUSTIN))  # tomorrow
    _visit(
        austin,
        dt.datetime(2025, 3, 11, 12, tzinfo=AUSTIN),
        status=Appointment.Status.CANCELLED,
    )
    # In Tokyo it is already 12 noon on Wednesday the 12th.
    tokyo_visit = _visit(tokyo, dt.datetime(2025, 3, 12, 9, tzinfo=TOKYO))
    _visit(tokyo, dt.datetime(2025, 3, 11, 15, tzinfo=TOKYO))  # Tokyo's yesterday

    board = metrics.dashboard(_of(austin, tokyo))

    assert board["visits"] == [early, tokyo_visit, late]
    assert board["today"]["visits"] == 3
    assert board["several_businesses"] is True


def test_visits_today_and_bookings_made_today_are_counted_apart(austin):
    booked_today_for_next_week = _visit(austin, EVENING + dt.timedelta(days=7))
    visit = _visit(austin, EVENING - dt.timedelta(hours=2))
    Appointment.objects.filter(pk=visit.pk).update(
        created_at=EVENING - dt.timedelta(days=3)
    )

    today = metrics.dashboard(_of(austin))["today"]

    assert booked_today_for_next_week.created_at == EVENING
    assert (today["visits"], today["bookings_made"]) == (1, 1)


def test_callbacks_due_by_tonight_or_overdue_come_first_with_their_owner(austin):
    owner = MembershipFactory(
        business=austin, user__first_name="Fran", user__last_name="Desk"
    ).user
    overdue = CallbackRequestFactory(
        business=austin,
        name="Overdue Olive",
        assigned_to=owner,
        due_at=EVENING - dt.timedelta(hours=3),
    )
    tonight = CallbackRequestFactory(
        business=austin, name="Tonight Tom", due_at=EVENING + dt.timedelta(hours=2)
    )
    CallbackRequestFactory(  # due tomorrow
        business=austin, name="Later Lou", due_at=EVENING + dt.timedelta(hours=4)
    )
    CallbackRequestFactory(
        business=austin,
        name="Done Dora",
        due_at=EVENING - dt.timedelta(hours=3),
        status=CallbackRequest.Status.DONE,
    )

    attention = metrics.dashboard(_of(austin))["attention"]

    assert [item.text.split(":")[0] for item in attention] == [
        "Overdue Olive",
        "Tonight Tom",
    ]
    first, second = attention
    assert (first.owner, first.is_overdue, first.when) == (
        "Fran Desk",
        True,
        overdue.due_at,
    )
    assert (second.owner, second.is_overdue, second.is_due) == ("", False, True)
    assert second.url.endswith(f"/{tonight.pk}/change/")
    assert first.phone == overdue.callback_number and first.business == austin


def test_another_business_s_visits_and_callbacks_never_show(austin, tokyo):
    _visit(tokyo, EVENING)
    CallbackRequestFactory(business=tokyo, due_at=EVENING)

    board = metrics.dashboard(_of(austin))

    assert board["visits"] == [] and board["attention"] == []
    assert board["today"]["visits"] == 0


def test_a_user_of_no_business_gets_an_empty_day(austin):
    _visit(austin, EVENING)

    board = metrics.dashboard(Business.objects.none().values("pk"))

    assert board["today"] == {
        "calls": 0,
        "new_leads": 0,
        "visits": 0,
        "bookings_made": 0,
    }
    assert board["visits"] == [] and board["attention"] == []
