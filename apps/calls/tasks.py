"""Celery entry points for calls: thin wrappers around post_call, digests and privacy."""

import logging

from celery import shared_task

from apps.calls import digests, post_call, privacy
from apps.calls.analysis import AnalysisError
from apps.calls.models import Call
from apps.calls.vapi_api import VapiApiError
from apps.core.logging import vapi_call_context

logger = logging.getLogger(__name__)

# Every task here is idempotent (claimed calls, dedupe keys), so acking late and
# running again after a worker dies is safe. Only analysis and deletion at VAPI retry
# by themselves: their services let only transient errors escape.
TASK_OPTIONS = {
    "analysis": {
        "acks_late": True,
        "reject_on_worker_lost": True,
        "autoretry_for": (AnalysisError,),
        "retry_backoff": True,
        "retry_jitter": True,
        "max_retries": 5,
    },
    # Nothing waits on a deletion: a slower backoff (up to 10, 20, 40, 80, 160 s
    # apart) rides out a short VAPI outage before the sweep takes over.
    "vapi": {
        "acks_late": True,
        "reject_on_worker_lost": True,
        "autoretry_for": (VapiApiError,),
        "retry_backoff": 10,
        "retry_jitter": True,
        "max_retries": 5,
    },
    "periodic": {"acks_late": True, "reject_on_worker_lost": True},
}


@shared_task(bind=True, name="calls.analyze_call", **TASK_OPTIONS["analysis"])
def analyze_call(self, call_id: int) -> None:
    """Analyse one ended call. Idempotent: a no-op unless the call is PENDING."""
    call = Call.objects.select_related("business", "lead").filter(id=call_id).first()
    if call is None or call.analysis_status != Call.AnalysisStatus.PENDING:
        logger.info("Call %s gone or not waiting for analysis", call_id)
        return
    with vapi_call_context(call.vapi_call_id):
        final = self.request.retries >= self.max_retries
        post_call.analyze_call(call, final_attempt=final)


@shared_task(name="calls.sweep_pending_analyses", **TASK_OPTIONS["periodic"])
def sweep_pending_analyses() -> None:
    """Re-enqueue calls left waiting for analysis (runs every minute)."""
    rung = post_call.sweep_pending_analyses()
    if rung:
        logger.info("Analysis sweep re-enqueued %s calls", rung)


@shared_task(name="calls.send_daily_digests", **TASK_OPTIONS["periodic"])
def send_daily_digests() -> None:
    """Queue yesterday's digest for businesses whose digest hour has come (hourly)."""
    queued = digests.send_daily_digests()
    if queued:
        logger.info("Daily digests queued for %s businesses", queued)


@shared_task(name="calls.purge_call_data", **TASK_OPTIONS["periodic"])
def purge_call_data() -> None:
    """Apply every business's retention to old call data (nightly). Idempotent."""
    report = privacy.purge_call_data()
    logger.info("%s", report.summary())


@shared_task(name="calls.delete_vapi_call_data", **TASK_OPTIONS["vapi"])
def delete_vapi_call_data(call_id: int) -> None:
    """Delete VAPI's copy of one erased call. Idempotent: a no-op once deleted."""
    privacy.delete_vapi_call_data(call_id)


@shared_task(name="calls.sweep_vapi_deletions", **TASK_OPTIONS["periodic"])
def sweep_vapi_deletions() -> None:
    """Re-enqueue deletion of calls VAPI still holds (every ten minutes)."""
    rung = privacy.sweep_vapi_deletions()
    if rung:
        logger.info("VAPI deletion sweep re-enqueued %s calls", rung)
