"""Celery entry points for calendars: thin wrappers around sync and the outbox."""

import logging

from celery import shared_task

from apps.calendars import outbox, sync
from apps.core.task_options import PERIODIC_TASK_OPTIONS, ROW_TASK_OPTIONS

logger = logging.getLogger(__name__)


# The row tasks claim or overwrite rows idempotently: a redelivered one is harmless.
@shared_task(name="calendars.deliver_calendar_write", **ROW_TASK_OPTIONS)
def deliver_calendar_write(write_id: int) -> None:
    """Write one appointment into one booking calendar (retries are the row's backoff)."""
    outbox.deliver_write(write_id)


@shared_task(name="calendars.sync_calendar_connection", **ROW_TASK_OPTIONS)
def sync_calendar_connection(connection_id: int) -> None:
    sync.sync_connection(connection_id)


@shared_task(name="calendars.sync_due_calendars", **PERIODIC_TASK_OPTIONS)
def sync_due_calendars() -> None:
    counts = sync.sync_due()
    if counts["due"]:
        logger.info("Calendar sync beat: %s", counts)


@shared_task(name="calendars.sweep_calendar_writes", **PERIODIC_TASK_OPTIONS)
def sweep_calendar_writes() -> None:
    counts = outbox.sweep_writes()
    if any(counts.values()):
        logger.info("Calendar write sweep: %s", counts)
