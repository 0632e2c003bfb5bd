import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from apps.businesses.models import Business, OpeningHours
from tests.businesses.factories import BusinessFactory, OpeningHoursFactory

pytestmark = pytest.mark.django_db


def test_an_unknown_timezone_is_refused():
    business = BusinessFactory.build(timezone="Mars/Olympus_Mons")
    with pytest.raises(ValidationError, match="IANA"):
        business.full_clean()


def test_local_now_is_in_the_business_timezone():
    business = BusinessFactory(timezone="Australia/Sydney")
    assert business.local_now().tzinfo.key == "Australia/Sydney"


def test_notification_recipients_split_on_commas_and_lines():
    business = BusinessFactory.build(
        notification_emails="a@example.com, b@example.com\nc@example.com",
        notification_phones="+15125550100,",
    )
    assert business.notification_email_list == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
    ]
    assert business.notification_phone_list == ["+15125550100"]


def test_a_bad_staff_email_is_refused():
    business = BusinessFactory.build(notification_emails="ok@example.com, not-an-email")
    with pytest.raises(ValidationError):
        business.full_clean()


def test_opening_hours_must_close_after_they_open():
    hours = OpeningHoursFactory.build(opens_at=dt.time(17), closes_at=dt.time(9))
    with pytest.raises(ValidationError):
        hours.clean()
    with pytest.raises(IntegrityError):
        OpeningHours.objects.create(
            business=BusinessFactory(),
            weekday=1,
            opens_at=dt.time(17),
            closes_at=dt.time(9),
        )


def test_for_user_limits_businesses_to_memberships():
    from tests.businesses.factories import MembershipFactory

    mine = MembershipFactory()
    BusinessFactory()
    assert list(Business.objects.for_user(mine.user)) == [mine.business]
