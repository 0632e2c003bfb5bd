"""Celery entry points for notifications: thin wrappers around delivery."""

import logging

from celery import shared_task

from apps.notifications import delivery
from apps.notifications.delivery import TransientDeliveryError

logger = logging.getLogger(__name__)

# Safe to ack late and retry: delivery claims its row, so a redelivered task is a no-op.
DELIVERY_TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (TransientDeliveryError,),
    "retry_backoff": True,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="notifications.deliver_notification", **DELIVERY_TASK_OPTIONS)
def deliver_notification(notification_id: int) -> None:
    """Send one queued notification. Idempotent: a second run finds nothing to claim."""
    delivery.deliver_notification(notification_id)


@shared_task(name="notifications.sweep_notifications")
def sweep_notifications() -> None:
    """Re-enqueue due notifications and free claims of dead workers (runs every minute)."""
    counts = delivery.sweep_notifications()
    if any(counts.values()):
        logger.info("Notification sweep: %s", counts)
