"""A front-desk morning in a real Chromium: today's visits on the dashboard, then a
callback taken on and marked done from its page."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.businesses.models import Membership
from apps.leads.models import CallbackRequest
from tests.appointments.factories import AppointmentFactory
from tests.businesses.factories import MembershipFactory
from tests.core.factories import UserFactory
from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fran(demo):
    """Front desk at the demo studio."""
    user = UserFactory(
        username="fran", first_name="Fran", last_name="Desk", password=PASSWORD
    )
    MembershipFactory(
        business=demo.business, user=user, role=Membership.Role.FRONT_DESK
    )
    return user


@pytest.fixture
def fran_page(page, fran, screenshot):
    home = reverse("admin:index")
    page.goto(f"{reverse('admin:login')}?next={home}")
    page.fill("#id_username", fran.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"**{home}")
    return page


def test_front_desk_sees_today_s_visits_then_takes_a_callback_and_marks_it_done(
    fran_page, fran, demo, expect, screenshot
):
    visit = AppointmentFactory(
        business=demo.business, lead=demo.dana, start_at=timezone.now()
    )
    callback = CallbackRequest.objects.create(
        business=demo.business,
        lead=demo.dana,
        name=demo.dana.name,
        callback_number=demo.dana.phone,
        message="Wants to move her colour appointment",
        due_at=timezone.now() - dt.timedelta(minutes=30),
    )
    page = fran_page
    page.goto(reverse("admin:index"))

    visits = page.locator("#vh-visits")
    expect(visits).to_contain_text("Today's visits")
    row = visits.locator("tbody tr", has_text="Dana Whitfield")
    expect(row).to_contain_text(visit.service.name)
    expect(row.locator('a[href="tel:+15125550187"]')).to_have_text("(512) 555-0187")
    expect(page.locator(".vh-attention")).to_contain_text("Nobody yet")
    screenshot("dashboard")

    page.locator(".vh-attention a", has_text="Wants to move her colour").click()
    page.wait_for_url(
        f"**{reverse('admin:leads_callbackrequest_change', args=[callback.pk])}"
    )
    workbar = page.locator(".vh-workbar")
    expect(workbar.locator('a[href="tel:+15125550187"]')).to_be_visible()
    expect(workbar).to_contain_text("overdue")
    screenshot("callback")

    workbar.get_by_role("button", name="Assign to me").click()
    expect(page.locator(".messagelist")).to_contain_text("is now Fran Desk's")
    expect(page.locator("#vh-assign-to")).to_have_value(str(fran.pk))

    page.locator(".vh-workbar").get_by_role("button", name="Mark done").click()
    expect(page.locator(".messagelist")).to_contain_text("is done")
    expect(page.locator(".vh-workbar")).to_contain_text("Reopen")
    screenshot("done")

    callback.refresh_from_db()
    assert callback.assigned_to == fran
    assert callback.status == CallbackRequest.Status.DONE
    assert callback.resolved_at is not None
