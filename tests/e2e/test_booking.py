"""The front desk books in Chromium: a free slot clicked, a customer found or created,
no id or raw time typed, under the Content-Security-Policy."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils.formats import date_format

from apps.appointments.models import Appointment, Provider, Service
from apps.businesses.models import Membership
from apps.leads.models import Lead
from tests.businesses.factories import MembershipFactory
from tests.core.factories import UserFactory
from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk_page(page, demo, refused):
    """The page after a front-desk member of the studio logged in."""
    user = UserFactory(username="frontdesk", password=PASSWORD)
    MembershipFactory(
        user=user, business=demo.business, role=Membership.Role.FRONT_DESK
    )
    page.goto(reverse("admin:login"))
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"**{reverse('admin:index')}")
    return page


def _open_day(business) -> dt.date:
    """A Tuesday to Saturday a week or more ahead, clear of closures."""
    day = dt.datetime.now(business.tzinfo).date() + dt.timedelta(days=7)
    while (
        day.isoweekday() not in range(2, 7)
        or business.closures.filter(starts_on__lte=day, ends_on__gte=day).exists()
    ):
        day += dt.timedelta(days=1)
    return day


def test_front_desk_books_a_walk_in_for_a_new_customer_by_clicking_a_slot(
    desk_page, demo, refused, expect, screenshot
):
    page = desk_page
    day = _open_day(demo.business)
    haircut = Service.objects.get(business=demo.business, name__iexact="haircut")
    maria = Provider.objects.get(business=demo.business, name="Maria")
    page.goto(reverse("admin:appointments_appointment_changelist"))
    page.get_by_role("link", name="Book with free slots").click()
    # Picks made before booking.js runs would reload nothing: wait for it.
    expect(page.locator("#vh-book.vh-js")).to_be_attached()

    page.select_option("#id_service", str(haircut.pk))
    page.fill("#id_date", day.isoformat())
    page.select_option("#id_provider", str(maria.pk))
    # The free times came without a reload: Maria's only, as buttons.
    expect(page.locator(".vh-slot-group legend")).to_have_text(["Maria"])
    expect(page.get_by_role("button", name="Show free times")).to_be_hidden()
    first = page.locator(".vh-slot").first
    shown = first.inner_text()
    first.click()
    expect(first.locator("input")).to_be_checked()

    page.fill("#id_q", "(512) 555-0187")  # Dana, typed as people write it
    expect(page.locator(".vh-customer-name")).to_have_text(["Dana Whitfield"])
    page.fill("#id_name", "Sam Rivera")
    page.fill("#id_phone", "512 555 0199")
    screenshot("picked")
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page.locator(".messagelist .success")).to_contain_text("for Sam Rivera")
    screenshot("booked")
    appointment = Appointment.objects.select_related("lead").get(
        lead__name="Sam Rivera"
    )
    local = appointment.start_at.astimezone(demo.business.tzinfo)
    assert (appointment.provider, appointment.service, local.date()) == (
        maria,
        haircut,
        day,
    )
    assert appointment.lead.phone == "+15125550199"
    assert appointment.lead.business == demo.business
    assert date_format(local, "TIME_FORMAT") == shown  # e.g. "9 a.m."
    assert Lead.objects.filter(phone="+15125550199").count() == 1
    assert refused == []


def test_front_desk_books_a_favour_outside_hours_only_with_book_anyway(
    desk_page, demo, refused, expect, screenshot
):
    page = desk_page
    day = _open_day(demo.business)
    maria = Provider.objects.get(business=demo.business, name="Maria")
    query = f"?business={demo.business.pk}&provider={maria.pk}&date={day}&time=19:35"
    page.goto(reverse("frontdesk:book") + query)
    expect(page.locator("#id_time")).to_have_value("19:35")  # not a free slot

    before = Appointment.objects.filter(lead=demo.dana).count()
    page.fill("#id_q", "Whitfield")
    page.get_by_label("Dana Whitfield").check()
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page.locator(".errornote")).to_contain_text("Not a time Roxy would offer")
    expect(page.locator(".field-book_anyway")).to_have_class(re.compile("vh-override"))
    assert Appointment.objects.filter(lead=demo.dana).count() == before
    screenshot("override-asked")
    page.get_by_label("Book anyway").check()
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page.locator(".messagelist .success")).to_contain_text("Dana Whitfield")
    booked = Appointment.objects.filter(lead=demo.dana).latest("created_at")
    local = booked.start_at.astimezone(demo.business.tzinfo)
    assert booked.provider == maria
    assert (local.date(), local.time()) == (day, dt.time(19, 35))
    assert refused == []
