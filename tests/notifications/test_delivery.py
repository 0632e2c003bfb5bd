import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError

from apps.notifications import delivery
from apps.notifications.channels import DeliveryError
from apps.notifications.models import Notification
from tests.notifications.factories import NotificationFactory, SmsNotificationFactory

pytestmark = pytest.mark.django_db


# --- deliver_notification ---


def test_deliver_sends_and_marks_sent():
    notification = NotificationFactory(subject="New lead", body="Dana called")

    delivered = delivery.deliver_notification(notification.id)

    (sent,) = mail.outbox
    assert sent.subject == "New lead" and sent.to == ["frontdesk@example.com"]
    assert delivered.status == Notification.Status.SENT
    assert delivered.provider_message_id == "0"
    assert delivered.sent_at is not None and delivered.attempts == 1


def test_deliver_sends_sms(sms_outbox):
    notification = SmsNotificationFactory()

    delivered = delivery.deliver_notification(notification.id)

    assert len(sms_outbox) == 1
    assert delivered.provider_message_id == "locmem-1"


def test_delivering_twice_sends_once():
    notification = NotificationFactory()

    delivery.deliver_notification(notification.id)
    second = delivery.deliver_notification(notification.id)

    assert second is None
    assert len(mail.outbox) == 1


def test_delivery_query_budget(django_assert_max_num_queries):
    notification = NotificationFactory()

    # claim, load, provider health read, health write (none while healthy: one
    # UPDATE matching no row), mark sent, reload
    with django_assert_max_num_queries(6):
        delivery.deliver_notification(notification.id)


def test_deliver_waits_for_send_after():
    notification = NotificationFactory(
        send_after=timezone.now() + dt.timedelta(hours=1)
    )

    assert delivery.deliver_notification(notification.id) is None
    assert mail.outbox == []
    notification.refresh_from_db()
    assert notification.status == Notification.Status.QUEUED


def test_deliver_of_a_missing_row_is_a_noop():
    assert delivery.deliver_notification(123456) is None


def test_transient_failure_schedules_the_retry_on_the_row(mocker, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC), tick=False)
    notification = NotificationFactory()
    mocker.patch(
        "apps.notifications.channels.send", side_effect=DeliveryError("Twilio 503")
    )

    delivered = delivery.deliver_notification(notification.id)  # never raises

    assert delivered.status == Notification.Status.QUEUED
    assert delivered.attempts == 1
    assert delivered.last_error.startswith("Will retry at 2026-03-02 12:00:")
    assert delivered.last_error.endswith("Twilio 503")
    assert delivered.claimed_at is None and delivered.enqueued_at is None
    wait = delivered.send_after - timezone.now()
    assert dt.timedelta(seconds=15) <= wait <= dt.timedelta(seconds=30)


def test_a_rescheduled_row_is_delivered_when_its_time_comes(mocker, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC), tick=False)
    notification = NotificationFactory()
    mocker.patch(
        "apps.notifications.channels.send",
        side_effect=[DeliveryError("busy"), "msg-2"],
    )

    delivery.deliver_notification(notification.id)
    assert delivery.deliver_notification(notification.id) is None  # not due yet
    time_machine.shift(dt.timedelta(seconds=31))
    delivered = delivery.deliver_notification(notification.id)

    assert delivered.status == Notification.Status.SENT
    assert delivered.attempts == 2
    assert delivered.last_error == ""


def test_a_transient_failure_past_the_retry_window_fails_for_good(mocker, settings):
    settings.NOTIFICATIONS_RETRY_FOR_HOURS = 48
    notification = NotificationFactory(attempts=40)
    Notification.objects.filter(id=notification.id).update(
        created_at=timezone.now() - dt.timedelta(hours=49)
    )
    mocker.patch("apps.notifications.channels.send", side_effect=DeliveryError("busy"))

    delivered = delivery.deliver_notification(notification.id)

    assert delivered.status == Notification.Status.FAILED
    assert delivered.last_error == "Gave up after 41 attempt(s): busy"


