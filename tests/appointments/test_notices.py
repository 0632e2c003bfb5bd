import datetime as dt
import zoneinfo

import icalendar
import pytest

from apps.appointments import notices
from apps.appointments import services as appointment_services
from apps.appointments.models import Appointment
from apps.notifications.models import Notification
from tests.appointments.factories import (
    AppointmentFactory,
    ProviderFactory,
    ServiceFactory,
)
from tests.businesses.factories import BusinessFactory
from tests.calls.factories import CallFactory
from tests.leads.factories import LeadFactory

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
WEDNESDAY_3PM = dt.datetime(2025, 3, 12, 15, tzinfo=CHICAGO)
SATURDAY_1PM = dt.datetime(2025, 3, 15, 13, tzinfo=CHICAGO)

pytestmark = [
    pytest.mark.django_db,
    # Booked on a Wednesday afternoon unless a test moves the clock.
    pytest.mark.time_machine(WEDNESDAY_3PM, tick=False),
]


@pytest.fixture(autouse=True)
def notice_settings(settings):
    settings.QUIET_HOURS_START = "21:00"
    settings.QUIET_HOURS_END = "08:00"
    settings.REMINDER_LEAD_HOURS = 24
    settings.SITE_URL = ""


@pytest.fixture
def salon():
    business = BusinessFactory(
        name="Maison Belle",
        notification_emails="frontdesk@example.com",
        notification_phones="+15125550111",
    )
    service = ServiceFactory(business=business, name="Haircut", duration_minutes=60)
    provider = ProviderFactory(business=business, name="Maria", services=[service])
    return business, service, provider


@pytest.fixture
def lead(salon):
    return LeadFactory(
        business=salon[0],
        name="Dana Whitfield",
        phone="+15125550187",
        email="dana@example.com",
    )


def book(salon, lead=None, start_at=SATURDAY_1PM, **kwargs) -> Appointment:
    _, service, provider = salon
    return appointment_services.book_appointment(
        service, provider=provider, start_at=start_at, lead=lead, **kwargs
    )


def to_caller(lead):
    return Notification.objects.filter(recipient__in=[lead.email, lead.phone])


def invite(notification: Notification) -> icalendar.Calendar:
    (attachment,) = notification.attachments
    assert attachment["mimetype"] == "text/calendar"
    return icalendar.Calendar.from_ical(attachment["content"])


def sent(kind=None) -> list[tuple[str, str, str]]:
    rows = Notification.objects.order_by("kind", "channel", "recipient")
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows.values_list("kind", "channel", "recipient"))


# --- Booking ---


def test_roxys_booking_confirms_to_the_caller_and_alerts_staff(
    salon, lead, deliveries, django_capture_on_commit_callbacks
):
    call = CallFactory(business=salon[0], lead=lead)

    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(salon, lead, source_call=call)

    assert sent() == [
        ("booking_confirmation", "email", "dana@example.com"),
        ("booking_confirmation", "sms", "+15125550187"),
        ("new_booking", "email", "frontdesk@example.com"),
        ("new_booking", "sms", "+15125550111"),
    ]
    email = Notification.objects.get(kind="booking_confirmation", channel="email")
    assert email.appointment == appointment and email.lead == lead
    assert email.subject == "You're booked at Maison Belle: Sat, Mar 15 at 1:00 PM"
    (invite,) = email.attachments
    assert invite["mimetype"] == "text/calendar"
    assert f"UID:appointment-{appointment.pk}@voicehive" in invite["content"]
    # The business's zone, with its VTIMEZONE (#17).
    assert "DTSTART;TZID=America/Chicago:20250315T130000" in invite["content"]
    assert "BEGIN:VTIMEZONE" in invite["content"]
    assert (
        email.dedupe_key == f"booking_confirmation:appointment:{appointment.pk}:email"
    )
    staff = Notification.objects.get(kind="new_booking", channel="email")
    assert "Who: Dana Whitfield ((512) 555-0187)" in staff.body
    assert staff.call == call
    assert deliveries.call_count == 4  # every row rung on commit


def test_a_booking_staff_made_in_the_admin_only_confirms_to_the_caller(salon, lead):
    book(salon, lead)

    assert [kind for kind, *_ in sent()] == ["booking_confirmation"] * 2


