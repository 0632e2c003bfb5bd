import pytest
from django.core import checks

from apps.businesses import checks as business_checks
from tests.businesses.factories import BusinessFactory, OpeningHoursFactory

pytestmark = pytest.mark.django_db


def ids(messages):
    return [(message.id, message.obj) for message in messages]


def test_no_active_business_is_an_error():
    BusinessFactory(is_active=False)

    assert business_checks.check_active_businesses() == [
        checks.Error(
            "Businesses: No active business: every call is refused or forwarded.",
            hint="Add one in the admin, or run: python manage.py seed_demo",
            id="businesses.E001",
        )
    ]


def test_active_businesses_are_counted():
    BusinessFactory.create_batch(2)
    BusinessFactory(is_active=False)

    assert business_checks.check_active_businesses() == [
        checks.Info("Businesses: 2 active", id="businesses.I001")
    ]


def test_a_business_without_opening_hours_is_an_error():
    OpeningHoursFactory(business__slug="salon")
    BusinessFactory(slug="bare")

    messages = business_checks.check_opening_hours()

    assert ids(messages) == [("businesses.E002", "bare"), ("businesses.I002", "salon")]
    assert messages[0].msg == (
        "opening hours: No opening hours: Roxy says the business is closed and "
        "offers no slots."
    )
    assert messages[0].hint == "Add opening hours in the admin."
    assert messages[1].msg == "opening hours: open 1 day(s) a week"


def test_missing_transfer_number_and_alert_contacts_are_warnings():
    BusinessFactory(
        slug="salon", transfer_number="", notification_emails="", notification_phones=""
    )
    BusinessFactory(slug="texts-only", notification_emails="")

    messages = business_checks.check_contacts()

    assert ids(messages) == [
        ("businesses.W001", "salon"),
        ("businesses.W002", "salon"),
    ]
    assert messages[0].level == messages[1].level == checks.WARNING
    assert messages[0].hint == "Set the business's transfer number in the admin."
    assert messages[1].msg == (
        "alerts: No notification emails or phones: nobody hears about new leads."
    )
