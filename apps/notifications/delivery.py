"""Delivering queued notifications: claim the row, send it once, record the outcome.

The row is the outbox and the task its doorbell: a lost doorbell is rung again by
`sweep_notifications`, a worker that died mid-send has its claim released, and a
duplicate task finds nothing to claim.
"""

import datetime as dt
import logging
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.core.doorbell import ring
from apps.notifications import channels
from apps.notifications.models import Notification

logger = logging.getLogger(__name__)


class TransientDeliveryError(Exception):
    """Raised after a retryable send failure, once the row is back in QUEUED."""


def enqueue_delivery(notification_id: int) -> None:
    """Best effort: if the broker is down the row stays QUEUED and the sweep rings again."""
    from apps.notifications import tasks  # tasks imports this module

    ring(tasks.deliver_notification, notification_id, what="notification")


def requeue_notifications(notifications) -> int:
    """Queue finished notifications (sent, failed, bounced...) to go out again now."""
    now = timezone.now()
    pending = [Notification.Status.QUEUED, Notification.Status.SENDING]
    ids = list(notifications.exclude(status__in=pending).values_list("id", flat=True))
    Notification.objects.filter(id__in=ids).update(
        status=Notification.Status.QUEUED,
        attempts=0,
        last_error="",
        claimed_at=None,
        send_after=None,
        enqueued_at=now,
        updated_at=now,
    )
    for notification_id in ids:
        transaction.on_commit(partial(enqueue_delivery, notification_id))
    return len(ids)


def deliver_notification(notification_id: int) -> Notification | None:
    """Claim, send and record one notification; a duplicate task finds nothing to claim.

    Raises TransientDeliveryError after a retryable failure (row back to QUEUED) so
    the task's autoretry takes over; permanent failures end in FAILED, no raise.
    """
    notification = _claim(notification_id)
    if notification is None:
        return None
    try:
        provider_message_id = channels.send(notification)
    except channels.DeliveryError as exc:
        return _record_failure(notification, exc)
    _update_claimed(
        notification,
        status=Notification.Status.SENT,
        sent_at=timezone.now(),
        provider_message_id=provider_message_id,
        last_error="",
    )
    logger.info("Sent %s notification %s", notification.kind, notification.id)
    return _reload(notification)


def _claim(notification_id: int) -> Notification | None:
    now = timezone.now()
    claimed = (
        Notification.objects.filter(id=notification_id)
        .queued()
        .due(now)
        .update(
            status=Notification.Status.SENDING,
            attempts=F("attempts") + 1,
            claimed_at=now,
            updated_at=now,
        )
    )
    if not claimed:
        logger.info(
            "Notification %s not claimable (gone, taken or not due)", notification_id
        )
        return None
    return Notification.objects.select_related("business").get(id=notification_id)


def _update_claimed(notification: Notification, **fields) -> None:
    # Bound to our claim: a row the sweep released and someone re-claimed is left alone.
    updated = Notification.objects.filter(
        id=notification.id,
        status=Notification.Status.SENDING,
        claimed_at=notification.claimed_at,
    ).update(updated_at=timezone.now(), **fields)
    if not updated:
        logger.warning("Notification %s changed hands mid-send", notification.id)


def _record_failure(notification: Notification, exc: channels.DeliveryError):
    error = str(exc)[:2000]
    exhausted = notification.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS
    if exc.permanent or exhausted:
        _update_claimed(
            notification, status=Notification.Status.FAILED, last_error=error
        )
        logger.warning("Notification %s failed: %s", notification.id, error)
        return _reload(notification)
    _update_claimed(
        notification,
        status=Notification.Status.QUEUED,
        last_error=error,
        claimed_at=None,
        enqueued_at=timezone.now(),  # the task's own retry is the next doorbell
    )
    raise TransientDeliveryError(error) from exc


def _reload(notification: Notification) -> Notification:
    notification.refresh_from_db()
    return notification


def sweep_notifications(now: dt.datetime | None = None) -> dict[str, int]:
    """Free claims of dead workers, then re-ring due QUEUED rows nobody rang lately."""
    now = now or timezone.now()
    released, failed = _release_stale_claims(now)
    return {"released": released, "failed": failed, "enqueued": _ring_due(now)}


def _release_stale_claims(now: dt.datetime) -> tuple[int, int]:
    # Past the hard time limit the worker is gone; at-least-once beats never.
    stale = Notification.objects.stale_claims(
        now=now, older_than=dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    )
    max_attempts = settings.NOTIFICATIONS_MAX_ATTEMPTS
    failed = stale.filter(attempts__gte=max_attempts).update(
        status=Notification.Status.FAILED,
        last_error="Gave up: the worker stopped while sending, too many times.",
        claimed_at=None,
        updated_at=now,
    )
    released = stale.filter(attempts__lt=max_attempts).update(
        status=Notification.Status.QUEUED,
        last_error="Released: the worker stopped while sending.",
        claimed_at=None,
        enqueued_at=None,
        updated_at=now,
    )
    return released, failed


def _ring_due(now: dt.datetime) -> int:
    grace = dt.timedelta(seconds=settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS)
    ids = list(
        Notification.objects.needing_enqueue(now=now, grace=grace)
        .order_by("created_at")
        .values_list("id", flat=True)[: settings.NOTIFICATIONS_SWEEP_BATCH_SIZE]
    )
    Notification.objects.filter(id__in=ids).update(enqueued_at=now)
    for notification_id in ids:
        enqueue_delivery(notification_id)
    return len(ids)


# Tracking events from the ESP (anymail normalises them): only these change status.
TRACKED_EVENT_STATUSES = {
    "delivered": Notification.Status.DELIVERED,
    "bounced": Notification.Status.BOUNCED,
    "rejected": Notification.Status.FAILED,
    "failed": Notification.Status.FAILED,
    "complained": Notification.Status.COMPLAINED,
}
# A late "delivered" must not hide an earlier bounce or complaint.
UPDATABLE_BY_EVENT = {
    Notification.Status.DELIVERED: [Notification.Status.SENT],
    Notification.Status.BOUNCED: [
        Notification.Status.SENT,
        Notification.Status.DELIVERED,
    ],
    Notification.Status.FAILED: [
        Notification.Status.SENT,
        Notification.Status.DELIVERED,
    ],
    Notification.Status.COMPLAINED: [
        Notification.Status.SENT,
        Notification.Status.DELIVERED,
    ],
}


def record_delivery_event(
    *, provider_message_id: str, event_type: str, description: str = ""
) -> Notification | None:
    """Apply an ESP delivery event to the notification it is about. Idempotent."""
    status = TRACKED_EVENT_STATUSES.get(event_type)
    if status is None or not provider_message_id:
        return None
    notification = Notification.objects.filter(
        channel=Notification.Channel.EMAIL, provider_message_id=provider_message_id
    ).first()
    if notification is None:
        logger.info("No notification for provider message %s", provider_message_id)
        return None
    fields = {"status": status, "updated_at": timezone.now()}
    if status != Notification.Status.DELIVERED:
        fields["last_error"] = f"{event_type}: {description}".strip(": ")[:2000]
    Notification.objects.filter(
        id=notification.id, status__in=UPDATABLE_BY_EVENT[status]
    ).update(**fields)
    return _reload(notification)
