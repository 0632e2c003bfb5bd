import datetime as dt
import zoneinfo

import icalendar
import pytest

from apps.notifications import rendering
from apps.notifications.models import CREDENTIAL_KINDS

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
START = dt.datetime(2026, 3, 14, 19, 0, tzinfo=dt.UTC)  # 2:00 PM CDT

CONTEXT = {
    "business_name": "Maison Belle Hair Studio",
    "business_phone": "(512) 555-0142",
    "business_phone_e164": "+15125550142",
    "business_address": "1200 S Congress Ave, Austin, TX 78704",
    "caller_name": "Dana O'Neil",
    "caller_phone": "+15125550187",
    "customer_name": "Dana O'Neil",
    "customer_phone": "+15125550187",
    "service_name": "Haircut & color",
    "provider_name": "Maria",
    "start_at": START,
    "end_at": START + dt.timedelta(hours=2, minutes=30),
    "previous_start_at": START - dt.timedelta(days=1),
    "called_at": START,
    "summary": "Wants a bridal trial & a quote for five.",
    "lead_score": 82,
    "lead_score_reason": "June wedding",
    "action_items": ["Send the bridal price list"],
    "date": dt.date(2026, 3, 14),
    "call_count": 12,
    "lead_count": 1,
    "booking_count": 3,
}

ALL_PAIRS = [
    (kind, channel)
    for kind, channels in sorted(rendering.KIND_CHANNELS.items())
    for channel in sorted(channels)
]


def render(kind, channel, context=CONTEXT, **kwargs):
    kwargs.setdefault("invite_uid", "appointment-7@voicehive")
    return rendering.render_message(
        kind, channel=channel, context=context, tz=CHICAGO, **kwargs
    )


@pytest.mark.parametrize(("kind", "channel"), ALL_PAIRS)
def test_every_kind_renders_branded_with_the_business_name(kind, channel):
    message = render(kind, channel)

    assert "Maison Belle Hair Studio" in message.body
    if channel == "email":
        assert "Maison Belle Hair Studio" in message.html_body
        assert message.subject and "\n" not in message.subject
    else:
        assert message.subject == "" and message.html_body == ""


@pytest.mark.parametrize(("kind", "channel"), ALL_PAIRS)
def test_plain_text_is_not_html_escaped(kind, channel):
    message = render(kind, channel)

    assert "&#x27;" not in message.body + message.subject
    assert "&amp;" not in message.body + message.subject


STAFF_KINDS = {
    "new_lead",
    "new_booking",
    "cancellation",
    "appointment_moved",
    "callback_request",
    "urgent_follow_up",
    "missed_call",
    "daily_digest",
}
# Every other kind goes to a caller, so a new kind is checked unless named above.
CALLER_KINDS = sorted(
    set(rendering.KIND_CHANNELS) - STAFF_KINDS - set(CREDENTIAL_KINDS)
)


@pytest.mark.parametrize("kind", CALLER_KINDS)
def test_caller_texts_offer_an_opt_out(kind):
    assert "Reply STOP to opt out." in render(kind, "sms").body


def test_html_is_escaped():
    message = render("new_lead", "email")

    assert "Dana O&#x27;Neil" in message.html_body
    assert "bridal trial &amp; a quote" in message.html_body


def test_times_are_shown_in_the_business_time_zone():
    message = render("booking_confirmation", "sms")

    assert "Sat, Mar 14 at 2:00 PM" in message.body


def test_staff_email_names_the_time_zone():
    assert "(CDT)" in render("new_booking", "email").body


def test_sms_is_one_line_and_capped():
    long_summary = {**CONTEXT, "summary": "word " * 400}

    body = render("urgent_follow_up", "sms", context=long_summary).body

    assert "\n" not in body
    assert len(body) <= rendering.SMS_MAX_LENGTH


def test_missing_optional_fields_leave_no_gaps():
    bare = {"business_name": "Maison Belle", "caller_phone": "+15125550187"}

    body = render("new_lead", "email", context=bare).body

    assert "\n\n\n" not in body
    assert "Name: not given" in body


def test_booking_confirmation_email_carries_an_ics_invite_in_local_time():
    message = render("booking_confirmation", "email")

    (attachment,) = message.attachments
    assert attachment["filename"] == "invite.ics"
    assert attachment["mimetype"] == "text/calendar"
    event = icalendar.Calendar.from_ical(attachment["content"]).walk("VEVENT")[0]
    assert event.decoded("dtstart") == START
    assert event.decoded("dtend") == START + dt.timedelta(hours=2, minutes=30)
    assert str(event["uid"]) == "appointment-7@voicehive"
    assert str(event["summary"]) == "Haircut & color at Maison Belle Hair Studio"


def test_invite_times_carry_the_business_zone_and_its_vtimezone():
    ics = render("booking_confirmation", "email").attachments[0]["content"]

    assert "DTSTART;TZID=America/Chicago:20260314T140000" in ics
    calendar = icalendar.Calendar.from_ical(ics)
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["tzid"]) == "America/Chicago"
    # Both sides of the 8 March 2026 DST change are described.
    names = {str(part["tzname"]) for part in zone.subcomponents}
    assert {"CST", "CDT"} <= names


def test_a_time_across_the_dst_change_reads_the_right_local_hour():
    """Booked before the change (CST) for a visit after it (CDT)."""
    start = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)  # 9:00 AM CST
    context = {**CONTEXT, "start_at": start, "end_at": start + dt.timedelta(hours=1)}

    ics = render("booking_confirmation", "email", context).attachments[0]["content"]

    assert "DTSTART;TZID=America/Chicago:20261102T090000" in ics
    event = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]
    assert event.decoded("dtstart") == start


