"""The manager's reports in Chromium, on a laptop and on a phone, under the CSP."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.appointments.models import Appointment
from apps.calls.analysis import INTENTS
from apps.calls.models import Call
from tests.appointments.factories import AppointmentFactory
from tests.calls.factories import CallFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
REASONS = (
    "assistant-ended-call",
    "customer-ended-call",
    "assistant-forwarded-call",
    "customer-ended-call",
    "voicemail",
    "assistant-said-end-call-phrase",
)


@pytest.fixture
def manager_page(refused, staff_page):
    """The demo studio's manager, logged in, with what the browser refuses (conftest's
    `refused`) watched from the start."""
    return staff_page


@pytest.fixture
def busy_week(demo):
    """A week of calls at the demo studio: every outcome, most intents, some bookings."""
    business = demo.business
    service = business.services.order_by("pk").first()
    provider = business.providers.order_by("pk").first()
    now = business.local_now()
    intents = list(INTENTS)
    for n in range(42):
        call = CallFactory(
            business=business,
            intent=intents[n % len(intents)],
            ended_reason=REASONS[n % len(REASONS)],
            duration_seconds=8 if n % 4 == 1 else 140,
            cost=Decimal("0.18"),
            summary=f"Caller {n} asked about a {service.name.lower()}.",
        )
        called_at = now - dt.timedelta(days=n % 7, hours=n % 5)
        Call.objects.filter(pk=call.pk).update(created_at=called_at)
        if n % 3 == 0:
            booking = AppointmentFactory(
                business=business,
                service=service,
                provider=provider,
                source_call=call,
                start_at=now + dt.timedelta(days=30, hours=n),
                status=Appointment.Status.BOOKED,
            )
            Appointment.objects.filter(pk=booking.pk).update(created_at=called_at)
    return business


def test_a_manager_reads_the_week_on_a_laptop_and_a_phone(
    manager_page, busy_week, refused, expect, screenshot
):
    page = manager_page
    page.set_viewport_size(LAPTOP)
    page.get_by_role("link", name="Reports").first.click()
    page.wait_for_url(f"**{reverse('admin:reports')}")

    expect(page.locator("h2").first).to_contain_text("last 7 days")
    expect(page.locator(".vh-report-headline")).to_contain_text("Roxy booked $")
    expect(page.locator("svg.vh-bars")).to_have_count(3)
    expect(page.locator(".vh-unbooked tbody tr").first).to_be_visible()
    # The bars take their colours from the stylesheet, which the policy let in.
    expect(page.locator("svg.vh-bars rect.vh-c-green").first).to_have_css(
        "fill", "rgb(46, 125, 50)"
    )
    today = page.locator("svg.vh-bars").first.locator("g.vh-day title").last
    assert " calls (Answered and handled " in today.text_content()
    _fits(page, LAPTOP)
    screenshot("1366")

    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.locator("svg.vh-bars").first).to_be_visible()
    _fits(page, PHONE)
    screenshot("390")

    page.select_option("#report_days", "30")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**days=30**")
    expect(page.locator("h2").first).to_contain_text("last 30 days")
    screenshot("390-30-days")

    page.wait_for_timeout(200)  # violations are reported asynchronously
    assert refused == []


def _fits(page, viewport: dict) -> None:
    """Nothing of the report is wider than the window (no sideways scrolling)."""
    widest = page.evaluate(
        """() => Math.max(...[...document.querySelectorAll(
             '.vh-report-chart, .vh-report-cards, .vh-report-picker')]
           .map((el) => el.getBoundingClientRect().right))"""
    )
    assert widest <= viewport["width"]
