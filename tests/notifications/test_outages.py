"""Provider outages end in delivery: the retry schedule and the sweep, on a clock.

Each test queues email and texts while the provider is down, then runs what beat
runs (the sweep, every minute) with the clock moved forward, the doorbell running
the delivery task at once. No real waits: time_machine moves the clock.
"""

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from apps.core import provider_health
from apps.core.models import ProviderHealth
from apps.notifications import delivery
from apps.notifications.channels import DeliveryError
from apps.notifications.models import Notification
from tests.notifications.factories import NotificationFactory, SmsNotificationFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
SWEEP_EVERY = dt.timedelta(minutes=1)


class FlakyProvider:
    """Refuses every send until `back_at`, then records each one it accepts."""

    def __init__(self, back_at: dt.datetime, *, permanent_for: str = "") -> None:
        self.back_at = back_at
        self.permanent_for = permanent_for
        self.sent: Counter[int] = Counter()
        self.refused = 0

    def __call__(self, notification: Notification) -> str:
        if notification.recipient == self.permanent_for:
            raise DeliveryError("550 no such mailbox", permanent=True)
        if timezone.now() < self.back_at:
            self.refused += 1
            raise DeliveryError("Email server unreachable: Connection refused")
        self.sent[notification.id] += 1
        return f"msg-{notification.id}"


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


@pytest.fixture
def doorbell(mocker):
    """The broker delivers at once: ringing runs the delivery task in process."""
    return mocker.patch(
        "apps.notifications.tasks.deliver_notification.delay",
        side_effect=delivery.deliver_notification,
    )


def queue_messages(count: int = 4) -> list[Notification]:
    rows = NotificationFactory.create_batch(
        count
    ) + SmsNotificationFactory.create_batch(count)
    for row in rows:
        delivery.enqueue_delivery(row.id)  # what services do on commit
    return rows


def run_beat(clock, until: dt.timedelta) -> dt.datetime | None:
    """Sweep every minute until everything is sent or `until` has passed; return
    when the last notification was sent."""
    end = START + until
    while timezone.now() < end:
        clock.shift(SWEEP_EVERY)
        delivery.sweep_notifications()
        if not Notification.objects.exclude(status=Notification.Status.SENT).exists():
            return timezone.now()
    return None


@pytest.mark.parametrize(
    ("outage", "deadline_after_recovery"),
    [
        # Seconds: the first retries (15-30 s, then 30-60 s) already land after it.
        (dt.timedelta(seconds=30), dt.timedelta(minutes=3)),
        # Minutes: the provider is marked down, probed every 30 s - 5 min, and the
        # waiting rows are released as soon as a probe gets through.
        (dt.timedelta(minutes=2), dt.timedelta(minutes=6)),
        (dt.timedelta(minutes=10), dt.timedelta(minutes=7)),
        # An hour: the same, with the probe at its 5-minute ceiling.
        (dt.timedelta(hours=1), dt.timedelta(minutes=7)),
    ],
    ids=["30s", "2min", "10min", "1h"],
)
def test_every_message_is_sent_once_after_an_outage(
    clock, doorbell, mocker, outage, deadline_after_recovery
):
    provider = FlakyProvider(back_at=START + outage)
    mocker.patch("apps.notifications.channels.send", side_effect=provider)
    rows = queue_messages()

    done_at = run_beat(clock, until=outage + dt.timedelta(hours=1))

    assert done_at is not None, "some messages were never delivered"
    assert done_at - (START + outage) <= deadline_after_recovery
    assert provider.sent == Counter({row.id: 1 for row in rows})
    assert not Notification.objects.filter(status=Notification.Status.FAILED).exists()


def test_while_the_provider_is_down_only_probes_reach_it(clock, doorbell, mocker):
    provider = FlakyProvider(back_at=START + dt.timedelta(hours=1))
    mocker.patch("apps.notifications.channels.send", side_effect=provider)
    queue_messages(count=10)

    run_beat(clock, until=dt.timedelta(minutes=59))

    # 20 first tries, then at most one probe per channel every 30 s - 5 min.
    assert provider.refused < 20 + 2 * 25
    health = ProviderHealth.objects.get(provider=provider_health.EMAIL)
    assert health.state == ProviderHealth.State.DOWN
    waiting = Notification.objects.filter(channel="email").first()
    assert waiting.status == Notification.Status.QUEUED
    assert waiting.last_error.startswith(("Waiting: email", "Will retry at"))


def test_a_permanent_failure_stays_failed_with_its_reason(clock, doorbell, mocker):
    provider = FlakyProvider(
        back_at=START + dt.timedelta(minutes=5), permanent_for="nobody@example.com"
    )
    mocker.patch("apps.notifications.channels.send", side_effect=provider)
    rejected = NotificationFactory(recipient="nobody@example.com")
    delivery.enqueue_delivery(rejected.id)
    queue_messages(count=2)

    run_beat(clock, until=dt.timedelta(minutes=20))

    rejected.refresh_from_db()
    assert rejected.status == Notification.Status.FAILED
    assert rejected.last_error == "Permanent: 550 no such mailbox"
    assert rejected.attempts == 1
    assert Notification.objects.filter(status=Notification.Status.SENT).count() == 4


def test_an_outage_longer_than_the_retry_window_ends_in_failed(
    clock, doorbell, mocker, settings
):
    settings.NOTIFICATIONS_RETRY_FOR_HOURS = 2
    provider = FlakyProvider(back_at=START + dt.timedelta(days=1))
    mocker.patch("apps.notifications.channels.send", side_effect=provider)
    (row,) = NotificationFactory.create_batch(1)
    delivery.enqueue_delivery(row.id)

    run_beat(clock, until=dt.timedelta(hours=4))

    row.refresh_from_db()
    assert row.status == Notification.Status.FAILED
    assert row.last_error.startswith("Gave up after ")
    assert "Connection refused" in row.last_error


def test_a_worker_killed_mid_send_resends_with_the_same_message_id(
    clock, doorbell, mocker, settings
):
    """The sweep frees the dead worker's claim; the second copy carries the first's
    Message-ID, so mail systems that deduplicate on it show one message."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core import mail

    row = NotificationFactory()
    killed = mocker.patch(
        "apps.notifications.channels.send_email", side_effect=SystemExit("killed")
    )
    with pytest.raises(SystemExit):
        delivery.deliver_notification(row.id)
    mocker.stopall()  # the next worker sends for real (locmem)
    mocker.patch(
        "apps.notifications.tasks.deliver_notification.delay",
        side_effect=delivery.deliver_notification,
    )
    assert killed.call_count == 1

    run_beat(clock, until=dt.timedelta(minutes=10))

    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    (message,) = mail.outbox
    assert message.extra_headers["Message-ID"] == killed.call_args.kwargs["message_id"]
