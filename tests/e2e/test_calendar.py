"""The front desk calendar in Chromium: the week, dragging an appointment, a phone."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.appointments.models import Appointment, Provider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dana(demo) -> Appointment:
    """Dana's colour with Maria, 13:00 to 15:30 on the studio's next open day."""
    return Appointment.objects.select_related("provider").get(lead=demo.dana)


def calendar(appointment: Appointment, **query) -> str:
    day = appointment.start_at.astimezone(appointment.business.tzinfo).date()
    params = "&".join(f"{key}={value}" for key, value in query.items())
    return f"{reverse('frontdesk:calendar')}?date={day.isoformat()}&{params}"


def local(appointment: Appointment) -> dt.datetime:
    appointment.refresh_from_db()
    return appointment.start_at.astimezone(appointment.business.tzinfo)


def block_of(page, appointment: Appointment):
    return page.locator(f'.fd-block[data-appointment="{appointment.pk}"]')


def test_the_week_shows_appointments_as_blocks_by_status(
    staff_page, dana, refused, expect, screenshot
):
    staff_page.goto(calendar(dana))

    expect(staff_page.locator(".fd-day")).to_have_count(7)
    block = block_of(staff_page, dana)
    expect(block).to_contain_text("13:00–15:30")
    expect(block).to_contain_text("Dana Whitfield")
    expect(block).to_have_css("background-color", "rgb(47, 111, 179)")  # booked
    confirmed = staff_page.locator(".fd-block.fd-confirmed")  # Marcus, with Jess
    expect(confirmed.first).to_have_css("background-color", "rgb(46, 125, 50)")
    expect(staff_page.locator(".fd-shade.fd-closed").first).to_be_attached()
    screenshot("week")

    block.locator(".fd-open").click()
    staff_page.wait_for_url(
        f"**{reverse('admin:appointments_appointment_change', args=[dana.pk])}"
    )
    assert refused == []


def test_dragging_a_block_to_another_provider_and_time_moves_it(
    staff_page, dana, refused, expect, screenshot
):
    jess = Provider.objects.get(business=dana.business, name="Jess")
    staff_page.goto(calendar(dana, view="day"))
    column = staff_page.locator(f'.fd-col[data-provider="{jess.pk}"] .fd-slots')
    first, minutes = (
        int(column.get_attribute("data-first")),
        int(column.get_attribute("data-minutes")),
    )
    height = column.bounding_box()["height"]
    grab = 4  # pixels below the block's top edge

    block_of(staff_page, dana).drag_to(
        column,
        source_position={"x": 12, "y": grab},
        target_position={"x": 20, "y": (14 * 60 - first) / minutes * height + grab},
    )

    dialog = staff_page.locator("#fd-move-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("select[name=provider]")).to_have_value(str(jess.pk))
    expect(dialog.locator("input[name=time]")).to_have_value("14:00")
    screenshot("dialog")
    dialog.get_by_role("button", name="Move").click()

    expect(staff_page.locator(".messagelist .success")).to_contain_text("with Jess")
    moved = local(dana)
    assert (moved.hour, moved.minute, dana.provider_id) == (14, 0, jess.pk)
    expect(block_of(staff_page, dana)).to_contain_text("14:00–16:30")
    screenshot("moved")
    assert refused == []


def test_on_a_phone_one_provider_shows_and_the_move_form_works(
    staff_page, dana, refused, expect, screenshot
):
    staff_page.set_viewport_size({"width": 390, "height": 844})
    staff_page.goto(calendar(dana))

    first_day = staff_page.locator(".fd-day").first
    expect(first_day.locator(".fd-col:visible")).to_have_count(1)
    expect(first_day.locator(".fd-col-head:visible")).to_have_text("Jess")
    screenshot("week-phone")

    staff_page.select_option("#fd-provider", label="Maria")
    staff_page.wait_for_url("**provider=*")
    expect(first_day.locator(".fd-col-head:visible")).to_have_text("Maria")
    assert staff_page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot("maria-phone")

    block_of(staff_page, dana).get_by_role("link", name="Move").click()
    staff_page.fill("input[name=time]", "09:00")
    screenshot("form-phone")
    staff_page.get_by_role("button", name="Move appointment").click()

    expect(staff_page.locator(".messagelist .success")).to_contain_text("09:00")
    moved = local(dana)
    assert (moved.hour, moved.minute) == (9, 0)
    expect(block_of(staff_page, dana)).to_be_visible()
    screenshot("moved-phone")
    assert refused == []