def test_a_transient_failure_past_max_attempts_fails_for_good(mocker, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 6
    notification = NotificationFactory(attempts=5)
    mocker.patch("apps.notifications.channels.send", side_effect=DeliveryError("busy"))

    delivered = delivery.deliver_notification(notification.id)

    assert delivered.status == Notification.Status.FAILED
    assert delivered.attempts == 6


def test_permanent_failure_marks_failed_without_raising(mocker):
    notification = SmsNotificationFactory()
    mocker.patch(
        "apps.notifications.channels.send",
        side_effect=DeliveryError("21211 invalid number", permanent=True),
    )

    delivered = delivery.deliver_notification(notification.id)

    assert delivered.status == Notification.Status.FAILED
    assert delivered.last_error == "Permanent: 21211 invalid number"


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

    delivery.deliver_notification(notification.id)

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

    counts = delivery.sweep_notifications()

    assert counts == {"released": 0, "failed": 0, "recovered": 0, "enqueued": 2}
    assert {c.args[0] for c in deliveries.call_args_list} == {lost.id, now_due.id}
    lost.refresh_from_db(), fresh.refresh_from_db(), deferred.refresh_from_db()
    assert lost.enqueued_at > ago(seconds=5)
    assert deferred.enqueued_at is None


def test_sweep_does_not_ring_the_same_row_every_minute(deliveries):
    NotificationFactory(enqueued_at=ago(hours=1))

    delivery.sweep_notifications()
    delivery.sweep_notifications()

    assert deliveries.call_count == 1


def test_sweep_releases_sending_rows_past_the_hard_time_limit(deliveries, settings):
    settings.CELERY_TASK_TIME_LIMIT = 180
    stale = NotificationFactory(
        status=Notification.Status.SENDING, claimed_at=ago(minutes=10), attempts=1
    )
    busy = NotificationFactory(
        status=Notification.Status.SENDING, claimed_at=ago(seconds=30), attempts=1
    )

    counts = delivery.sweep_notifications()

    assert counts == {"released": 1, "failed": 0, "recovered": 0, "enqueued": 1}
    stale.refresh_from_db(), busy.refresh_from_db()
    assert stale.status == Notification.Status.QUEUED and stale.claimed_at is None
    assert busy.status == Notification.Status.SENDING
    deliveries.assert_called_once_with(stale.id)


def test_sweep_gives_up_on_rows_whose_workers_keep_dying(deliveries, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 6
    doomed = NotificationFactory(
        status=Notification.Status.SENDING, claimed_at=ago(hours=1), attempts=6
    )

    counts = delivery.sweep_notifications()

    assert counts["failed"] == 1
    doomed.refresh_from_db()
    assert doomed.status == Notification.Status.FAILED
    deliveries.assert_not_called()


def test_sweep_takes_at_most_a_batch(deliveries, settings):
    settings.NOTIFICATIONS_SWEEP_BATCH_SIZE = 2
    NotificationFactory.create_batch(3, enqueued_at=None)

    assert delivery.sweep_notifications()["enqueued"] == 2
    assert delivery.sweep_notifications()["enqueued"] == 1


def test_sweep_survives_a_broker_outage(deliveries):
    deliveries.side_effect = OperationalError("down")
    NotificationFactory(enqueued_at=None)

    assert delivery.sweep_notifications()["enqueued"] == 1


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

    updated = delivery.record_delivery_event(
        provider_message_id="pm-1", event_type=event_type, description="550 no mailbox"
    )

    assert updated.id == notification.id
    assert updated.status == status
    if event_type != "delivered":
        assert "550 no mailbox" in updated.last_error


def test_a_late_delivered_event_does_not_hide_a_bounce():
    NotificationFactory(status=Notification.Status.BOUNCED, provider_message_id="pm-1")

    updated = delivery.record_delivery_event(
        provider_message_id="pm-1", event_type="delivered"
    )

    assert updated.status == Notification.Status.BOUNCED


def test_opens_clicks_and_unknown_messages_are_ignored():
    NotificationFactory(status=Notification.Status.SENT, provider_message_id="pm-1")

    assert (
        delivery.record_delivery_event(provider_message_id="pm-1", event_type="opened")
        is None
    )
    assert (
        delivery.record_delivery_event(
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
        count = delivery.requeue_notifications(Notification.objects.all())

    assert count == 1
    failed.refresh_from_db(), pending.refresh_from_db()
    assert failed.status == Notification.Status.QUEUED and failed.attempts == 0
    assert pending.status == Notification.Status.SENDING
    deliveries.assert_called_once_with(failed.id)
