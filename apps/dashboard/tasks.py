"""Celery entry points for staff reporting: a thin wrapper around digests.

The digest task was calls.send_daily_digests before reporting moved here; a message
queued under that name before a deploy is dropped, and the next hourly run (one
digest per business and local date) sends what it would have.
"""

import logging

from celery import shared_task

from apps.core.task_options import PERIODIC_TASK_OPTIONS
from apps.dashboard import digests

logger = logging.getLogger(__name__)


@shared_task(name="dashboard.send_daily_digests", **PERIODIC_TASK_OPTIONS)
def send_daily_digests() -> None:
    """Queue yesterday's digest for businesses whose digest hour has come (hourly)."""
    queued = digests.send_daily_digests()
    if queued:
        logger.info("Daily digests queued for %s businesses", queued)