@pytest.mark.parametrize(
    ("lead_fields", "channels"),
    [
        ({"has_sms_consent": False}, ["email"]),
        ({"has_email_consent": False}, ["sms"]),
        ({"email": ""}, ["sms"]),
        ({"has_sms_consent": False, "has_email_consent": False}, []),
    ],
)
def test_the_caller_is_written_to_only_with_consent(salon, lead_fields, channels):
    lead = LeadFactory(business=salon[0], phone="+15125550187", **lead_fields)

    book(salon, lead)

    assert [channel for _, channel, _ in sent("booking_confirmation")] == channels


def test_no_lead_means_no_caller_messages(salon):
    book(salon)

    assert sent() == []


def test_a_booking_in_the_past_sends_nothing(salon, lead, time_machine):
    time_machine.move_to(SATURDAY_1PM + dt.timedelta(days=1), tick=False)

    book(salon, lead)

    assert sent() == []


def test_caller_texts_wait_for_the_end_of_quiet_hours(salon, lead, time_machine):
    time_machine.move_to(dt.datetime(2025, 3, 12, 22, 30, tzinfo=CHICAGO), tick=False)

    book(salon, lead)

    sms = Notification.objects.get(kind="booking_confirmation", channel="sms")
    email = Notification.objects.get(kind="booking_confirmation", channel="email")
    assert sms.send_after == dt.datetime(2025, 3, 13, 8, tzinfo=CHICAGO)
    assert sms.enqueued_at is None  # the sweep rings it once it is due
    assert email.send_after is None


def test_a_failure_to_queue_messages_never_undoes_the_booking(
    salon, lead, mocker, caplog
):
    mocker.patch(
        "apps.appointments.notices.queue_booking_notices",
        side_effect=RuntimeError("template broken"),
    )

    appointment = book(salon, lead)

    assert Appointment.objects.filter(pk=appointment.pk).exists()
    assert "Could not queue messages for appointment" in caplog.text


# --- Rescheduling and cancelling ---


def test_a_reschedule_tells_the_caller_with_an_updated_invite(salon, lead):
    appointment = book(salon, lead)
    new_time = SATURDAY_1PM + dt.timedelta(hours=2)
    # The confirmation went out (a queued one would be withdrawn, never seen).
    Notification.objects.filter(kind="booking_confirmation").update(status="sent")

    appointment_services.reschedule_appointment(appointment, start_at=new_time)

    assert sent("reschedule_notice") == [
        ("reschedule_notice", "email", "dana@example.com"),
        ("reschedule_notice", "sms", "+15125550187"),
    ]
    sms = Notification.objects.get(kind="reschedule_notice", channel="sms")
    assert "is now Sat, Mar 15 at 3:00 PM (was Sat, Mar 15 1:00 PM)" in sms.body
    email = Notification.objects.get(kind="reschedule_notice", channel="email")
    (invite,) = email.attachments
    assert f"UID:appointment-{appointment.pk}@voicehive" in invite["content"]
    assert "SEQUENCE:1" in invite["content"]  # replaces the first invite (#17)
    assert "DTSTART;TZID=America/Chicago:20250315T150000" in invite["content"]


def test_each_move_gets_its_own_notice(salon, lead, time_machine):
    appointment = book(salon, lead)

    for minutes, hours in enumerate((2, 0, 2), start=1):
        time_machine.move_to(WEDNESDAY_3PM + dt.timedelta(minutes=minutes), tick=False)
        appointment_services.reschedule_appointment(
            appointment, start_at=SATURDAY_1PM + dt.timedelta(hours=hours)
        )
        Notification.objects.update(status=Notification.Status.SENT)

    assert len(sent("reschedule_notice")) == 6


def test_a_newer_move_replaces_a_notice_not_yet_sent(salon, lead, time_machine):
    appointment = book(salon, lead)

    for minutes, hours in enumerate((2, 4), start=1):
        time_machine.move_to(WEDNESDAY_3PM + dt.timedelta(minutes=minutes), tick=False)
        appointment_services.reschedule_appointment(
            appointment, start_at=SATURDAY_1PM + dt.timedelta(hours=hours)
        )

    (sms,) = to_caller(lead).filter(channel="sms")
    assert sms.kind == "reschedule_notice"
    assert "is now Sat, Mar 15 at 5:00 PM" in sms.body


