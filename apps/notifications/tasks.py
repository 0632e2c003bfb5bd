"""Celery entry points for notifications: thin wrappers around delivery."""

import logging

from celery import shared_task

from apps.core.task_options import PERIODIC_TASK_OPTIONS, ROW_TASK_OPTIONS
from apps.notifications import delivery

logger = logging.getLogger(__name__)


@shared_task(name="notifications.deliver_notification", **ROW_TASK_OPTIONS)
def deliver_notification(notification_id: int) -> None:
    """Send one queued notification. Idempotent: a second run finds nothing to claim.

    Failures never escape to Celery: the row records them and its own retry time,
    which sweep_notifications honours (delivery.retry_schedule).
    """
    delivery.deliver_notification(notification_id)


@shared_task(name="notifications.sweep_notifications", **PERIODIC_TASK_OPTIONS)
def sweep_notifications() -> None:
    """Re-enqueue due notifications and free claims of dead workers (runs every minute)."""
    counts = delivery.sweep_notifications()
    if any(counts.values()):
        logger.info("Notification sweep: %s", counts)