def test_the_customer_is_the_attendee_when_their_email_is_known():
    context = {**CONTEXT, "customer_email": "dana@example.com"}

    ics = render("booking_confirmation", "email", context).attachments[0]["content"]

    attendee = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]["attendee"]
    assert str(attendee) == "mailto:dana@example.com"
    assert attendee.params["CN"] == "Dana O'Neil"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"


def test_no_attendee_without_an_email():
    ics = render("booking_confirmation", "email").attachments[0]["content"]

    assert "attendee" not in icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]


@pytest.mark.parametrize(
    ("kind", "sequence"),
    [("booking_confirmation", 0), ("reschedule_notice", 1), ("cancellation_notice", 2)],
)
def test_invites_pass_a_strict_rfc_5545_parser(kind, sequence):
    """`ical` (a second, strict parser) reads the same event back."""
    from ical.calendar_stream import IcsCalendarStream

    context = {
        **CONTEXT,
        "customer_email": "dana@example.com",
        "invite_sequence": sequence,
    }
    ics = render(kind, "email", context).attachments[0]["content"]

    calendar = IcsCalendarStream.calendar_from_ics(ics)
    (event,) = calendar.events
    assert event.uid == "appointment-7@voicehive"
    assert event.sequence == sequence
    assert event.dtstart == START
    assert [str(tz.tz_id) for tz in calendar.timezones] == ["America/Chicago"]


def test_sequence_must_fit_the_icalendar_integer():
    with pytest.raises(ValueError, match="SEQUENCE"):
        rendering.build_invite(
            uid="u",
            start_at=START,
            end_at=START,
            summary="x",
            sequence=int(dt.datetime(2038, 2, 1, tzinfo=dt.UTC).timestamp()),
        )


def test_reschedule_invite_keeps_the_uid_and_bumps_the_sequence():
    message = render("reschedule_notice", "email", {**CONTEXT, "invite_sequence": 2})

    event = icalendar.Calendar.from_ical(message.attachments[0]["content"])
    vevent = event.walk("VEVENT")[0]
    assert str(vevent["uid"]) == "appointment-7@voicehive"
    assert vevent["sequence"] == 2


def test_booking_invite_publishes_the_event():
    calendar = icalendar.Calendar.from_ical(
        render("booking_confirmation", "email").attachments[0]["content"]
    )

    assert str(calendar["method"]) == "PUBLISH"
    assert "status" not in calendar.walk("VEVENT")[0]


def test_cancellation_invite_cancels_the_same_event_with_a_higher_sequence():
    message = render("cancellation_notice", "email", {**CONTEXT, "invite_sequence": 3})

    (attachment,) = message.attachments
    assert attachment["filename"] == "invite.ics"
    assert attachment["mimetype"] == "text/calendar"
    calendar = icalendar.Calendar.from_ical(attachment["content"])
    vevent = calendar.walk("VEVENT")[0]
    assert str(calendar["method"]) == "CANCEL"
    assert str(vevent["status"]) == "CANCELLED"
    assert str(vevent["uid"]) == "appointment-7@voicehive"
    assert vevent["sequence"] == 3
    assert vevent.decoded("dtstart") == START


@pytest.mark.parametrize("kind", ["booking_confirmation", "cancellation_notice"])
def test_invites_name_the_business_as_organizer(kind, settings):
    settings.DEFAULT_FROM_EMAIL = "Roxy <roxy@voicehive.example>"

    calendar = icalendar.Calendar.from_ical(
        render(kind, "email").attachments[0]["content"]
    )

    organizer = calendar.walk("VEVENT")[0]["organizer"]
    assert str(organizer) == "mailto:roxy@voicehive.example"
    assert organizer.params["CN"] == "Maison Belle Hair Studio"


def test_staff_hear_where_a_moved_appointment_was():
    message = render("appointment_moved", "email")

    assert "Now: Saturday, March 14 at 2:00 PM until 4:30 PM (CDT)" in message.body
    assert "Was: Friday, March 13 at 2:00 PM (CDT)" in message.body
    assert "The old slot is free again." in message.html_body
    assert message.attachments == []  # staff work from the admin, not an invite


def test_other_kinds_have_no_attachments():
    assert render("appointment_reminder", "email").attachments == []
    assert render("booking_confirmation", "sms").attachments == []
    assert render("cancellation_notice", "sms").attachments == []


def test_invite_needs_aware_start_and_end():
    context = {**CONTEXT, "end_at": None}

    with pytest.raises(ValueError, match="start_at and end_at"):
        render("booking_confirmation", "email", context)


def test_invite_needs_a_uid():
    with pytest.raises(ValueError, match="uid"):
        render("booking_confirmation", "email", invite_uid="")


def test_unknown_kind_or_channel_is_a_programming_error():
    with pytest.raises(ValueError):
        render("birthday_card", "email")
    with pytest.raises(ValueError):
        render("daily_digest", "sms")


@pytest.mark.parametrize(("kind", "channel"), ALL_PAIRS)
def test_every_kind_renders_from_a_bare_context(kind, channel):
    bare = {"business_name": "Maison Belle"}
    if kind in rendering.INVITE_KINDS:
        bare |= {"start_at": START, "end_at": START + dt.timedelta(hours=1)}

    message = render(kind, channel, context=bare)

    assert "Maison Belle" in message.body
