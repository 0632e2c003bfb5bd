"""Roxy herself: the transient assistant answered to assistant-request, and where
her transfers go (transfer-destination-request). See docs/vapi-protocol.md §4.1, §4.3, §10.

Both answers are built from the database only, with a fixed number of queries:
VAPI drops the call if assistant-request takes more than 7.5 s.
"""

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from apps.businesses.models import Business
from apps.calls.analysis import VAPI_ANALYSIS_SCHEMA
from apps.core.phones import e164_or_blank, e164_or_raw
from apps.leads.models import Lead
from apps.roxy import consent, languages, transfers
from apps.roxy.prompts import (
    BOOKING_TOOLS,
    BusinessProfile,
    first_message,
    load_profile,
    system_prompt,
)
from apps.roxy.registry import END_CALL, TOOLS, TRANSFER_CALL
from apps.roxy.speech import say_hours, say_list
from apps.vapi.protocol import ASSISTANT_REQUEST, VapiMessage

logger = logging.getLogger(__name__)
# Stamped on the assistants we send, so that VAPI's echo of one in later messages
# is known for ours (apps.vapi.intake stores it once).
ASSISTANT_SOURCE = ASSISTANT_REQUEST

# Set explicitly, as VAPI asks since 2025-05 (docs/vapi-protocol.md §1). Each one earns its place:
SERVER_MESSAGES = [
    "status-update",  # the call's lifecycle: answered, forwarding, ended
    "end-of-call-report",  # transcript, recording and VAPI's analysis; feeds ours
    "tool-calls",  # Roxy's tools run here
    "transfer-destination-request",  # transferCall has no destination: we decide
    "hang",  # Roxy went silent for seconds: flags slow tools on the call
    "language-change-detected",  # the caller switched language: tools answer in it
    "transfer-update",  # a transfer started: its outcome is shown on the call
]
# Left out on purpose: transcript, speech-update, user-interrupted and model-output
# arrive several times per sentence and we use none of them; conversation-update
# came on every turn with the whole conversation, was never read, and was a third
# of a call's messages and bytes (bench/call.py; a lost report is recovered by
# reconcile_vapi_calls); function-call is for legacy model.functions, which this
# assistant does not define.


def unknown_number_error() -> str:
    return gettext(
        "Sorry, this number isn't taking calls right now. Please try again later."
    )


def answer_assistant_request(message: VapiMessage, *, business, call) -> dict:
    """The transient assistant for a call to `business`; a refusal or a forward if none."""
    if business is None or not business.is_active:
        with languages.speaking(languages.call_language(business)):
            return unavailable_answer(business)
    caller = e164_or_blank(message.caller_number)
    lead = _known_lead(business, caller)
    profile = load_profile(business, now=timezone.now())
    logger.info("Answering assistant-request as %s", business.slug)
    return {"assistant": build_assistant(profile, caller_number=caller, lead=lead)}


def preview_assistant(business: Business) -> dict[str, Any]:
    """The assistant a new caller to `business` would get right now, for staff to review."""
    profile = load_profile(business, now=timezone.now())
    return build_assistant(profile, caller_number="", lead=None)


def answer_transfer_destination_request(
    message: VapiMessage, *, business, call
) -> dict:
    """Transfer to the business's line during opening hours; otherwise a refusal
    worded so that Roxy offers to take a message. In the call's language."""
    with languages.speaking(languages.call_language(business, call)):
        return _transfer_answer(message, business=business, call=call)


def _transfer_answer(message: VapiMessage, *, business, call) -> dict:
    if business is None or not business.is_active or not business.transfer_number:
        return {
            "error": gettext(
                "Nobody can take a transferred call on this line. Tell the "
                "caller and offer to take a message with take_message."
            )
        }
    now = business.local_now()
    spans = _spans_on(business, now.date())
    if not any(opens <= now.time() < closes for opens, closes in spans):
        return {"error": _closed_error(business, spans)}
    return {
        "destination": {
            "type": "number",
            "number": e164_or_raw(business.transfer_number),
            "message": gettext(
                "Connecting you to the team at {business}, one moment please."
            ).format(business=business.name),
            "description": f"{business.name} front desk",
        }
    }


def build_assistant(
    profile: BusinessProfile, *, caller_number: str, lead: Lead | None
) -> dict[str, Any]:
    """The CreateAssistantDTO body for one call (docs/vapi-protocol.md §10), in
    the business's default language: the call starts in it."""
    with languages.speaking(profile.business.spoken_languages()[0]):
        return _assistant(profile, caller_number=caller_number, lead=lead)


