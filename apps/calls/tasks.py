"""Celery entry points for calls: thin wrappers around post_call."""

import logging

from celery import shared_task

from apps.calls import post_call
from apps.calls.analysis import AnalysisError
from apps.calls.models import Call
from apps.core.logging import vapi_call_context
from apps.core.task_options import PERIODIC_TASK_OPTIONS

logger = logging.getLogger(__name__)

# Analysis claims its call (PENDING), so acking late and running again after a
# worker dies is safe; post_call lets only transient errors escape, to be retried.
ANALYSIS_TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (AnalysisError,),
    "retry_backoff": True,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(bind=True, name="calls.analyze_call", **ANALYSIS_TASK_OPTIONS)
def analyze_call(self, call_id: int) -> None:
    """Analyse one ended call. Idempotent: a no-op unless the call is PENDING."""
    call = Call.objects.select_related("business", "lead").filter(id=call_id).first()
    if call is None or call.analysis_status != Call.AnalysisStatus.PENDING:
        logger.info("Call %s gone or not waiting for analysis", call_id)
        return
    with vapi_call_context(call.vapi_call_id):
        final = self.request.retries >= self.max_retries
        post_call.analyze_call(call, final_attempt=final)


@shared_task(name="calls.sweep_pending_analyses", **PERIODIC_TASK_OPTIONS)
def sweep_pending_analyses() -> None:
    """Re-enqueue calls left waiting for analysis (runs every minute)."""
    rung = post_call.sweep_pending_analyses()
    if rung:
        logger.info("Analysis sweep re-enqueued %s calls", rung)
