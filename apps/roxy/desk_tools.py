"""Roxy's front-desk tools: leads, messages for staff, and facts about the business."""

from typing import Any

from django.conf import settings
from django.utils.translation import gettext

from apps.leads import services as lead_services
from apps.leads.models import CallbackRequest
from apps.roxy import prompts
from apps.roxy.speech import one_line, say_phone
from apps.roxy.toolbox import (
    ToolContext,
    ToolError,
    choice_arg,
    email_arg,
    link_call_to_lead,
    phone_arg,
    text_arg,
)

# What Roxy may pass for an urgency, to the callback request's.
URGENCY_WORDS = {urgency.value: urgency for urgency in CallbackRequest.Urgency} | {
    "not urgent": CallbackRequest.Urgency.LOW,
    "medium": CallbackRequest.Urgency.NORMAL,
    "high": CallbackRequest.Urgency.URGENT,
    "asap": CallbackRequest.Urgency.URGENT,
    "emergency": CallbackRequest.Urgency.URGENT,
}
NAME_ARGS = ("name", "caller_name", "customer_name", "who")
PHONE_ARGS = ("phone", "phone_number", "customer_phone", "callback_number", "number")


def capture_lead(args: dict[str, Any], context: ToolContext) -> str:
    """Save (or merge into) the caller's lead for staff follow-up."""
    name = text_arg(args, *NAME_ARGS, limit=120)
    phone = phone_arg(args, *PHONE_ARGS, default=context.caller_number)
    email = email_arg(args, "email", "email_address")
    if not (phone or email):
        raise ToolError(
            gettext(
                "I need a phone number or an email to save their details. Ask for one."
            )
        )
    notes = text_arg(args, "notes", "details", "message", limit=2000)
    preferred = text_arg(args, "preferred_contact", "contact_method", limit=40)
    if preferred:
        notes = f"{notes} (prefers {preferred})".strip()
    urgency = choice_arg(args, "urgency", choices=URGENCY_WORDS)
    lead = lead_services.capture_lead(
        context.business,
        phone=phone,
        name=name,
        email=email,
        interest=text_arg(args, "interest", "interested_in", "topic", limit=200),
        notes=notes,
        urgency=urgency,
    )
    link_call_to_lead(context, lead)
    reach = say_phone(phone) if phone else email
    if urgency == CallbackRequest.Urgency.URGENT:
        saved = gettext(
            "Saved {name}'s details (lead {id}) as a priority. The team at "
            "{business} will follow up at {reach}."
        )
    else:
        saved = gettext(
            "Saved {name}'s details (lead {id}). The team at {business} will "
            "follow up at {reach}."
        )
    return saved.format(
        name=name or gettext("the caller"),
        id=lead.pk,
        business=context.business.name,
        reach=reach,
    )


def take_message(args: dict[str, Any], context: ToolContext) -> str:
    """Record a callback request that staff see in their open list."""
    message = text_arg(args, "message", "msg", "notes", "details", limit=2000)
    if not message:
        raise ToolError(gettext("What is the message? Ask the caller what to pass on."))
    number = phone_arg(
        args, "callback_number", *PHONE_ARGS, default=context.caller_number
    )
    if not number:
        raise ToolError(gettext("I need a number to call them back on. Ask for it."))
    urgency = choice_arg(
        args, "urgency", choices=URGENCY_WORDS, default=CallbackRequest.Urgency.NORMAL
    )
    callback = lead_services.record_callback_request(
        context.business,
        callback_number=number,
        message=message,
        name=text_arg(args, *NAME_ARGS, limit=120),
        urgency=urgency,
        call=context.call,
    )
    link_call_to_lead(context, callback.lead)
    if urgency == CallbackRequest.Urgency.URGENT:
        taken = gettext(
            "Message taken for the team at {business}. They will call {name} back "
            "as soon as they can at {phone}."
        )
    else:
        taken = gettext(
            "Message taken for the team at {business}. They will call {name} back "
            "soon at {phone}."
        )
    return taken.format(
        business=context.business.name,
        name=callback.name or gettext("the caller"),
        phone=say_phone(number),
    )


def get_business_info(args: dict[str, Any], context: ToolContext) -> str:
    """Hours, address, services, prices, policies, closures or FAQ, as written by staff."""
    topic = text_arg(args, "topic", "question", limit=40).lower()
    business = context.business
    if topic in ("address", "contact", "location", "phone", "website"):
        return prompts.contact_text(business) or gettext(
            "No address or contact details are on file."
        )
    if topic == "policies":
        return _written(business.policies, gettext("No policies are written down"))
    if topic == "faq":
        return _written(business.faq, gettext("No FAQ answers are written down"))
    profile = prompts.load_profile(business, now=context.now)
    if topic == "hours":
        hours = gettext("Opening hours: {hours}").format(
            hours=prompts.hours_text(profile)
        )
        return f"{hours} {prompts.closures_text(profile)}"
    if topic in ("services", "prices", "price", "service"):
        return prompts.services_text(profile)
    if topic in ("closures", "holidays"):
        return prompts.closures_text(profile) or (
            gettext("No closures in the next {days} days.").format(
                days=settings.ROXY_CLOSURE_LOOKAHEAD_DAYS
            )
        )
    return " ".join(
        [
            prompts.contact_text(business),
            gettext("Opening hours: {hours}").format(hours=prompts.hours_text(profile)),
        ]
    )


def _written(text: str, missing: str) -> str:
    if text.strip():
        return one_line(text)
    return gettext(
        "{missing}. Don't guess: offer to take a message for the team."
    ).format(missing=missing)
