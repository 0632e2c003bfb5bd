"""The staff admin as a person uses it: a real Chromium against the live server."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils.formats import date_format

from apps.appointments.models import Appointment
from apps.calls.transcripts import conversation_turns

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTES = "Booked from the browser test"


def test_staff_log_in_through_the_login_form(staff_page, demo, expect, screenshot):
    expect(staff_page.locator("#user-tools")).to_contain_text(demo.username)
    expect(staff_page.locator("#content")).to_contain_text("Leads")
    screenshot("dashboard")


def test_a_lead_is_found_by_a_phone_number_typed_in_any_format(
    staff_page, expect, screenshot
):
    staff_page.goto(reverse("admin:leads_lead_changelist"))
    staff_page.fill("#searchbar", "(512) 555-0187")
    staff_page.press("#searchbar", "Enter")
    rows = staff_page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Dana Whitfield")
    expect(rows.first).to_contain_text("(512) 555-0187")
    screenshot("search")


def test_a_call_page_shows_its_transcript_as_a_conversation(
    staff_page, demo, expect, screenshot
):
    staff_page.goto(reverse("admin:calls_call_changelist"))
    staff_page.fill("#searchbar", demo.call.vapi_call_id)
    staff_page.press("#searchbar", "Enter")
    staff_page.locator("#result_list tbody tr th a").first.click()
    conversation = staff_page.locator(".vh-conversation")
    expect(conversation).to_be_visible()
    turns = conversation.locator(".vh-turn")
    expect(turns).to_have_count(len(conversation_turns(demo.call.messages)))
    expect(conversation.locator(".vh-roxy").first).to_contain_text(
        "Thanks for calling Maison Belle Hair Studio, this is Roxy!"
    )
    expect(
        conversation.locator(".vh-caller", has_text="My name's Dana Whitfield")
    ).to_be_visible()
    expect(
        conversation.locator(".vh-tool", has_text="book_appointment")
    ).to_be_visible()
    screenshot("call")


def test_staff_book_and_cancel_an_appointment(staff_page, demo, expect, screenshot):
    day = _open_day(demo.business)
    staff_page.goto(reverse("admin:appointments_appointment_add"))
    _fill_booking_form(staff_page, demo, day)
    screenshot("add-form")
    staff_page.click("input[name=_save]")

    expect(staff_page.locator(".messagelist .success")).to_contain_text(
        "was added successfully"
    )
    appointment = Appointment.objects.get(notes=NOTES)
    # Typed, stored and listed as the studio's local time, whatever the server's zone.
    ten = dt.datetime.combine(day, dt.time(10))
    assert appointment.start_at == ten.replace(tzinfo=demo.business.tzinfo)
    change_url = reverse("admin:appointments_appointment_change", args=[appointment.pk])
    row = staff_page.locator(
        "#result_list tbody tr", has=staff_page.locator(f'a[href^="{change_url}"]')
    )
    # The demo login works for businesses in two zones, so listed times name theirs.
    zone = ten.replace(tzinfo=demo.business.tzinfo).tzname()
    expect(row.locator(".field-start_at")).to_have_text(
        f"{date_format(ten, 'DATETIME_FORMAT')} {zone}"
    )
    expect(row.locator(".field-lead")).to_have_text("Dana Whitfield")
    expect(row.locator(".field-status")).to_have_text("Booked")
    screenshot("booked")

    row.locator("input.action-select").check()
    staff_page.select_option("select[name=action]", "cancel_appointments")
    staff_page.click("button[name=index]")

    expect(staff_page.locator(".messagelist")).to_contain_text(
        "Cancelled 1 appointment(s)."
    )
    expect(row.locator(".field-status")).to_have_text("Cancelled")
    screenshot("cancelled")
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED


def _fill_booking_form(page, demo, day: dt.date) -> None:
    page.select_option("#id_business", label=demo.business.name)
    page.select_option("#id_service", label="Haircut")
    page.select_option("#id_provider", label="Maria")
    page.fill("#id_lead", str(demo.dana.pk))
    page.fill("#id_start_at_0", day.isoformat())
    page.fill("#id_start_at_1", "10:00:00")
    page.fill("#id_notes", NOTES)


def _open_day(business) -> dt.date:
    """A Tuesday to Saturday a week or more ahead, clear of closures and demo bookings."""
    today = dt.datetime.now(business.tzinfo).date()
    day = today + dt.timedelta(days=7)
    while (
        day.isoweekday() not in range(2, 7)
        or business.closures.filter(starts_on__lte=day, ends_on__gte=day).exists()
    ):
        day += dt.timedelta(days=1)
    return day
