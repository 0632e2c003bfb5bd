import datetime as dt
import logging
import zoneinfo

import icalendar
import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from apps.notifications import services
from apps.notifications.models import Notification
from tests.appointments.factories import AppointmentFactory
from tests.businesses.factories import BusinessFactory
from tests.calls.factories import CallFactory
from tests.leads.factories import LeadFactory
from tests.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
START = dt.datetime(2026, 3, 14, 13, 0, tzinfo=CHICAGO)


@pytest.fixture
def business():
    return BusinessFactory(name="Maison Belle", timezone="America/Chicago")


def queue(business, **kwargs):
    defaults = {
        "channel": "email",
        "kind": "new_lead",
        "recipient": "frontdesk@example.com",
        "context": {"caller_name": "Dana Whitfield", "caller_phone": "+15125550187"},
        "dedupe_key": "new_lead:1",
    }
    return services.queue_notification(business, **(defaults | kwargs))


def queue_booking_sms(business, **kwargs):
    return queue(
        business,
        channel="sms",
        kind="booking_confirmation",
        recipient="+15125550187",
        context={"customer_name": "Dana", "service_name": "Haircut", "start_at": START},
        dedupe_key="booking_confirmation:sms:1",
        **kwargs,
    )


# --- queue_notification ---


def test_queue_renders_and_stores_the_message(business, deliveries):
    lead, call = LeadFactory(business=business), CallFactory(business=business)

    notification = queue(business, lead=lead, call=call)

    notification.refresh_from_db()
    assert notification.status == Notification.Status.QUEUED
    assert notification.subject == "New lead: Dana Whitfield"
    assert "New lead for Maison Belle" in notification.body
    assert "Dana Whitfield" in notification.html_body
    assert notification.lead == lead and notification.call == call
    assert notification.enqueued_at is not None and notification.send_after is None


