"""Celery entry points for appointments: thin wrappers around services."""

import logging

from celery import shared_task

from apps.appointments import notices

logger = logging.getLogger(__name__)

# Idempotent (reminder_sent_at, dedupe keys), so acking late is safe.
TASK_OPTIONS = {
    "periodic": {"acks_late": True, "reject_on_worker_lost": True},
}


@shared_task(name="appointments.send_due_reminders", **TASK_OPTIONS["periodic"])
def send_due_reminders() -> None:
    """Queue reminders for appointments coming up (runs every ten minutes). Idempotent."""
    handled = notices.send_due_reminders()
    if handled:
        logger.info("Reminders queued for %s appointments", handled)
