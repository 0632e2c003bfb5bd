"""Celery entry points for calls: thin wrappers around post_call."""

import logging

from celery import shared_task

from apps.calls import post_call
from apps.calls.models import Call
from apps.core.logging import log_context
from apps.core.task_options import PERIODIC_TASK_OPTIONS, ROW_TASK_OPTIONS

logger = logging.getLogger(__name__)


@shared_task(name="calls.analyze_call", **ROW_TASK_OPTIONS)
def analyze_call(call_id: int) -> None:
    """Analyse one ended call. Idempotent: a no-op unless the call is PENDING.

    Failures never escape to Celery: a transient one is retried from the call row
    (analysis_retries.retry_schedule), rung by sweep_pending_analyses.
    """
    call = Call.objects.select_related("business", "lead").filter(id=call_id).first()
    if call is None or call.analysis_status != Call.AnalysisStatus.PENDING:
        logger.info("Call %s gone or not waiting for analysis", call_id)
        return
    with log_context(vapi_call_id=call.vapi_call_id, call_id=call.id):
        post_call.analyze_call(call)


@shared_task(name="calls.sweep_pending_analyses", **PERIODIC_TASK_OPTIONS)
def sweep_pending_analyses() -> None:
    """Re-enqueue calls left waiting for analysis or due a retry (every minute)."""
    rung = post_call.sweep_pending_analyses()
    if rung:
        logger.info("Analysis sweep re-enqueued %s calls", rung)
