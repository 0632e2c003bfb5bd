"""Retrying post-call analysis through OpenAI outages: the schedule on the call row,
the sweep's choice of calls to ring, and the release of waiting calls on recovery.

See post_call for the flow; README "The worker and the schedule" for the schedule.
"""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.calls import analysis
from apps.calls.analysis import AnalysisError
from apps.calls.models import Call
from apps.core import provider_health
from apps.core.retry import RetrySchedule

logger = logging.getLogger(__name__)

OPENAI = provider_health.OPENAI


def retry_schedule() -> RetrySchedule:
    return RetrySchedule(
        first=dt.timedelta(seconds=settings.ANALYSIS_RETRY_FIRST_SECONDS),
        ceiling=dt.timedelta(seconds=settings.ANALYSIS_RETRY_CEILING_SECONDS),
        give_up_after=dt.timedelta(hours=settings.ANALYSIS_RETRY_FOR_HOURS),
    )


class OpenAIDown(Exception):
    """OpenAI is known to be down and this task did not win the probe."""


def calls_to_ring(now: dt.datetime) -> list[tuple[int, dt.datetime | None]]:
    cutoff = now - dt.timedelta(seconds=settings.ANALYSIS_SWEEP_GRACE_SECONDS)
    stale = Call.objects.due_for_analysis(now).filter(
        Q(analysis_requested_at__isnull=True)
        | Q(analysis_requested_at__lte=cutoff)
        | Q(analysis_retry_at__lte=now)
    )
    fields = ("id", "analysis_requested_at")
    if not (analysis.is_configured() and provider_health.is_down(OPENAI)):
        rows = stale.order_by("analysis_requested_at").values_list(*fields)
        return list(rows[: settings.ANALYSIS_SWEEP_BATCH_SIZE])
    if not provider_health.probe_due(OPENAI, now=now):
        return []
    # One probe: a due call, else the call whose wait ends first.
    waiting = Call.objects.needing_analysis().filter(analysis_retry_at__gt=now)
    return list(stale.order_by("analysis_requested_at").values_list(*fields)[:1]) or (
        list(waiting.order_by("analysis_retry_at").values_list(*fields)[:1])
    )


def release_after_outage(now: dt.datetime) -> int:
    """Once per OpenAI recovery: calls waiting on a retry are due now."""
    with transaction.atomic():
        if not provider_health.take_release(OPENAI):
            return 0
        return (
            Call.objects.needing_analysis()
            .filter(analysis_retry_at__gt=now)
            .update(analysis_retry_at=now, updated_at=now)
        )


def retry_later(call: Call, token: dt.datetime, exc: AnalysisError) -> str:
    """Keep the call PENDING until its next try, with the error visible meanwhile;
    returns "" then, or the reason to fail it once the schedule is used up."""
    provider_health.record_failure(OPENAI, str(exc))
    now = timezone.now()
    attempts = call.analysis_attempts + 1
    failing_since = call.analysis_failing_since or now
    retry_at = retry_schedule().next_try(
        failures=attempts, waiting_since=failing_since, now=now
    )
    if retry_at is None:
        return (
            f"Gave up after {attempts} attempt(s) since "
            f"{failing_since:%Y-%m-%d %H:%M} UTC: {exc}"[:2000]
        )
    Call.objects.filter(
        pk=call.pk,
        analysis_status=Call.AnalysisStatus.PENDING,
        analysis_requested_at=token,
    ).update(
        analysis_error=f"Will retry at {retry_at:%Y-%m-%d %H:%M:%S} UTC: {exc}"[:2000],
        analysis_attempts=attempts,
        analysis_failing_since=failing_since,
        analysis_retry_at=retry_at,
        updated_at=now,
    )
    logger.warning(
        "Analysis of call %s failed (attempt %s), retry at %s: %s",
        call.pk,
        attempts,
        retry_at.isoformat(),
        exc,
    )
    return ""


def wait_for_openai(call: Call, token: dt.datetime) -> Call:
    """OpenAI is down: wait untried until the sweep releases the call on recovery
    (or the retry ceiling brings it round)."""
    now = timezone.now()
    Call.objects.filter(
        pk=call.pk,
        analysis_status=Call.AnalysisStatus.PENDING,
        analysis_requested_at=token,
    ).update(
        analysis_error=provider_health.down_message(OPENAI),
        analysis_retry_at=now + retry_schedule().ceiling,
        updated_at=now,
    )
    logger.info("Analysis of call %s waits for OpenAI to answer", call.pk)
    call.refresh_from_db()
    return call
