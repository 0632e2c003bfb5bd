"""After a call: our analysis, what it changes on the lead, and the staff alerts it raises.

The call row is the outbox. The webhook leaves it PENDING, `enqueue_analysis` rings
the worker (best effort) and `sweep_pending_analyses` rings again for calls left
pending, so a broker outage delays analysis but never loses it. A worker claims the
call by stamping `analysis_requested_at` and writes its result only if that stamp is
still there, so a task delivered twice changes the call, the lead and the alerts once.

A transient OpenAI failure keeps the call PENDING with `analysis_retry_at` from
`analysis_retries.retry_schedule()`; the sweep rings it then. While OpenAI is DOWN
(apps.core.provider_health) calls wait without calling it, and the sweep releases
them as soon as a probe gets an answer. Only a permanent failure, or a call that has
failed for ANALYSIS_RETRY_FOR_HOURS, ends in FAILED, with the reason.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.appointments.models import Service
from apps.calls import alerts, analysis
from apps.calls import analysis_retries as retries
from apps.calls.analysis import AnalysisError, CallAnalysis
from apps.calls.models import Call
from apps.core import provider_health
from apps.core.doorbell import ring
from apps.leads import services as lead_services

logger = logging.getLogger(__name__)

# prompt_version of calls whose analysis came from VAPI's end-of-call report.
VAPI_PROMPT_VERSION = "vapi"
BUSINESS_CONTEXT_CHARS = 2_000
OPENAI = provider_health.OPENAI


@dataclass(frozen=True)
class Outcome:
    """What one analysis run decided, before it is written."""

    status: str
    fields: dict[str, Any] = field(default_factory=dict)  # Call fields to save
    facts: dict[str, Any] = field(default_factory=dict)  # CallAnalysis-shaped
    error: str = ""


def enqueue_analysis(call_id: int) -> bool:
    """Ring the analysis worker for one call; the call stays PENDING until analysed."""
    from apps.calls import tasks  # tasks imports this module

    return ring(tasks.analyze_call, call_id, what="analysis of call")


def request_reanalysis(
    calls: QuerySet[Call], *, prompt_version: str | None = None
) -> int:
    """Mark ended calls PENDING and ring the worker for each on commit; returns how many.

    With `prompt_version`, calls already COMPLETED with that version are left alone.
    """
    calls = calls.filter(status=Call.Status.ENDED)
    if prompt_version:
        calls = calls.exclude(
            analysis_status=Call.AnalysisStatus.COMPLETED,
            prompt_version=prompt_version,
        )
    ids = list(calls.values_list("id", flat=True))
    now = timezone.now()
    Call.objects.filter(id__in=ids).update(
        analysis_status=Call.AnalysisStatus.PENDING,
        analysis_requested_at=now,
        analysis_error="",
        analysis_attempts=0,
        analysis_retry_at=None,
        analysis_failing_since=None,
        updated_at=now,
    )
    for call_id in ids:
        transaction.on_commit(partial(enqueue_analysis, call_id))
    return len(ids)


def sweep_pending_analyses(now: dt.datetime | None = None) -> int:
    """Ring again for calls PENDING past the grace period or their retry time, after
    releasing the calls that waited out an OpenAI outage; returns how many were rung.

    Bounded by ANALYSIS_SWEEP_BATCH_SIZE (one probe while OpenAI is down). Stops at
    the first failed enqueue (the broker is still down; the next sweep tries again).
    Each rung call starts a new grace period. Idempotent.
    """
    now = now or timezone.now()
    retries.release_after_outage(now)
    found = retries.calls_to_ring(now)
    rung = 0
    for call_id, requested_at in found:
        if not enqueue_analysis(call_id):
            break
        # A new grace period, unless a worker has claimed the call since (new stamp).
        Call.objects.needing_analysis().filter(
            id=call_id, analysis_requested_at=requested_at
        ).update(analysis_requested_at=now, analysis_retry_at=None)
        rung += 1
    return rung


def analyze_call(call: Call) -> Call:
    """Analyse a PENDING call, update its lead and queue staff alerts; once per request.

    OpenAI runs outside any transaction; the result is written in one. Without an API
    key VAPI's own analysis is used, else the call is SKIPPED with the reason. A
    transient failure keeps the call PENDING with its next try's time (the sweep
    rings it then); a permanent one, or one past the retry schedule, is FAILED.
    Never raises AnalysisError. A call that is not PENDING, or was claimed by a later
    task, is left alone.
    """
    token = _claim(call)
    if token is None:
        logger.info("Call %s is not waiting for analysis", call.pk)
        return _reloaded(call)
    # What the claim saw, not what the caller's instance held when it was loaded.
    call = Call.objects.select_related("business", "lead").get(pk=call.pk)
    try:
        outcome = _analyse(call)
    except retries.OpenAIDown:
        return retries.wait_for_openai(call, token)
    except AnalysisError as exc:
        error = f"Permanent: {exc}"[:2000] if exc.permanent else ""
        error = error or retries.retry_later(call, token, exc)
        if not error:
            return _reloaded(call)
        outcome = Outcome(Call.AnalysisStatus.FAILED, error=error)
    return _finish(call, token, outcome)


def _claim(call: Call) -> dt.datetime | None:
    """Stamp a PENDING call as ours; the stamp is checked again before writing."""
    row = (
        Call.objects.needing_analysis()
        .filter(pk=call.pk)
        .values("analysis_requested_at")
        .first()
    )
    if row is None:
        return None
    token = timezone.now()
    claimed = (
        Call.objects.needing_analysis()
        .filter(pk=call.pk, analysis_requested_at=row["analysis_requested_at"])
        .update(analysis_requested_at=token, analysis_retry_at=None)
    )
    return token if claimed else None


def _analyse(call: Call) -> Outcome:
    if not _caller_spoke(call):
        return Outcome(Call.AnalysisStatus.SKIPPED, error="The caller said nothing.")
    if not analysis.is_configured():
        return _vapi_outcome(call) or Outcome(
            Call.AnalysisStatus.SKIPPED,
            error="OPENAI_API_KEY is not set and VAPI sent no analysis.",
        )
    if not provider_health.may_call(OPENAI):
        raise retries.OpenAIDown
    result = analysis.analyze_transcript(
        call.transcript,
        business_name=call.business.name if call.business else "the business",
        business_context=_business_context(call.business),
        messages=call.messages or None,
    )
    provider_health.record_success(OPENAI)
    return _openai_outcome(result)


def _openai_outcome(result: CallAnalysis) -> Outcome:
    facts = result.to_dict()
    return Outcome(
        Call.AnalysisStatus.COMPLETED,
        fields={
            "summary": result.summary,
            "intent": result.intent,
            "sentiment": result.sentiment,
            "lead_score": result.lead_score,
            "analysis": facts,
            "analysis_usage": {**result.usage, "model": result.model},
            "prompt_version": result.prompt_version,
        },
        facts=facts,
    )


def _vapi_outcome(call: Call) -> Outcome | None:
    """VAPI's summary and structured data (analysis.VAPI_ANALYSIS_SCHEMA) on our fields.

    VAPI judges no sentiment and no lead score: they stay unknown rather than guessed,
    so VAPI's word alone never qualifies a lead.
    """
    data = (
        call.vapi_structured_data if isinstance(call.vapi_structured_data, dict) else {}
    )
    summary = call.vapi_summary.strip()
    if not summary and not data:
        return None
    intent = _text(data, "intent")
    urgent = data.get("urgent") is True
    follow_up = urgent or any(
        data.get(flag) is True for flag in ("callback_requested", "lead_captured")
    )
    facts = {
        "source": VAPI_PROMPT_VERSION,
        "summary": summary,
        "intent": intent if intent in analysis.INTENTS else "",
        "caller_name": _text(data, "caller_name"),
        "service_of_interest": _text(data, "service"),
        "follow_up_needed": follow_up,
        # Read as OpenAI's: "urgent" on the same test, "none" when nothing is to do.
        "follow_up_urgency": "urgent" if urgent else "normal" if follow_up else "none",
    }
    fields = {
        "summary": summary,
        "intent": facts["intent"],
        "sentiment": "",
        "lead_score": None,
        "analysis": facts,
        "analysis_usage": {},
        "prompt_version": VAPI_PROMPT_VERSION,
    }
    return Outcome(Call.AnalysisStatus.COMPLETED, fields=fields, facts=facts)


def _finish(call: Call, token: dt.datetime, outcome: Outcome) -> Call:
    """Write the outcome, the lead and the alerts in one transaction, if still ours."""
    with transaction.atomic():
        locked = (
            Call.objects.select_for_update(of=("self",))
            .select_related("business", "lead")
            .filter(
                pk=call.pk,
                analysis_status=Call.AnalysisStatus.PENDING,
                analysis_requested_at=token,
            )
            .first()
        )
        if locked is None:
            logger.info("Call %s was claimed again meanwhile; result dropped", call.pk)
            return _reloaded(call)
        _save_outcome(locked, outcome)
        if outcome.status == Call.AnalysisStatus.COMPLETED and locked.lead_id:
            _apply_to_lead(locked, outcome.facts)
        alerts.queue_call_alerts(locked, facts=outcome.facts)
    logger.info("Analysis of call %s: %s", call.pk, outcome.status)
    return locked


def _save_outcome(call: Call, outcome: Outcome) -> None:
    changes = {
        **outcome.fields,
        "analysis_status": outcome.status,
        "analysis_error": outcome.error,
        "analysis_retry_at": None,
    }
    if outcome.status == Call.AnalysisStatus.COMPLETED:
        changes["analyzed_at"] = timezone.now()
    for name, value in changes.items():
        setattr(call, name, value)
    call.save(update_fields=[*changes, "updated_at"])


def _apply_to_lead(call: Call, facts: dict[str, Any]) -> None:
    lead_services.record_call_analysis(
        call.lead,
        name=facts.get("caller_name") or "",
        email=facts.get("caller_email") or "",
        interest=facts.get("service_of_interest") or "",
        score=facts.get("lead_score"),
        score_reason=facts.get("lead_score_reason") or "",
    )


# --- Reading the call ---


def _caller_spoke(call: Call) -> bool:
    return alerts.caller_turns(call) > 0


def _business_context(business) -> str:
    """What the analyst should know about the business: its services and notes."""
    if business is None:
        return ""
    services = Service.objects.filter(business=business, is_active=True)
    names = ", ".join(services.order_by("name").values_list("name", flat=True))
    parts = [
        f"Services: {names}." if names else "",
        business.extra_instructions.strip(),
    ]
    return "\n".join(p for p in parts if p)[:BUSINESS_CONTEXT_CHARS]


def _text(data: dict, key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def _reloaded(call: Call) -> Call:
    call.refresh_from_db()
    return call