def test_a_move_withdraws_messages_about_the_old_time_not_yet_sent(
    salon, lead, time_machine
):
    # In quiet hours.
    time_machine.move_to(dt.datetime(2025, 3, 12, 22, 30, tzinfo=CHICAGO), tick=False)
    appointment = book(salon, lead)
    Notification.objects.filter(channel="email").update(status=Notification.Status.SENT)

    appointment_services.reschedule_appointment(
        appointment, start_at=SATURDAY_1PM + dt.timedelta(hours=2)
    )

    kinds = sorted(to_caller(lead).values_list("kind", "channel", "status"))
    assert kinds == [
        ("booking_confirmation", "email", "sent"),  # already out: kept as a record
        ("reschedule_notice", "email", "queued"),
        ("reschedule_notice", "sms", "queued"),  # the old-time SMS is gone
    ]


def test_a_move_alerts_staff_with_the_old_and_new_time(
    salon, lead, settings, deliveries, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://app.voicehive.example"
    appointment = book(salon, lead)

    with django_capture_on_commit_callbacks(execute=True):
        appointment_services.reschedule_appointment(
            appointment, start_at=SATURDAY_1PM + dt.timedelta(days=1, hours=2)
        )

    assert sent("appointment_moved") == [
        ("appointment_moved", "email", "frontdesk@example.com"),
        ("appointment_moved", "sms", "+15125550111"),
    ]
    email = Notification.objects.get(kind="appointment_moved", channel="email")
    assert email.subject == "Moved: Dana Whitfield, Haircut now Sun, Mar 16 at 3:00 PM"
    assert "Who: Dana Whitfield ((512) 555-0187)" in email.body
    assert "What: Haircut with Maria" in email.body
    assert "Now: Sunday, March 16 at 3:00 PM until 4:00 PM (CDT)" in email.body
    assert "Was: Saturday, March 15 at 1:00 PM (CDT)" in email.body
    admin_link = (
        f"https://app.voicehive.example/admin/appointments/appointment/"
        f"{appointment.pk}/change/"
    )
    assert f"Open in VoiceHive: {admin_link}" in email.body
    assert admin_link in email.html_body
    assert email.appointment == appointment and email.lead == lead
    sms = Notification.objects.get(kind="appointment_moved", channel="sms")
    assert sms.body == (
        "Maison Belle: moved. Dana Whitfield ((512) 555-0187), Haircut with Maria "
        "is now Sun, Mar 16 at 3:00 PM (was Sat, Mar 15 1:00 PM)."
    )
    assert deliveries.call_count == 4  # caller's email and SMS, staff's email and SMS


def test_staff_hear_of_a_move_once_per_new_time_and_provider(salon, lead):
    business, service, maria = salon
    jess = ProviderFactory(business=business, name="Jess", services=[service])
    appointment = book(salon, lead)
    three_pm = SATURDAY_1PM + dt.timedelta(hours=2)
    appointment_services.reschedule_appointment(appointment, start_at=three_pm)
    appointment.refresh_from_db()

    # The same move's messages queued again (a redelivery) find the alerts queued.
    notices.queue_reschedule_notices(appointment, previous_start_at=SATURDAY_1PM)
    appointment_services.reschedule_appointment(
        appointment, start_at=three_pm, provider=jess
    )

    staff_sms = Notification.objects.filter(kind="appointment_moved", channel="sms")
    assert [n.body.split(", ")[1] for n in staff_sms.order_by("id")] == [
        "Haircut with Maria is now Sat",
        "Haircut with Jess is now Sat",
    ]
    assert Notification.objects.filter(kind="appointment_moved").count() == 4


def test_a_move_to_a_time_already_past_alerts_nobody(salon, lead, time_machine):
    appointment = book(salon, lead)
    time_machine.move_to(SATURDAY_1PM + dt.timedelta(hours=3), tick=False)

    appointment_services.reschedule_appointment(
        appointment, start_at=SATURDAY_1PM + dt.timedelta(hours=2)
    )

    assert sent("appointment_moved") == [] and sent("reschedule_notice") == []


def test_a_cancellation_tells_the_caller_and_staff(salon, lead):
    appointment = book(salon, lead)

    appointment_services.cancel_appointment(appointment, reason="Feeling unwell")
    appointment_services.cancel_appointment(appointment, reason="again")

    assert sent("cancellation_notice") == [
        ("cancellation_notice", "email", "dana@example.com"),
        ("cancellation_notice", "sms", "+15125550187"),
    ]
    assert sent("cancellation") == [
        ("cancellation", "email", "frontdesk@example.com"),
        ("cancellation", "sms", "+15125550111"),
    ]
    staff = Notification.objects.get(kind="cancellation", channel="email")
    assert "Reason: Feeling unwell" in staff.body


def test_a_cancellation_email_takes_the_event_off_the_callers_calendar(
    salon, lead, time_machine
):
    appointment = book(salon, lead)
    Notification.objects.update(status=Notification.Status.SENT)
    time_machine.move_to(WEDNESDAY_3PM + dt.timedelta(hours=1), tick=False)
    appointment_services.reschedule_appointment(
        appointment, start_at=SATURDAY_1PM + dt.timedelta(hours=2)
    )
    Notification.objects.update(status=Notification.Status.SENT)
    time_machine.move_to(WEDNESDAY_3PM + dt.timedelta(hours=2), tick=False)

    appointment_services.cancel_appointment(appointment)

    earlier = [
        invite(Notification.objects.get(kind=kind, channel="email"))
        for kind in ("booking_confirmation", "reschedule_notice")
    ]
    email = Notification.objects.get(kind="cancellation_notice", channel="email")
    cancel = invite(email)
    (event,) = cancel.walk("VEVENT")
    assert str(cancel["method"]) == "CANCEL"
    assert str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == f"appointment-{appointment.pk}@voicehive"
    assert {str(c.walk("VEVENT")[0]["uid"]) for c in earlier} == {str(event["uid"])}
    assert [str(c["method"]) for c in earlier] == ["PUBLISH", "PUBLISH"]
    assert event["sequence"] > max(c.walk("VEVENT")[0]["sequence"] for c in earlier)
    assert "takes it off your calendar" in email.body


def test_a_cancellation_in_the_same_second_as_a_move_still_outranks_its_invite(
    salon, lead
):
    appointment = book(salon, lead)
    appointment_services.reschedule_appointment(
        appointment, start_at=SATURDAY_1PM + dt.timedelta(hours=2)
    )
    Notification.objects.update(status=Notification.Status.SENT)

    appointment_services.cancel_appointment(appointment)

    move, cancel = (
        invite(Notification.objects.get(kind=kind, channel="email")).walk("VEVENT")[0]
        for kind in ("reschedule_notice", "cancellation_notice")
    )
    assert cancel["sequence"] == move["sequence"] + 1


def test_a_cancellation_withdraws_a_queued_reminder(salon, lead, time_machine):
    appointment = book(salon, lead)
    time_machine.move_to(SATURDAY_1PM - dt.timedelta(hours=20), tick=False)
    notices.send_due_reminders()
    assert len(sent("appointment_reminder")) == 2

    appointment_services.cancel_appointment(appointment)

    assert sent("appointment_reminder") == []


# --- Reminders ---


def test_a_reminder_is_queued_within_the_lead_time_and_stamped(
    salon, lead, time_machine
):
    appointment = book(salon, lead)
    now = SATURDAY_1PM - dt.timedelta(hours=23)
    time_machine.move_to(now, tick=False)

    assert notices.send_due_reminders() == 1

    assert sent("appointment_reminder") == [
        ("appointment_reminder", "email", "dana@example.com"),
        ("appointment_reminder", "sms", "+15125550187"),
    ]
    sms = Notification.objects.get(kind="appointment_reminder", channel="sms")
    assert "on Sat, Mar 15 at 1:00 PM" in sms.body
    appointment.refresh_from_db()
    assert appointment.reminder_sent_at == now


def test_a_confirmation_inside_the_reminder_window_is_the_reminder(
    salon, lead, time_machine
):
    now = SATURDAY_1PM - dt.timedelta(hours=20)
    time_machine.move_to(now, tick=False)

    appointment = book(salon, lead)
    time_machine.move_to(now + dt.timedelta(minutes=10), tick=False)  # the next sweep

    assert notices.send_due_reminders() == 0
    assert [kind for kind, *_ in sent()] == ["booking_confirmation"] * 2
    appointment.refresh_from_db()
    assert appointment.reminder_sent_at == now


def test_a_move_into_the_reminder_window_is_the_reminder(salon, lead, time_machine):
    appointment = book(salon, lead, start_at=SATURDAY_1PM + dt.timedelta(days=7))
    now = SATURDAY_1PM - dt.timedelta(hours=20)
    time_machine.move_to(now, tick=False)

    appointment_services.reschedule_appointment(appointment, start_at=SATURDAY_1PM)
    time_machine.move_to(now + dt.timedelta(minutes=10), tick=False)

    assert notices.send_due_reminders() == 0
    assert sent("appointment_reminder") == []
    appointment.refresh_from_db()
    assert appointment.reminder_sent_at == now


def test_a_move_within_the_window_after_the_reminder_needs_no_second_one(
    salon, lead, time_machine
):
    appointment = book(salon, lead)
    time_machine.move_to(SATURDAY_1PM - dt.timedelta(hours=20), tick=False)
    notices.send_due_reminders()
    Notification.objects.update(status=Notification.Status.SENT)

    appointment_services.reschedule_appointment(
        appointment, start_at=SATURDAY_1PM + dt.timedelta(hours=3)
    )

    assert notices.send_due_reminders() == 0
    assert len(sent("appointment_reminder")) == 2  # only the one for 1:00 PM


def test_a_booking_in_the_window_that_tells_the_caller_nothing_keeps_its_reminder(
    salon, time_machine
):
    silent = LeadFactory(
        business=salon[0], has_sms_consent=False, has_email_consent=False
    )
    time_machine.move_to(SATURDAY_1PM - dt.timedelta(hours=20), tick=False)

    appointment = book(salon, silent)

    appointment.refresh_from_db()
    assert appointment.reminder_sent_at is None


def test_when_booking_messages_fail_to_queue_the_sweep_still_reminds(
    salon, lead, time_machine, mocker
):
    mocker.patch(
        "apps.notifications.services.notify_staff",
        side_effect=RuntimeError("template broken"),
    )
    call = CallFactory(business=salon[0], lead=lead)
    time_machine.move_to(SATURDAY_1PM - dt.timedelta(hours=20), tick=False)

    appointment = book(salon, lead, source_call=call)

    assert sent() == []  # the confirmation rolled back with the staff alert
    appointment.refresh_from_db()
    assert appointment.reminder_sent_at is None
    assert notices.send_due_reminders() == 1


def test_a_confirmation_text_that_quiet_hours_would_hold_past_the_visit_is_dropped(
    salon, lead, time_machine
):
    time_machine.move_to(dt.datetime(2025, 3, 12, 22, 30, tzinfo=CHICAGO), tick=False)

    book(salon, lead, start_at=dt.datetime(2025, 3, 13, 7, 30, tzinfo=CHICAGO))

    assert sent() == [("booking_confirmation", "email", "dana@example.com")]


def test_no_reminder_before_the_lead_time(salon, lead, time_machine):
    book(salon, lead)
    time_machine.move_to(SATURDAY_1PM - dt.timedelta(hours=24, minutes=1), tick=False)

    assert notices.send_due_reminders() == 0
    assert sent("appointment_reminder") == []


def test_reminders_are_queued_once(salon, lead, time_machine):
    book(salon, lead)
    time_machine.move_to(SATURDAY_1PM - dt.timedelta(hours=23), tick=False)

    notices.send_due_reminders()
    assert notices.send_due_reminders() == 0

    assert len(sent("appointment_reminder")) == 2


@pytest.mark.parametrize(
    "status",
    [Appointment.Status.CANCELLED, Appointment.Status.COMPLETED],
)
def test_inactive_appointments_get_no_reminder(salon, lead, time_machine, status):
    appointment = book(salon, lead)
    Appointment.objects.filter(pk=appointment.pk).update(status=status)
    time_machine.move_to(SATURDAY_1PM - dt.timedelta(hours=2), tick=False)

    assert notices.send_due_reminders() == 0


def test_a_moved_appointment_gets_a_reminder_for_its_new_time(
    salon, lead, time_machine
):
    appointment = book(salon, lead)
    time_machine.move_to(SATURDAY_1PM - dt.timedelta(hours=20), tick=False)
    notices.send_due_reminders()
    Notification.objects.update(status=Notification.Status.SENT)
    monday_4pm = SATURDAY_1PM + dt.timedelta(days=2, hours=3)

    appointment_services.reschedule_appointment(appointment, start_at=monday_4pm)
    time_machine.move_to(monday_4pm - dt.timedelta(hours=20), tick=False)
    notices.send_due_reminders()

    keys = sorted(
        Notification.objects.filter(
            kind="appointment_reminder", channel="sms"
        ).values_list("dedupe_key", flat=True)
    )
    assert keys == [
        f"appointment_reminder:appointment:{appointment.pk}:20250315T180000Z:sms",
        f"appointment_reminder:appointment:{appointment.pk}:20250317T210000Z:sms",
    ]


def test_a_reminder_queued_for_a_time_changed_behind_our_back_is_withdrawn(
    salon, lead, time_machine
):
    appointment = book(salon, lead)
    time_machine.move_to(SATURDAY_1PM - dt.timedelta(hours=20), tick=False)
    notices.send_due_reminders()
    # Moved without the booking services, so no hook withdrew the reminder.
    moved = SATURDAY_1PM + dt.timedelta(days=7)
    Appointment.objects.filter(pk=appointment.pk).update(
        start_at=moved,
        end_at=moved + dt.timedelta(hours=1),
        blocked_until=moved + dt.timedelta(hours=1),
    )

    notices.send_due_reminders()

    assert sent("appointment_reminder") == []


def test_a_reminder_text_that_quiet_hours_would_hold_past_the_visit_is_dropped(
    salon, lead, time_machine
):
    early = dt.datetime(2025, 3, 13, 7, 30, tzinfo=CHICAGO)
    time_machine.move_to(early - dt.timedelta(days=3), tick=False)
    book(salon, lead, start_at=early)
    time_machine.move_to(dt.datetime(2025, 3, 12, 22, 0, tzinfo=CHICAGO), tick=False)

    notices.send_due_reminders()

    assert [c for _, c, _ in sent("appointment_reminder")] == ["email"]


@pytest.mark.parametrize(
    ("visit", "now", "due"),
    [
        # Sunday 9 March 2025: clocks spring forward at 2:00. 24 elapsed hours
        # before 9:00 CDT that morning is 8:00 CST the day before.
        (
            dt.datetime(2025, 3, 9, 9, tzinfo=CHICAGO),
            dt.datetime(2025, 3, 8, 8, 0, tzinfo=CHICAGO),
            True,
        ),
        (
            dt.datetime(2025, 3, 9, 9, tzinfo=CHICAGO),
            dt.datetime(2025, 3, 8, 7, 59, tzinfo=CHICAGO),
            False,
        ),
        # Monday 10 March, the day after: the 24 hours no longer span the change.
        (
            dt.datetime(2025, 3, 10, 9, tzinfo=CHICAGO),
            dt.datetime(2025, 3, 9, 9, 0, tzinfo=CHICAGO),
            True,
        ),
        (
            dt.datetime(2025, 3, 10, 9, tzinfo=CHICAGO),
            dt.datetime(2025, 3, 9, 8, 59, tzinfo=CHICAGO),
            False,
        ),
    ],
)
def test_the_lead_time_is_elapsed_hours_across_the_spring_forward(
    salon, lead, time_machine, visit, now, due
):
    time_machine.move_to(visit - dt.timedelta(days=5), tick=False)
    AppointmentFactory(
        business=salon[0],
        service=salon[1],
        provider=salon[2],
        lead=lead,
        start_at=visit,
    )
    time_machine.move_to(now, tick=False)

    assert notices.send_due_reminders() == int(due)

    if due:
        email = Notification.objects.get(kind="appointment_reminder", channel="email")
        assert "at 9:00 AM" in email.body  # local wall-clock time, after the change
