"""Celery entry points for appointments: thin wrappers around services."""

import logging

from celery import shared_task

from apps.appointments import notices
from apps.core.task_options import PERIODIC_TASK_OPTIONS

logger = logging.getLogger(__name__)


@shared_task(name="appointments.send_due_reminders", **PERIODIC_TASK_OPTIONS)
def send_due_reminders() -> None:
    """Queue reminders for appointments within each business's own lead time (runs
    every ten minutes). Idempotent."""
    handled = notices.send_due_reminders()
    if handled:
        logger.info("Reminders queued for %s appointments", handled)