def test_queue_enqueues_delivery_after_commit(
    business, deliveries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = queue(business)

    assert len(callbacks) == 1
    deliveries.assert_called_once_with(notification.id)


def test_queue_twice_with_one_dedupe_key_keeps_one_row(
    business, deliveries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = queue(business)
        second = queue(business, context={"caller_name": "Someone else"})

    assert first.id == second.id
    assert Notification.objects.count() == 1
    deliveries.assert_called_once_with(first.id)


def test_broker_outage_never_reaches_the_caller(
    business, deliveries, django_capture_on_commit_callbacks, caplog
):
    deliveries.side_effect = OperationalError("Connection refused")

    with (
        caplog.at_level(logging.WARNING),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notification = queue(business)

    notification.refresh_from_db()
    assert notification.status == Notification.Status.QUEUED
    assert "the sweep will retry" in caplog.text


def test_business_details_fill_the_template_and_callers_can_override(
    business, deliveries
):
    business.phone = "+15125550142"
    business.save()

    notification = queue_booking_sms(business)

    assert notification.body.startswith("Maison Belle: you're booked, Dana!")
    assert "(512) 555-0142" in notification.body
    overridden = queue(
        business, context={"business_name": "MB Downtown"}, dedupe_key="other"
    )
    assert "MB Downtown" in overridden.body


def test_sms_recipient_is_normalised_to_e164(business, deliveries):
    notification = queue_booking_sms(business)
    assert notification.recipient == "+15125550187"

    other = queue(
        business,
        channel="sms",
        recipient="(512) 555-0111",
        dedupe_key="new_lead:sms:1",
    )
    assert other.recipient == "+15125550111"


@pytest.mark.parametrize(
    ("channel", "recipient"), [("email", "not-an-email"), ("sms", "call me maybe")]
)
def test_bad_recipient_gives_a_failed_row_not_an_exception(
    business, deliveries, django_capture_on_commit_callbacks, channel, recipient
):
    with django_capture_on_commit_callbacks(execute=True):
        notification = queue(business, channel=channel, recipient=recipient)

    assert notification.status == Notification.Status.FAILED
    assert "Invalid" in notification.last_error
    deliveries.assert_not_called()


def test_booking_confirmation_email_attaches_the_appointments_invite(
    business, deliveries
):
    appointment = AppointmentFactory(business=business)
    context = {"start_at": START, "end_at": START + dt.timedelta(hours=1)}

    notification = queue(
        business,
        kind="booking_confirmation",
        recipient="dana@example.com",
        context=context,
        appointment=appointment,
        dedupe_key="booking_confirmation:email:1",
    )

    (attachment,) = notification.attachments
    event = icalendar.Calendar.from_ical(attachment["content"]).walk("VEVENT")[0]
    assert str(event["uid"]) == f"appointment-{appointment.pk}@voicehive"
    assert event.decoded("dtstart") == dt.datetime(2026, 3, 14, 18, 0, tzinfo=dt.UTC)


# --- quiet hours ---


def test_caller_sms_at_night_waits_until_8am_local(
    business, deliveries, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(dt.datetime(2026, 6, 10, 22, 30, tzinfo=CHICAGO), tick=False)

    with django_capture_on_commit_callbacks(execute=True):
        notification = queue_booking_sms(business, respect_quiet_hours=True)

    assert notification.send_after == dt.datetime(2026, 6, 11, 8, 0, tzinfo=CHICAGO)
    assert notification.status == Notification.Status.QUEUED  # deferred, not dropped
    assert notification.enqueued_at is None
    deliveries.assert_not_called()  # the sweep rings it once it is due


def test_caller_sms_in_the_daytime_goes_now(business, deliveries, time_machine):
    time_machine.move_to(dt.datetime(2026, 6, 10, 14, 0, tzinfo=CHICAGO), tick=False)

    notification = queue_booking_sms(business, respect_quiet_hours=True)

    assert notification.send_after is None or notification.send_after <= timezone.now()
    assert notification.enqueued_at is not None


def test_staff_alerts_ignore_quiet_hours_by_default(business, deliveries, time_machine):
    time_machine.move_to(dt.datetime(2026, 6, 10, 23, 0, tzinfo=CHICAGO), tick=False)

    notification = queue(business, channel="sms", recipient="+15125550111")

    assert notification.send_after is None


def test_a_send_after_inside_quiet_hours_moves_to_their_end(
    business, deliveries, time_machine
):
    time_machine.move_to(dt.datetime(2026, 6, 10, 12, 0, tzinfo=CHICAGO), tick=False)
    reminder_at = dt.datetime(2026, 6, 11, 6, 0, tzinfo=CHICAGO)

    notification = queue_booking_sms(
        business, send_after=reminder_at, respect_quiet_hours=True
    )

    assert notification.send_after == dt.datetime(2026, 6, 11, 8, 0, tzinfo=CHICAGO)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        # Spring forward: 22:00 CST (UTC-6) to 08:00 CDT (UTC-5) is 9 hours, not 10.
        (
            dt.datetime(2026, 3, 7, 22, 0, tzinfo=CHICAGO),
            dt.datetime(2026, 3, 8, 13, 0, tzinfo=dt.UTC),
        ),
        # Fall back: 23:00 CDT to 08:00 CST is 10 hours.
        (
            dt.datetime(2026, 10, 31, 23, 0, tzinfo=CHICAGO),
            dt.datetime(2026, 11, 1, 14, 0, tzinfo=dt.UTC),
        ),
        # After midnight: later the same local day.
        (
            dt.datetime(2026, 3, 8, 1, 30, tzinfo=CHICAGO),
            dt.datetime(2026, 3, 8, 13, 0, tzinfo=dt.UTC),
        ),
    ],
)
def test_quiet_hours_end_at_8am_local_across_dst(when, expected):
    result = services.next_allowed_send_time(when, CHICAGO)

    assert result == expected
    assert result.astimezone(CHICAGO).hour == 8


@pytest.mark.parametrize("hour", [8, 12, 20])
def test_outside_quiet_hours_nothing_moves(hour):
    when = dt.datetime(2026, 3, 7, hour, 59, tzinfo=CHICAGO)

    assert services.next_allowed_send_time(when, CHICAGO) == when


def test_quiet_hours_may_sit_inside_one_day(settings):
    settings.QUIET_HOURS_START, settings.QUIET_HOURS_END = "12:00", "13:30"

    lunch = dt.datetime(2026, 3, 9, 12, 15, tzinfo=CHICAGO)
    evening = dt.datetime(2026, 3, 9, 22, 0, tzinfo=CHICAGO)

    assert services.next_allowed_send_time(lunch, CHICAGO) == dt.datetime(
        2026, 3, 9, 13, 30, tzinfo=CHICAGO
    )
    assert services.next_allowed_send_time(evening, CHICAGO) == evening


# --- notify_staff ---


def test_notify_staff_alerts_every_staff_address_and_phone(deliveries):
    business = BusinessFactory(
        notification_emails="desk@example.com, owner@example.com",
        notification_phones="+15125550111",
    )

    notifications = services.notify_staff(
        business,
        kind="new_lead",
        context={"caller_name": "Dana"},
        dedupe_key="new_lead:call-9",
    )

    assert sorted((n.channel, n.recipient) for n in notifications) == [
        ("email", "desk@example.com"),
        ("email", "owner@example.com"),
        ("sms", "+15125550111"),
    ]
    again = services.notify_staff(
        business, kind="new_lead", context={}, dedupe_key="new_lead:call-9"
    )
    assert {n.id for n in again} == {n.id for n in notifications}
    assert Notification.objects.count() == 3


def test_notify_staff_renders_each_channel_once_for_all_recipients(deliveries, mocker):
    business = BusinessFactory(
        notification_emails="desk@example.com, owner@example.com, a@example.com",
        notification_phones="+15125550111, +15125550112",
    )
    render = mocker.spy(services.rendering, "render_message")

    notifications = services.notify_staff(
        business,
        kind="new_lead",
        context={"caller_name": "Dana"},
        dedupe_key="new_lead:call-9",
    )

    assert sorted(call.kwargs["channel"] for call in render.call_args_list) == [
        "email",
        "sms",
    ]
    by_channel = {}
    for n in notifications:
        by_channel.setdefault(n.channel, set()).add((n.subject, n.body, n.html_body))
    assert len(notifications) == 5
    assert {channel: len(bodies) for channel, bodies in by_channel.items()} == {
        "email": 1,
        "sms": 1,
    }
    assert "Dana" in notifications[0].body


def test_notify_staff_skips_channels_a_kind_does_not_have(deliveries):
    business = BusinessFactory(
        notification_emails="desk@example.com", notification_phones="+15125550111"
    )

    notifications = services.notify_staff(
        business, kind="daily_digest", context={}, dedupe_key="digest:2026-03-14"
    )

    assert [n.channel for n in notifications] == ["email"]


def test_notify_staff_can_be_limited_to_email(deliveries):
    business = BusinessFactory(
        notification_emails="desk@example.com", notification_phones="+15125550111"
    )

    notifications = services.notify_staff(
        business,
        kind="missed_call",
        context={},
        dedupe_key="missed:1",
        channels=("email",),
    )

    assert [n.channel for n in notifications] == ["email"]


def test_notify_staff_keeps_long_dedupe_keys_within_the_column(deliveries):
    long_address = f"{'a' * 60}@{'b' * 60}.example.com"
    business = BusinessFactory(notification_emails=long_address, notification_phones="")

    (notification,) = services.notify_staff(
        business, kind="new_lead", context={}, dedupe_key="k" * 200
    )

    assert len(notification.dedupe_key) <= 255
    assert notification.recipient == long_address


def test_losing_a_dedupe_race_returns_the_winning_row(
    business, deliveries, django_capture_on_commit_callbacks
):
    # A concurrent caller inserted first; our INSERT is refused by the unique key
    # (there is no existence check to pass first: every duplicate takes this path).
    winner = NotificationFactory(business=business, dedupe_key="new_lead:1")

    with django_capture_on_commit_callbacks(execute=True):
        loser = queue(business)

    assert loser.id == winner.id
    assert Notification.objects.count() == 1
    deliveries.assert_not_called()


def test_a_new_notification_is_inserted_without_a_lookup_first(
    business, deliveries, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4) as captured:  # savepoint, INSERT, release
        queue(business)

    assert [
        q["sql"].split()[0]
        for q in captured.captured_queries
        if '"notifications_notification"' in q["sql"]
    ] == ["INSERT"]
