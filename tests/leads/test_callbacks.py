import datetime as dt
import zoneinfo

import pytest

from apps.businesses.models import Membership
from apps.leads import callbacks
from apps.leads.models import CallbackRequest
from tests.businesses.factories import (
    BusinessFactory,
    ClosureFactory,
    MembershipFactory,
    OpeningHoursFactory,
)
from tests.core.factories import UserFactory
from tests.leads.factories import CallbackRequestFactory, LeadFactory

AUSTIN = zoneinfo.ZoneInfo("America/Chicago")
# Tuesday, 11 March 2025, 10:30 in Austin.
TUESDAY_MORNING = dt.datetime(2025, 3, 11, 10, 30, tzinfo=AUSTIN)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(TUESDAY_MORNING, tick=False),
]


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, 3, day, hour, minute, tzinfo=AUSTIN)


@pytest.fixture
def salon():
    """Open 9 to 5, Tuesday to Saturday."""
    business = BusinessFactory(timezone="America/Chicago")
    for weekday in range(1, 6):
        OpeningHoursFactory(
            business=business,
            weekday=weekday,
            opens_at=dt.time(9),
            closes_at=dt.time(17),
        )
    return business


def _due(business, urgency, now):
    return callbacks.due_at_for(business, urgency=urgency, now=now)


def test_an_urgent_request_is_due_within_the_hour_even_when_closed(salon):
    assert _due(salon, "urgent", _at(11, 10, 30)) == _at(11, 11, 30)
    assert _due(salon, "urgent", _at(9, 22)) == _at(9, 23)  # a Sunday night


def test_a_normal_request_is_due_by_closing_while_the_day_has_time_left(salon):
    assert _due(salon, "normal", _at(11, 10, 30)) == _at(11, 17)
    assert _due(salon, "normal", _at(11, 16)) == _at(11, 17)


def test_a_normal_request_late_in_the_day_waits_for_the_next_morning(salon):
    assert _due(salon, "normal", _at(11, 16, 30)) == _at(12, 10)
    assert _due(salon, "normal", _at(11, 20)) == _at(12, 10)


def test_a_normal_request_before_opening_is_due_an_hour_in(salon):
    assert _due(salon, "normal", _at(11, 7)) == _at(11, 10)


def test_the_weekend_and_closures_are_skipped(salon):
    ClosureFactory(
        business=salon, starts_on=dt.date(2025, 3, 11), ends_on=dt.date(2025, 3, 11)
    )
    # Saturday evening: closed Sunday and Monday, and the Tuesday is a holiday.
    assert _due(salon, "normal", _at(8, 18)) == _at(12, 10)


def test_a_low_request_is_due_by_the_close_of_the_next_business_day(salon):
    assert _due(salon, "low", _at(11, 10, 30)) == _at(12, 17)
    assert _due(salon, "low", _at(8, 18)) == _at(11, 17)  # Saturday evening


def test_without_opening_hours_the_clock_decides():
    business = BusinessFactory()
    assert _due(business, "normal", TUESDAY_MORNING) == _at(11, 14, 30)
    assert _due(business, "low", TUESDAY_MORNING) == _at(12, 10, 30)


def test_staff_of_a_business_are_its_active_members_only(salon):
    front_desk = MembershipFactory(business=salon).user
    manager = MembershipFactory(business=salon, role=Membership.Role.MANAGER).user
    MembershipFactory(business=salon, user=UserFactory(is_active=False))
    MembershipFactory()  # someone at another business
    UserFactory(is_superuser=True)  # an operator holds no role here

    assert set(callbacks.staff_of([salon.pk])) == {front_desk, manager}


def test_a_request_is_assigned_only_to_the_staff_of_its_business(salon):
    callback = CallbackRequestFactory(business=salon)
    colleague = MembershipFactory(business=salon).user
    outsider = MembershipFactory().user

    callbacks.assign_callback_request(callback, to=colleague)
    with pytest.raises(callbacks.CallbackError):
        callbacks.assign_callback_request(callback, to=outsider)

    callback.refresh_from_db()
    assert callback.assigned_to == colleague
    callbacks.assign_callback_request(callback, to=None)
    callback.refresh_from_db()
    assert callback.assigned_to is None


def test_resolving_stamps_resolved_at_once(salon):
    callback = CallbackRequestFactory(business=salon)

    assert callbacks.resolve_callback_request(callback) is True
    assert callbacks.resolve_callback_request(callback) is False

    callback.refresh_from_db()
    assert callback.status == CallbackRequest.Status.DONE
    assert callback.resolved_at == TUESDAY_MORNING


def test_reopening_clears_resolved_at(salon):
    callback = CallbackRequestFactory(business=salon)
    callbacks.resolve_callback_request(callback)

    assert callbacks.reopen_callback_request(callback) is True
    assert callbacks.reopen_callback_request(callback) is False

    callback.refresh_from_db()
    assert (callback.status, callback.resolved_at) == ("open", None)


def test_open_and_due_requests(salon):
    due_soon = CallbackRequestFactory(business=salon, due_at=_at(11, 12))
    later = CallbackRequestFactory(business=salon, due_at=_at(12, 12))
    undated = CallbackRequestFactory(business=salon)  # due since it was taken
    CallbackRequestFactory(
        business=salon, due_at=_at(11, 9), status=CallbackRequest.Status.DONE
    )

    assert set(CallbackRequest.objects.open()) == {due_soon, later, undated}
    assert set(CallbackRequest.objects.due_by(_at(11, 17))) == {due_soon, undated}
    assert undated.is_overdue(_at(11, 11)) and not due_soon.is_overdue(_at(11, 11))


def test_staff_ask_to_call_a_lead_back_once(salon):
    lead = LeadFactory(business=salon, name="Dana Whitfield")
    me = MembershipFactory(business=salon).user

    callback, created = callbacks.request_callback(lead, by=me)
    again, created_again = callbacks.request_callback(lead, by=me)

    assert (created, created_again) == (True, False)
    assert again == callback
    assert callback.assigned_to == me
    assert callback.callback_number == lead.phone
    assert callback.due_at == _at(11, 17)


def test_someone_off_the_staff_asking_leaves_the_request_unowned(salon):
    lead = LeadFactory(business=salon)
    operator = UserFactory(is_superuser=True)

    callback, _ = callbacks.request_callback(lead, by=operator)

    assert callback.assigned_to is None


def test_a_lead_without_a_number_cannot_be_called_back(salon):
    lead = LeadFactory(business=salon, phone="")

    with pytest.raises(callbacks.CallbackError):
        callbacks.request_callback(lead, by=MembershipFactory(business=salon).user)
    assert not CallbackRequest.objects.exists()
