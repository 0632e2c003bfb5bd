"""Recording consent: the notice Roxy speaks first, and what a caller's "no" does.

How a "no" turns recording off, and why this way (decided on VAPI's documents):
- The assistant's `artifactPlan.recordingEnabled` is fixed when VAPI asks for the
  assistant, before the caller has said anything; live call control has no
  "stop recording" command.
- VAPI's `compliancePlan.recordingConsentPlan` is an Enterprise-only feature, and on
  a "no" it ends or transfers the call: the caller would lose the receptionist.
- So VAPI records from the first second, and a caller who declines is honoured
  after the fact: Roxy records the refusal with `decline_recording` and carries on;
  VoiceHive then never stores, plays or links the recording (the end-of-call
  report's recording URLs are dropped), and the call's page says the caller
  declined. Roxy tells the caller exactly that, and no more.
"""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from apps.businesses.models import Business
from apps.calls.models import Call
from apps.roxy.toolbox import ToolContext


def default_notice() -> str:
    return gettext(
        "Before we start: this call is recorded to help us serve you. Is that okay "
        "with you?"
    )


def notice(business: Business) -> str:
    """What Roxy says about recording at the start of the call; "" for nothing."""
    written = business.recording_consent_notice.strip()
    if written:
        return written
    return default_notice() if business.recording_consent_required else ""


def with_notice(greeting: str, business: Business) -> str:
    """The first message, with the recording notice after the greeting."""
    spoken = notice(business)
    return f"{greeting} {spoken}" if spoken else greeting


def consent_rules(business: Business) -> str:
    """The prompt's section on recording; "" when the business gives no notice."""
    if not notice(business):
        return ""
    wait = (
        "Wait for a clear yes or no before helping with anything else. "
        if business.recording_consent_required
        else ""
    )
    return (
        "## Recording\nYour first message told the caller the call is recorded. "
        f"{wait}If the caller says they do not want to be recorded, use "
        "decline_recording (below), then carry on helping them. Never argue or ask "
        "twice."
    )


def tool_rule(business: Business) -> str:
    """The tool list's line for decline_recording; "" when it is not offered."""
    if not notice(business):
        return ""
    return (
        "- decline_recording: at once when the caller says they do not want the call "
        "recorded; then tell them the recording will not be kept."
    )


def decline_recording(args: dict[str, Any], context: ToolContext) -> str:
    """Record that the caller refused recording: the recording is never kept. Idempotent."""
    if context.call is not None:
        Call.objects.filter(
            pk=context.call.pk, recording_declined_at__isnull=True
        ).update(recording_declined_at=timezone.now())
    return gettext(
        "Noted: the recording of this call will not be kept. Tell the caller, "
        "then carry on."
    )
