"""Roxy's send_text tool: a text to the caller during the call (the address and
directions, what was just booked, the business's website), through the outbox, with
the same consent and quiet-hours rules as every text, and the truth when it can't go.
"""

from typing import Any
from urllib.parse import quote_plus

from django.utils.translation import gettext, gettext_noop

from apps.appointments.models import Appointment
from apps.roxy.speech import say_when
from apps.roxy.toolbox import ToolContext, ToolError, choice_arg, phone_arg
from apps.texting import outbound, wording

KIND = "roxy_text"
WHAT = {
    "address": "address",
    "directions": "address",
    "location": "address",
    "booking": "booking",
    "appointment": "booking",
    "confirmation": "booking",
    "website": "website",
    "link": "website",
}
WHAT_CHOICES = ("address", "booking", "website")
# English msgids, said (gettext) in the call's language when raised.
WHY_NOT = {
    "no_provider": gettext_noop(
        "Texts can't be sent right now (no SMS provider is set up). Tell "
        "the caller, and give the details by voice instead."
    ),
    "landline": gettext_noop(
        "That number is a landline and can't take texts. Ask for a mobile "
        "number, or give the details by voice."
    ),
    "opted_out": gettext_noop(
        "That number has opted out of our texts (they replied STOP). Tell "
        "the caller; they can text START to this number to get texts again."
    ),
    "invalid": gettext_noop("That number can't take texts. Ask for a mobile number."),
}


def send_text(args: dict[str, Any], context: ToolContext) -> str:
    """Queue a text to the caller with the details they asked for."""
    what = choice_arg(args, "what", "topic", "content", choices=WHAT)
    if not what:
        raise ToolError(gettext("Say what to text: address, booking or website."))
    phone = phone_arg(
        args, "phone", "phone_number", "number", default=context.caller_number
    )
    if not phone:
        raise ToolError(
            gettext("I need a mobile number to text. Ask the caller for one.")
        )
    body, appointment = _body(what, context, phone)
    call_ref = context.call.vapi_call_id if context.call else context.now.isoformat()
    result = outbound.send_text(
        context.business,
        phone,
        body,
        kind=KIND,
        dedupe_key=f"{KIND}:{call_ref}:{what}:{phone}",
        call=context.call,
        appointment=appointment,
    )
    if not result.sent:
        raise ToolError(gettext(WHY_NOT[result.reason]))
    if result.held_until and result.held_until > context.now:
        later = say_when(result.held_until, context.tz)
        return gettext(
            "Queued the text, but it's quiet hours: it will arrive {later}. Tell the "
            "caller."
        ).format(later=later)
    return gettext("Text sent. Tell the caller it's on its way.")


def _body(what: str, context: ToolContext, phone: str):
    business = context.business
    if what == "address":
        if not business.address.strip():
            raise ToolError(
                gettext("No address is on file; offer to take a message instead.")
            )
        address = " ".join(business.address.split())
        maps = f"https://www.google.com/maps/search/?api=1&query={quote_plus(address)}"
        return gettext("{business}: {address}. Directions: {maps}").format(
            business=business.name, address=address, maps=maps
        ), None
    if what == "website":
        if not business.website:
            raise ToolError(gettext("The business has no website link on file."))
        return f"{business.name}: {business.website}", None
    appointment = _booked(context, phone)
    if appointment is None:
        raise ToolError(gettext("There's no upcoming booking for this caller to text."))
    # The text is in the call's language, like everything said on it.
    text = gettext(
        "{business}: you're booked for {service} with {person} on {when}. {hint}"
    ).format(
        business=business.name,
        service=appointment.service.name,
        person=appointment.provider.name,
        when=wording.when(appointment.start_at, context.tz),
        hint=wording.reply_hint(),
    )
    return text, appointment


def _booked(context: ToolContext, phone: str) -> Appointment | None:
    upcoming = (
        Appointment.objects.upcoming(now=context.now)
        .filter(business=context.business)
        .select_related("service", "provider")
    )
    if context.call is not None:
        on_this_call = upcoming.filter(source_call=context.call).order_by("-created_at")
        booked_now = on_this_call.first()
        if booked_now is not None:
            return booked_now
    return upcoming.filter(lead__phone=phone).order_by("start_at").first()
