"""Delivering queued notifications: claim the row, send it once, record the outcome.

The row is the outbox and the task its doorbell: a lost doorbell is rung again by
`sweep_notifications`, a worker that died mid-send has its claim released, and a
duplicate task finds nothing to claim.

A transient failure (network, timeout, 429, 5xx) puts the row back in QUEUED with
`send_after` set by RETRY_SCHEDULE; the sweep rings it when that time comes, so the
retry schedule lives in the row, not in the broker. While the channel's provider is
DOWN (apps.core.provider_health) rows wait without calling it, and when it answers
again the sweep releases them at once. Only a permanent failure, or a row that has
waited the whole schedule, ends in FAILED, with the reason in `last_error`.
"""

import datetime as dt
import logging
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.core import provider_health
from apps.core.doorbell import ring
from apps.core.logging import log_context
from apps.core.retry import RetrySchedule
from apps.notifications import channels, consent
from apps.notifications.models import Notification

logger = logging.getLogger(__name__)


def retry_schedule() -> RetrySchedule:
    return RetrySchedule(
        first=dt.timedelta(seconds=settings.NOTIFICATIONS_RETRY_FIRST_SECONDS),
        ceiling=dt.timedelta(seconds=settings.NOTIFICATIONS_RETRY_CEILING_SECONDS),
        give_up_after=dt.timedelta(hours=settings.NOTIFICATIONS_RETRY_FOR_HOURS),
    )


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

    Never raises for a send failure: a transient one reschedules the row (or, while
    the provider is down, leaves it waiting), a permanent one ends in FAILED.
    """
    notification = _claim(notification_id)
    if notification is None:
        return None
    with log_context(**_log_ids(notification)):
        return _send_claimed(notification)


def _send_claimed(notification: Notification) -> Notification:
    if not consent.may_text(
        business_id=notification.business_id,
        channel=notification.channel,
        kind=notification.kind,
        recipient=notification.recipient,
    ):
        # Opted out after it was queued (issue #14): never handed to the provider.
        _update_claimed(
            notification,
            status=Notification.Status.SUPPRESSED,
            last_error=consent.OPTED_OUT_REASON,
        )
        return _reload(notification)
    provider = channels.provider_for(notification.channel)
    if not provider_health.may_call(provider):
        return _wait_for_provider(notification, provider)
    try:
        provider_message_id = channels.send(notification)
    except channels.DeliveryError as exc:
        return _record_failure(notification, exc, provider)
    provider_health.record_success(provider)
    _update_claimed(
        notification,
        status=Notification.Status.SENT,
        sent_at=timezone.now(),
        provider_message_id=provider_message_id,
        last_error="",
    )
    logger.info("Sent %s notification %s", notification.kind, notification.id)
    return _reload(notification)


def _log_ids(notification: Notification) -> dict:
    return {
        "vapi_call_id": notification.call.vapi_call_id if notification.call else None,
        "notification_id": notification.id,
        "appointment_id": notification.appointment_id,
        "call_id": notification.call_id,
    }


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
    return Notification.objects.select_related("business", "call").get(
        id=notification_id
    )


def _update_claimed(notification: Notification, **fields) -> None:
    # Bound to our claim: a row the sweep released and someone re-claimed is left alone.
    updated = Notification.objects.filter(
        id=notification.id,
        status=Notification.Status.SENDING,
        claimed_at=notification.claimed_at,
    ).update(updated_at=timezone.now(), **fields)
    if not updated:
        logger.warning("Notification %s changed hands mid-send", notification.id)


def _record_failure(
    notification: Notification, exc: channels.DeliveryError, provider: str
) -> Notification:
    error = str(exc)[:2000]
    if exc.permanent:
        provider_health.record_success(provider)  # it answered: this message is bad
        return _fail(notification, f"Permanent: {error}")
    provider_health.record_failure(provider, error)
    now = timezone.now()
    retry_at = retry_schedule().next_try(
        failures=notification.attempts, waiting_since=notification.created_at, now=now
    )
    if retry_at is None or notification.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
        return _fail(
            notification,
            f"Gave up after {notification.attempts} attempt(s): {error}",
        )
    _update_claimed(
        notification,
        status=Notification.Status.QUEUED,
        last_error=f"Will retry at {retry_at:%Y-%m-%d %H:%M:%S} UTC: {error}"[:2000],
        claimed_at=None,
        send_after=retry_at,
        enqueued_at=None,  # the sweep rings it once send_after has come
    )
    logger.warning(
        "Notification %s failed (attempt %s), retry at %s: %s",
        notification.id,
        notification.attempts,
        retry_at.isoformat(),
        error,
    )
    return _reload(notification)


def _fail(notification: Notification, reason: str) -> Notification:
    _update_claimed(
        notification, status=Notification.Status.FAILED, last_error=reason[:2000]
    )
    logger.warning("Notification %s failed: %s", notification.id, reason)
    return _reload(notification)


def _wait_for_provider(notification: Notification, provider: str) -> Notification:
    """Put the row back untried (no attempt counted) until the provider answers;
    the sweep releases it then, or its own ceiling brings it round again."""
    _update_claimed(
        notification,
        status=Notification.Status.QUEUED,
        attempts=F("attempts") - 1,
        last_error=provider_health.down_message(provider),
        claimed_at=None,
        send_after=timezone.now() + retry_schedule().ceiling,
        enqueued_at=None,
    )
    logger.info("Notification %s waits for %s to answer", notification.id, provider)
    return _reload(notification)


def _reload(notification: Notification) -> Notification:
    notification.refresh_from_db()
    return notification


def sweep_notifications(now: dt.datetime | None = None) -> dict[str, int]:
    """Free claims of dead workers, release rows that waited out a provider's outage,
    then ring due QUEUED rows nobody rang lately. Idempotent; bounded per run."""
    now = now or timezone.now()
    released, failed = _release_stale_claims(now)
    recovered = sum(_release_after_outage(channel, now) for channel in CHANNELS)
    return {
        "released": released,
        "failed": failed,
        "recovered": recovered,
        "enqueued": _ring_due(now),
    }


CHANNELS = tuple(Notification.Channel.values)


def _release_after_outage(channel: str, now: dt.datetime) -> int:
    """Once per recovery: rows waiting on a retry become due now."""
    with transaction.atomic():
        if not provider_health.take_release(channels.provider_for(channel)):
            return 0
        waiting = Notification.objects.waiting_on_retry(now).filter(channel=channel)
        return waiting.update(send_after=now, enqueued_at=None, updated_at=now)


def _release_stale_claims(now: dt.datetime) -> tuple[int, int]:
    # Past the hard time limit the worker is gone; at-least-once beats never. The
    # message may have gone out before the worker died: channels.send gives the
    # provider a key per notification so that it can recognise the second copy.
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
    """Ring due rows, oldest first; while a provider is down, only its probe."""
    ids = []
    for channel in CHANNELS:
        provider = channels.provider_for(channel)
        if not provider_health.is_down(provider):
            ids += _due_ids(channel, now, settings.NOTIFICATIONS_SWEEP_BATCH_SIZE)
        elif provider_health.probe_due(provider, now=now):
            ids += _due_ids(channel, now, 1) or _waiting_ids(channel, now)
    Notification.objects.filter(id__in=ids, send_after__gt=now).update(send_after=now)
    Notification.objects.filter(id__in=ids).update(enqueued_at=now)
    for notification_id in ids:
        enqueue_delivery(notification_id)
    return len(ids)


def _due_ids(channel: str, now: dt.datetime, limit: int) -> list[int]:
    grace = dt.timedelta(seconds=settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS)
    due = Notification.objects.needing_enqueue(now=now, grace=grace)
    rows = due.filter(channel=channel).order_by("created_at")
    return list(rows.values_list("id", flat=True)[:limit])


def _waiting_ids(channel: str, now: dt.datetime) -> list[int]:
    """The probe of a down provider when nothing is due: the row waiting least long."""
    waiting = Notification.objects.waiting_on_retry(now).filter(channel=channel)
    return list(waiting.order_by("send_after").values_list("id", flat=True)[:1])


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
    Notification.Status.UNDELIVERED: [  # a text's carrier gave up (Twilio)
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
    return apply_delivery_status(
        Notification.Channel.EMAIL,
        provider_message_id,
        status,
        last_error=f"{event_type}: {description}".strip(": ")[:2000],
    )


def apply_delivery_status(
    channel: str, provider_message_id: str, status: str, *, last_error: str = ""
) -> Notification | None:
    """Move the message the provider knows by this id forward to `status` (never
    back: a late "delivered" leaves a failure standing); idempotent. The error is
    kept unless it was delivered."""
    notification = Notification.objects.filter(
        channel=channel, provider_message_id=provider_message_id
    ).first()
    if notification is None:
        logger.info(
            "No %s notification for provider message %s", channel, provider_message_id
        )
        return None
    fields = {"status": status, "updated_at": timezone.now()}
    if status != Notification.Status.DELIVERED:
        fields["last_error"] = last_error
    Notification.objects.filter(
        id=notification.id, status__in=UPDATABLE_BY_EVENT[status]
    ).update(**fields)
    return _reload(notification)