def _assistant(
    profile: BusinessProfile, *, caller_number: str, lead: Lead | None
) -> dict[str, Any]:
    business = profile.business
    language = business.spoken_languages()[0]
    plan = _plan(profile)
    prompt = system_prompt(profile, caller_number=caller_number, lead=lead, plan=plan)
    assistant: dict[str, Any] = {
        "name": f"{business.assistant_name or 'Roxy'} - {business.name}"[:40],
        "firstMessage": consent.with_notice(
            first_message(business, lead=lead), business
        ),
        "firstMessageMode": "assistant-speaks-first",
        "model": {
            "provider": settings.ROXY_MODEL_PROVIDER,
            "model": settings.ROXY_MODEL,
            "temperature": settings.ROXY_MODEL_TEMPERATURE,
            "maxTokens": settings.ROXY_MODEL_MAX_TOKENS,
            "messages": [{"role": "system", "content": prompt}],
            "tools": _tools(profile, plan),
        },
        "voice": languages.voice(business),
        "transcriber": languages.transcriber(business),
        "serverMessages": SERVER_MESSAGES,
        "endCallMessage": gettext("Thanks for calling {business}. Goodbye!").format(
            business=business.name
        ),
        "maxDurationSeconds": settings.ROXY_MAX_DURATION_SECONDS,
        "analysisPlan": _analysis_plan(),
        "artifactPlan": {"recordingEnabled": settings.ROXY_RECORDING_ENABLED},
        "metadata": {
            "business_id": business.pk,
            "business_slug": business.slug,
            "assistant_source": ASSISTANT_SOURCE,
            "lead_id": lead.pk if lead else None,
            "language": language,
        },
    }
    server = _tool_server()
    if server:
        server["timeoutSeconds"] = settings.VAPI_SERVER_TIMEOUT_SECONDS
        assistant["server"] = server
    return assistant


def unavailable_answer(business: Business | None) -> dict:
    """The answer when Roxy can't take this call: the fallback line, or a spoken apology."""
    if settings.VAPI_FALLBACK_TRANSFER_NUMBER:
        # Forward silently: the fallback line answers as itself.
        return {
            "destination": {
                "type": "number",
                "number": settings.VAPI_FALLBACK_TRANSFER_NUMBER,
                "message": "",
            }
        }
    if business is not None:
        return {
            "error": gettext(
                "Sorry, {business} isn't taking calls on this line right now. "
                "Please try again later."
            ).format(business=business.name)
        }
    return {"error": unknown_number_error()}


def _tool_server() -> dict[str, Any] | None:
    """Where VAPI sends tool calls; None leaves it to the assistant's server."""
    if not settings.VAPI_SERVER_URL:
        return None
    server: dict[str, Any] = {
        "url": settings.VAPI_SERVER_URL,
        "timeoutSeconds": settings.ROXY_TOOL_TIMEOUT_SECONDS,
    }
    if settings.VAPI_CREDENTIAL_ID:
        server["credentialId"] = settings.VAPI_CREDENTIAL_ID
    return server


def _plan(profile: BusinessProfile) -> transfers.CallPlan:
    """Open or closed now, and who takes transfers (two queries)."""
    return transfers.plan_call(
        profile.business,
        now=profile.now,
        hours=[tuple(span) for span in profile.hours],
        closed_days=[(c.starts_on, c.ends_on) for c in profile.closures],
    )


def _tools(profile: BusinessProfile, plan: transfers.CallPlan) -> list[dict[str, Any]]:
    server = _tool_server()
    business = profile.business
    skipped = set() if plan.books else set(BOOKING_TOOLS)
    if not consent.notice(business):
        skipped.add("decline_recording")
    tools = [
        tool.to_vapi(profile.services, server=server)
        for tool in TOOLS.values()
        if tool.name not in skipped
    ]
    tools.append(END_CALL)
    if plan.configured:
        transfer = transfers.transfer_tool(business, plan.destinations)
        if transfer:
            tools.append(transfer)
    elif business.transfer_number:
        # Asked for at transfer time (legacy single line); said in the call's language.
        sure = gettext("Sure, one moment.")
        tools.append(
            TRANSFER_CALL
            | {"messages": [TRANSFER_CALL["messages"][0] | {"content": sure}]}
        )
    return tools


def _known_lead(business: Business, caller: str) -> Lead | None:
    if not caller:
        return None
    # Only what the greeting, the prompt and the metadata use (the query budget test
    # catches a deferred field read later).
    return (
        Lead.objects.filter(business=business, phone=caller).only("id", "name").first()
    )


def _analysis_plan() -> dict[str, Any]:
    # Calls owns the schema: post_call reads VAPI's answer back in the same terms.
    return {
        "summaryPlan": {"enabled": True},
        "structuredDataPlan": {"enabled": True, "schema": VAPI_ANALYSIS_SCHEMA},
        "successEvaluationPlan": {"enabled": True, "rubric": "PassFail"},
    }


def _spans_on(business: Business, day: dt.date) -> list[tuple[dt.time, dt.time]]:
    """Opening intervals on `day` in local time; none on a closure day."""
    if business.closures.filter(starts_on__lte=day, ends_on__gte=day).exists():
        return []
    hours = business.opening_hours.filter(weekday=day.weekday())
    return [(h.opens_at, h.closes_at) for h in hours]


def _closed_error(business: Business, spans: list[tuple[dt.time, dt.time]]) -> str:
    if spans:
        hours = say_list(say_hours(o, c) for o, c in spans)
        today = gettext("Today's hours are {hours}.").format(hours=hours)
    else:
        today = gettext("{business} is closed today.").format(business=business.name)
    return gettext(
        "Transfers only happen during opening hours and nobody is available right "
        "now. {today} Tell the caller and offer to take a message with take_message "
        "so the team calls them back."
    ).format(today=today)
