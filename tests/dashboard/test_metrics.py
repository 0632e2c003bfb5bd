import datetime as dt

import pytest
from django.utils import timezone

from apps.businesses.models import Business
from apps.calls.models import Call
from apps.dashboard import metrics
from apps.leads.models import CallbackRequest
from apps.notifications.models import STAFF_INVITE, Notification
from tests.appointments.factories import AppointmentFactory
from tests.businesses.factories import BusinessFactory, MembershipFactory
from tests.calls.factories import CallFactory
from tests.leads.factories import CallbackRequestFactory, LeadFactory
from tests.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def _only(business):
    return Business.objects.filter(pk=business.pk).values("pk")


def _busy_day(business, *, calls=3):
    for _ in range(calls):
        call = CallFactory(business=business)
        AppointmentFactory(
            business=business, source_call=call, lead=LeadFactory(business=business)
        )
    CallFactory(business=business)  # one call that booked nothing


def test_todays_figures_and_conversion():
    business = BusinessFactory()
    _busy_day(business)
    board = metrics.dashboard(_only(business))
    # The factory's visits are on a day long past: booked today, not visits today.
    assert board["today"] == {
        "calls": 4,
        "new_leads": 3,
        "visits": 0,
        "bookings_made": 3,
    }
    week, month = board["conversion"]
    assert (week.days, week.calls, week.booked, week.percent) == (7, 4, 3, 75)
    assert month.days == 30


def test_old_calls_fall_out_of_the_weekly_conversion():
    business = BusinessFactory()
    old = CallFactory(business=business)
    Call.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=10)
    )
    week, month = metrics.dashboard(_only(business))["conversion"]
    assert (week.calls, month.calls) == (0, 1)


def test_figures_never_include_another_business():
    mine, theirs = BusinessFactory(), BusinessFactory()
    _busy_day(theirs)
    board = metrics.dashboard(_only(mine))
    assert board["today"] == {
        "calls": 0,
        "new_leads": 0,
        "visits": 0,
        "bookings_made": 0,
    }
    assert board["attention"] == []
    assert board["visits"] == []


def test_needs_attention_lists_callbacks_urgent_follow_ups_failures_and_hangs():
    business = BusinessFactory()
    CallbackRequest.objects.create(
        business=business, name="Ana", message="Call me back"
    )
    CallFactory(
        business=business, analysis={"follow_up_urgency": "urgent"}, summary="Leak!"
    )
    CallFactory(business=business, analysis_status=Call.AnalysisStatus.FAILED)
    CallFactory(business=business, has_hang=True)
    CallFactory(business=business)  # fine
    NotificationFactory(
        business=business, status=Notification.Status.FAILED, last_error="550"
    )
    kinds = sorted(
        item.kind for item in metrics.dashboard(_only(business))["attention"]
    )
    assert kinds == [
        "Analysis failed",
        "Callback",
        "Failed notification",
        "Roxy went silent",
        "Urgent follow-up",
    ]


def test_a_failed_staff_invite_is_not_on_the_dashboard():
    business = BusinessFactory()
    NotificationFactory(
        business=business,
        kind=STAFF_INVITE,
        recipient="new.hire@example.com",
        status=Notification.Status.FAILED,
    )
    assert metrics.dashboard(_only(business))["attention"] == []


def test_the_chart_covers_fourteen_days_with_todays_bars():
    business = BusinessFactory()
    _busy_day(business)
    chart = metrics.dashboard(_only(business))["chart"]
    assert len(chart) == metrics.CHART_DAYS
    assert chart[-1]["day"] == business.local_now().date()
    assert (chart[-1]["calls"], chart[-1]["bookings"]) == (4, 3)
    assert chart[-1]["calls_height"] == 100
    assert chart[-1]["calls_y"] == 0
    assert chart[0]["calls_height"] == 0


def _visits_and_callbacks(business, n: int) -> None:
    now = timezone.now()
    owner = MembershipFactory(business=business).user
    for _ in range(n):
        lead = LeadFactory(business=business)
        AppointmentFactory(business=business, lead=lead, start_at=now)
        CallbackRequestFactory(
            business=business, lead=lead, assigned_to=owner, due_at=now
        )


def test_the_dashboard_costs_the_same_queries_whatever_the_volume(
    django_assert_max_num_queries,
):
    business, elsewhere = BusinessFactory(), BusinessFactory(timezone="Asia/Tokyo")
    for place in (business, elsewhere):
        _busy_day(place, calls=2)
        _visits_and_callbacks(place, 1)
    both = Business.objects.filter(pk__in=[business.pk, elsewhere.pk]).values("pk")
    with django_assert_max_num_queries(14) as small:
        metrics.dashboard(both)
    for place in (business, elsewhere, BusinessFactory(timezone="Europe/Paris")):
        _busy_day(place, calls=20)
        _visits_and_callbacks(place, 12)
    with django_assert_max_num_queries(len(small.captured_queries)):
        metrics.dashboard(Business.objects.values("pk"))
