"""Celery entry points for privacy: thin wrappers around retention and vapi_deletion.

The task names changed when privacy left the calls app (calls.purge_call_data and
so on). A message queued under an old name before a deploy is dropped by the new
worker, which loses nothing: the purge runs nightly, and the deletion sweep rings
again for every call VAPI still holds.
"""

import logging

from celery import shared_task

from apps.core.task_options import PERIODIC_TASK_OPTIONS
from apps.privacy import retention, vapi_deletion
from apps.vapi.client import VapiApiError

logger = logging.getLogger(__name__)

# Nothing waits on a deletion: a slower backoff (up to 10, 20, 40, 80, 160 s apart)
# rides out a short VAPI outage before the sweep takes over. Idempotent: deleting
# twice is harmless.
VAPI_TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (VapiApiError,),
    "retry_backoff": 10,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="privacy.purge_call_data", **PERIODIC_TASK_OPTIONS)
def purge_call_data() -> None:
    """Apply every business's retention to old call data (nightly). Idempotent."""
    report = retention.purge_call_data()
    logger.info("%s", report.summary())


@shared_task(name="privacy.delete_vapi_call_data", **VAPI_TASK_OPTIONS)
def delete_vapi_call_data(call_id: int) -> None:
    """Delete VAPI's copy of one erased call. Idempotent: a no-op once deleted."""
    vapi_deletion.delete_vapi_call_data(call_id)


@shared_task(name="privacy.sweep_vapi_deletions", **PERIODIC_TASK_OPTIONS)
def sweep_vapi_deletions() -> None:
    """Re-enqueue deletion of calls VAPI still holds (every ten minutes)."""
    rung = vapi_deletion.sweep_vapi_deletions()
    if rung:
        logger.info("VAPI deletion sweep re-enqueued %s calls", rung)
