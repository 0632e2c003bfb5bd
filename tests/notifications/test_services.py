import datetime as dt
import logging
import zoneinfo

import icalendar
import pytest
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError

from apps.notifications import services
from apps.notifications.channels import DeliveryError
from apps.notifications.models import Notification
from apps.notifications.services import TransientDeliveryError
from tests.appointments.factories import AppointmentFactory
from tests.businesses.factories import BusinessFactory
from tests.calls.factories import CallFactory
from tests.leads.factories import LeadFactory
from tests.notifications.factories import NotificationFactory, SmsNotificationFactory

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


# --- deliver_notification ---


def test_deliver_sends_and_marks_sent():
    notification = NotificationFactory(subject="New lead", body="Dana called")

    delivered = services.deliver_notification(notification.id)

    (sent,) = mail.outbox
    assert sent.subject == "New lead" and sent.to == ["frontdesk@example.com"]
    assert delivered.status == Notification.Status.SENT
    assert delivered.provider_message_id == "0"
    assert delivered.sent_at is not None and delivered.attempts == 1


def test_deliver_sends_sms(sms_outbox):
    notification = SmsNotificationFactory()

    delivered = services.deliver_notification(notification.id)

    assert len(sms_outbox) == 1
    assert delivered.provider_message_id == "locmem-1"


def test_delivering_twice_sends_once():
    notification = NotificationFactory()

    services.deliver_notification(notification.id)
    second = services.deliver_notification(notification.id)

    assert second is None
    assert len(mail.outbox) == 1


def test_delivery_query_budget(django_assert_max_num_queries):
    notification = NotificationFactory()

    with django_assert_max_num_queries(4):  # claim, load, mark sent, reload
        services.deliver_notification(notification.id)


def test_deliver_waits_for_send_after():
    notification = NotificationFactory(
        send_after=timezone.now() + dt.timedelta(hours=1)
    )

    assert services.deliver_notification(notification.id) is None
    assert mail.outbox == []
    notification.refresh_from_db()
    assert notification.status == Notification.Status.QUEUED


def test_deliver_of_a_missing_row_is_a_noop():
    assert services.deliver_notification(123456) is None


def test_transient_failure_requeues_and_raises(mocker):
    notification = NotificationFactory()
    mocker.patch(
        "apps.notifications.channels.send", side_effect=DeliveryError("Twilio 503")
    )

    with pytest.raises(TransientDeliveryError, match="Twilio 503"):
        services.deliver_notification(notification.id)

    notification.refresh_from_db()
    assert notification.status == Notification.Status.QUEUED
    assert notification.attempts == 1
    assert notification.last_error == "Twilio 503"
    assert notification.claimed_at is None


def test_a_requeued_row_can_be_delivered_on_retry(mocker):
    notification = NotificationFactory()
    mocker.patch(
        "apps.notifications.channels.send",
        side_effect=[DeliveryError("busy"), "msg-2"],
    )

    with pytest.raises(TransientDeliveryError):
        services.deliver_notification(notification.id)
    delivered = services.deliver_notification(notification.id)

    assert delivered.status == Notification.Status.SENT
    assert delivered.attempts == 2
    assert delivered.last_error == ""


