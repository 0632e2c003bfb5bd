"""Staff alerts after a call: a missed call, a new lead, an urgent follow-up.

Which alerts a finished call warrants is decided from the call itself (its end,
length, tool use, lead) and from whatever analysis it got, so calls whose analysis
failed or was skipped still raise them.
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from apps.calls.analysis import URGENT_FOLLOW_UPS
from apps.calls.models import Call
from apps.calls.transcripts import conversation_turns
from apps.core.links import absolute_url
from apps.core.phones import format_phone
from apps.leads.models import Lead
from apps.notifications import services as notification_services

# endedReasons after which Roxy (or a person) finished the call: never "missed".
FINISHED_REASON_PREFIXES = (
    "assistant-ended-call",
    "assistant-said-end-call-phrase",
    "assistant-forwarded-call",
    "exceeded-max-duration",
    "manually-canceled",
    "voicemail",
    "twilio-reported-customer-misdialed",
)
HUNG_UP = "customer-ended-call"
ENDED_REASON_TEXT = {
    HUNG_UP: "the caller hung up",
    "silence-timed-out": "the line went quiet and the call timed out",
    "customer-ended-call-during-transfer": "the caller hung up while being transferred",
}


def queue_call_alerts(call: Call, *, facts: dict[str, Any]) -> list:
    """Queue the staff alerts a finished call warrants; idempotent per call and kind.

    A missed call, else the first call of a new lead; plus an urgent follow-up when
    the analysis asks for one. Nothing for spam, nor for calls older than
    POST_CALL_ALERT_MAX_AGE_HOURS (re-analysing old calls stays quiet).
    """
    if call.business is None or facts.get("intent") == "spam" or _is_old(call):
        return []
    kinds = []
    if is_missed_call(call):
        kinds.append("missed_call")
    elif is_first_call_of_new_lead(call):
        kinds.append("new_lead")
    if facts.get("follow_up_urgency") in URGENT_FOLLOW_UPS:
        kinds.append("urgent_follow_up")
    context = _alert_context(call, facts)
    return [
        notification
        for kind in kinds
        for notification in notification_services.notify_staff(
            call.business,
            kind=kind,
            context=context,
            dedupe_key=f"{kind}:call:{call.pk}",
            lead=call.lead,
            call=call,
        )
    ]


def is_missed_call(call: Call) -> bool:
    """Nobody was served: no tool ran, and the call failed, went quiet or was cut short.

    VAPI's endedReason is an open set, so anything not known to be a finished call
    counts as missed; a hang-up counts when the caller said nothing, or said at most
    one thing within MISSED_CALL_MAX_SECONDS. Anonymous calls can't be called back.
    """
    if not call.caller_number or _used_tools(call):
        return False
    reason = call.ended_reason
    if reason.startswith(FINISHED_REASON_PREFIXES):
        return False
    if reason != HUNG_UP:
        return True
    said = caller_turns(call)
    short = (call.duration_seconds or 0) < settings.MISSED_CALL_MAX_SECONDS
    return said == 0 or (short and said <= 1)


def is_first_call_of_new_lead(call: Call) -> bool:
    """The call created its lead: an inbound-call lead with no earlier call."""
    lead = call.lead
    if lead is None or lead.source != Lead.Source.INBOUND_CALL:
        return False
    earlier = Call.objects.filter(lead=lead, created_at__lt=call.created_at)
    return not earlier.exclude(pk=call.pk).exists()


def _alert_context(call: Call, facts: dict[str, Any]) -> dict[str, Any]:
    lead = call.lead
    return {
        "caller_name": facts.get("caller_name") or (lead.name if lead else ""),
        "caller_phone": format_phone(call.caller_number) if call.caller_number else "",
        "caller_email": facts.get("caller_email") or (lead.email if lead else ""),
        "service_of_interest": facts.get("service_of_interest") or "",
        "lead_score": facts.get("lead_score"),
        "lead_score_reason": facts.get("lead_score_reason") or "",
        "summary": facts.get("summary") or call.vapi_summary,
        "action_items": facts.get("action_items") or [],
        "urgency": facts.get("follow_up_urgency") or "",
        "called_at": call.started_at or call.created_at,
        "ended_reason": ENDED_REASON_TEXT.get(
            call.ended_reason, call.ended_reason.replace("-", " ")
        ),
        "admin_url": absolute_url("admin:calls_call_change", call.pk),
    }


def _is_old(call: Call) -> bool:
    ended = call.ended_at or call.created_at
    max_age = dt.timedelta(hours=settings.POST_CALL_ALERT_MAX_AGE_HOURS)
    return ended < timezone.now() - max_age


def caller_turns(call: Call) -> int:
    """How many times the caller said something."""
    turns = conversation_turns(call.messages, call.transcript)
    return sum(1 for turn in turns if turn.kind == "caller" and turn.text.strip())


def _used_tools(call: Call) -> bool:
    if call.tool_invocations.exists():
        return True
    return any(turn.kind == "tool" for turn in conversation_turns(call.messages))
