import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from apps.businesses.middleware import SESSION_KEY, BusinessTimezoneMiddleware
from tests.businesses.factories import BusinessFactory, MembershipFactory
from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db


def _run(user, session=None):
    seen = {}

    def view(request):
        seen["tz"] = timezone.get_current_timezone_name()
        return HttpResponse()

    request = RequestFactory().get("/admin/")
    request.user = user
    request.session = session if session is not None else {}
    BusinessTimezoneMiddleware(view)(request)
    return seen["tz"], request.session


def test_staff_see_times_in_their_business_timezone():
    member = MembershipFactory(business=BusinessFactory(timezone="Australia/Sydney"))
    tz, session = _run(member.user)
    assert tz == "Australia/Sydney"
    assert session[SESSION_KEY] == "Australia/Sydney"
    assert timezone.get_current_timezone_name() == "UTC"  # deactivated afterwards


def test_the_zone_is_looked_up_once_per_session(django_assert_num_queries):
    member = MembershipFactory(business=BusinessFactory(timezone="Europe/London"))
    session = {}
    _run(member.user, session)
    with django_assert_num_queries(0):
        tz, _ = _run(member.user, session)
    assert tz == "Europe/London"


def test_staff_without_a_business_stay_on_utc():
    tz, _ = _run(UserFactory())
    assert tz == "UTC"