def test_transient_failure_on_the_last_attempt_fails_for_good(mocker, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 6
    notification = NotificationFactory(attempts=5)
    mocker.patch("apps.notifications.channels.send", side_effect=DeliveryError("busy"))

    delivered = services.deliver_notification(notification.id)

    assert delivered.status == Notification.Status.FAILED
    assert delivered.attempts == 6


def test_permanent_failure_marks_failed_without_raising(mocker):
    notification = SmsNotificationFactory()
    mocker.patch(
        "apps.notifications.channels.send",
        side_effect=DeliveryError("21211 invalid number", permanent=True),
    )

    delivered = services.deliver_notification(notification.id)

    assert delivered.status == Notification.Status.FAILED
    assert delivered.last_error == "21211 invalid number"


def test_a_row_that_changed_hands_mid_send_is_left_alone(mocker):
    notification = NotificationFactory()
    later = timezone.now() + dt.timedelta(minutes=5)

    def sweep_released_and_someone_reclaimed(_notification):
        Notification.objects.filter(id=notification.id).update(claimed_at=later)
        return "msg-1"

    mocker.patch(
        "apps.notifications.channels.send",
        side_effect=sweep_released_and_someone_reclaimed,
    )

    services.deliver_notification(notification.id)

    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENDING
    assert notification.claimed_at == later


# --- sweep_notifications ---


def ago(**kwargs) -> dt.datetime:
    return timezone.now() - dt.timedelta(**kwargs)


def test_sweep_rings_due_rows_that_were_not_picked_up(deliveries, settings):
    settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS = 120
    lost = NotificationFactory(enqueued_at=ago(minutes=5))
    fresh = NotificationFactory(enqueued_at=ago(seconds=30))
    deferred = NotificationFactory(send_after=ago(hours=-1))
    now_due = NotificationFactory(send_after=ago(seconds=10))  # never rung
    NotificationFactory(enqueued_at=ago(hours=1), status=Notification.Status.SENT)

    counts = services.sweep_notifications()

    assert counts == {"released": 0, "failed": 0, "enqueued": 2}
    assert {c.args[0] for c in deliveries.call_args_list} == {lost.id, now_due.id}
    lost.refresh_from_db(), fresh.refresh_from_db(), deferred.refresh_from_db()
    assert lost.enqueued_at > ago(seconds=5)
    assert deferred.enqueued_at is None


def test_sweep_does_not_ring_the_same_row_every_minute(deliveries):
    NotificationFactory(enqueued_at=ago(hours=1))

    services.sweep_notifications()
    services.sweep_notifications()

    assert deliveries.call_count == 1


def test_sweep_releases_sending_rows_past_the_hard_time_limit(deliveries, settings):
    settings.CELERY_TASK_TIME_LIMIT = 180
    stale = NotificationFactory(
        status=Notification.Status.SENDING, claimed_at=ago(minutes=10), attempts=1
    )
    busy = NotificationFactory(
        status=Notification.Status.SENDING, claimed_at=ago(seconds=30), attempts=1
    )

    counts = services.sweep_notifications()

    assert counts == {"released": 1, "failed": 0, "enqueued": 1}
    stale.refresh_from_db(), busy.refresh_from_db()
    assert stale.status == Notification.Status.QUEUED and stale.claimed_at is None
    assert busy.status == Notification.Status.SENDING
    deliveries.assert_called_once_with(stale.id)


def test_sweep_gives_up_on_rows_whose_workers_keep_dying(deliveries, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 6
    doomed = NotificationFactory(
        status=Notification.Status.SENDING, claimed_at=ago(hours=1), attempts=6
    )

    counts = services.sweep_notifications()

    assert counts["failed"] == 1
    doomed.refresh_from_db()
    assert doomed.status == Notification.Status.FAILED
    deliveries.assert_not_called()


def test_sweep_takes_at_most_a_batch(deliveries, settings):
    settings.NOTIFICATIONS_SWEEP_BATCH_SIZE = 2
    NotificationFactory.create_batch(3, enqueued_at=None)

    assert services.sweep_notifications()["enqueued"] == 2
    assert services.sweep_notifications()["enqueued"] == 1


def test_sweep_survives_a_broker_outage(deliveries):
    deliveries.side_effect = OperationalError("down")
    NotificationFactory(enqueued_at=None)

    assert services.sweep_notifications()["enqueued"] == 1


# --- record_delivery_event ---


@pytest.mark.parametrize(
    ("event_type", "status"),
    [
        ("delivered", Notification.Status.DELIVERED),
        ("bounced", Notification.Status.BOUNCED),
        ("complained", Notification.Status.COMPLAINED),
        ("rejected", Notification.Status.FAILED),
    ],
)
def test_tracking_events_update_the_status(event_type, status):
    notification = NotificationFactory(
        status=Notification.Status.SENT, provider_message_id="pm-1"
    )

    updated = services.record_delivery_event(
        provider_message_id="pm-1", event_type=event_type, description="550 no mailbox"
    )

    assert updated.id == notification.id
    assert updated.status == status
    if event_type != "delivered":
        assert "550 no mailbox" in updated.last_error


def test_a_late_delivered_event_does_not_hide_a_bounce():
    NotificationFactory(status=Notification.Status.BOUNCED, provider_message_id="pm-1")

    updated = services.record_delivery_event(
        provider_message_id="pm-1", event_type="delivered"
    )

    assert updated.status == Notification.Status.BOUNCED


def test_opens_clicks_and_unknown_messages_are_ignored():
    NotificationFactory(status=Notification.Status.SENT, provider_message_id="pm-1")

    assert (
        services.record_delivery_event(provider_message_id="pm-1", event_type="opened")
        is None
    )
    assert (
        services.record_delivery_event(
            provider_message_id="nope", event_type="delivered"
        )
        is None
    )


# --- requeue_notifications ---


def test_requeue_sends_finished_rows_again(
    deliveries, django_capture_on_commit_callbacks
):
    failed = NotificationFactory(
        status=Notification.Status.FAILED, attempts=6, last_error="boom"
    )
    pending = NotificationFactory(status=Notification.Status.SENDING)

    with django_capture_on_commit_callbacks(execute=True):
        count = services.requeue_notifications(Notification.objects.all())

    assert count == 1
    failed.refresh_from_db(), pending.refresh_from_db()
    assert failed.status == Notification.Status.QUEUED and failed.attempts == 0
    assert pending.status == Notification.Status.SENDING
    deliveries.assert_called_once_with(failed.id)


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
