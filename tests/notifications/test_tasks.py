import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings
from django.core import mail

from apps.notifications import delivery, services, tasks
from apps.notifications.channels import DeliveryError
from apps.notifications.models import Notification
from tests.brokers import use_broker, use_redis, wait_for_worker
from tests.businesses.factories import BusinessFactory
from tests.notifications.factories import NotificationFactory
from voicehive.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_deliver_task_sends_the_notification():
    notification = NotificationFactory()

    tasks.deliver_notification(notification.id)

    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert len(mail.outbox) == 1


def test_deliver_task_is_idempotent_when_run_twice():
    notification = NotificationFactory()

    tasks.deliver_notification(notification.id)
    tasks.deliver_notification(notification.id)

    assert len(mail.outbox) == 1


def test_transient_error_leaves_the_retry_to_the_row(mocker):
    notification = NotificationFactory()
    mocker.patch("apps.notifications.channels.send", side_effect=DeliveryError("503"))

    tasks.deliver_notification(notification.id)  # nothing raised to Celery

    notification.refresh_from_db()
    assert notification.status == Notification.Status.QUEUED
    assert notification.send_after is not None


def test_permanent_error_is_not_retried(mocker):
    notification = NotificationFactory()
    send = mocker.patch(
        "apps.notifications.channels.send",
        side_effect=DeliveryError("invalid number", permanent=True),
    )

    tasks.deliver_notification(notification.id)
    tasks.deliver_notification(notification.id)

    assert send.call_count == 1
    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED


def test_delivery_task_options():
    task = tasks.deliver_notification

    assert task.name == "notifications.deliver_notification"
    assert task.acks_late and task.reject_on_worker_lost
    # Retries live on the row (delivery.retry_schedule), not in the broker.
    assert not getattr(task, "autoretry_for", ())


def test_sweep_task_calls_the_service(mocker):
    sweep = mocker.patch.object(
        delivery,
        "sweep_notifications",
        return_value={"released": 0, "failed": 0, "enqueued": 1},
    )

    tasks.sweep_notifications()

    sweep.assert_called_once_with()


def test_beat_runs_the_sweep_every_minute():
    entry = django_settings.CELERY_BEAT_SCHEDULE["sweep-notifications"]

    assert entry["task"] == tasks.sweep_notifications.name
    assert entry["schedule"] == 60.0
    assert entry["task"] in celery_app.tasks


@pytest.fixture
def redis_broker():
    """Point the Celery app at the real Redis broker for one test, then restore it."""
    previous = celery_app.conf.broker_url
    use_redis()
    yield
    use_broker(previous)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_delivery_round_trips_through_a_real_redis_broker(redis_broker):
    business = BusinessFactory()
    with start_worker(celery_app, pool="solo", perform_ping_check=False):
        notification = services.queue_notification(
            business,
            channel="email",
            kind="new_lead",
            recipient="frontdesk@example.com",
            context={"caller_name": "Dana Whitfield"},
            dedupe_key="redis-round-trip",
        )
        sent = Notification.objects.filter(
            pk=notification.pk, status=Notification.Status.SENT
        )
        assert wait_for_worker(sent.exists, seconds=15)

    assert [m.subject for m in mail.outbox] == ["New lead: Dana Whitfield"]
