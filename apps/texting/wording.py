"""What VoiceHive texts back: short, signed with the business's name, one place.

Each text is in the customer's language (issue #16): the language of their last
call to the business if it speaks it, else the business's default. The inbound
text's handling names the customer (`customer`); without one, an appointment's
customer, else the business default.
"""

import datetime as dt
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext

from apps.calls.models import Call
from apps.core.phones import format_phone

_speaking_to: ContextVar[str] = ContextVar("texting_customer_language", default="")


def customer_language(business, phone: str = "", appointment=None) -> str:
    """Their last call's language if the business speaks it, else its default."""
    if not phone and appointment is not None and appointment.lead_id:
        phone = appointment.lead.phone
    last = ""
    if phone:
        calls = Call.objects.filter(business=business, caller_number=phone)
        last = (
            calls.exclude(language="")
            .order_by("-started_at")
            .values_list("language", flat=True)
            .first()
        ) or ""
    return business.language_for(last)


@contextmanager
def customer(business, phone: str) -> Iterator[None]:
    """Word every text inside for the customer at `phone`."""
    token = _speaking_to.set(customer_language(business, phone))
    try:
        yield
    finally:
        _speaking_to.reset(token)


def _in_their_language(func):
    @functools.wraps(func)
    def worded(business, *args):
        appointment = args[0] if args and hasattr(args[0], "lead_id") else None
        language = _speaking_to.get() or customer_language(
            business, appointment=appointment
        )
        # Set for the texts this one is built from (opted_out_with_appointment).
        token = _speaking_to.set(language)
        try:
            with translation.override(language):
                return func(business, *args)
        finally:
            _speaking_to.reset(token)

    return worded


def when(moment: dt.datetime, tz: dt.tzinfo) -> str:
    """'Sat Mar 15 at 1:30 PM' (2 PM on the hour), in the active language."""
    local = moment.astimezone(tz)
    day = date_format(local, pgettext("a day in a text, Django date format", "D M j"))
    clock = date_format(
        local, pgettext("a time in a text, Django date format", "g:i A")
    ).replace(":00 ", " ")
    return pgettext("a day and a time in a text", "{day} at {clock}").format(
        day=day, clock=clock
    )


def _contact(business) -> str:
    return (
        format_phone(business.phone)
        if business.phone
        else pgettext("call ... (no phone on file)", "us")
    )


def reply_hint() -> str:
    """The replies apps.texting.replies understands in every language (C, R)."""
    return gettext("Reply C to confirm or R to reschedule.")


@_in_their_language
def opted_out(business) -> str:
    return gettext(
        "{business}: you're unsubscribed and will get no more texts from us. "
        "Reply START to resubscribe."
    ).format(business=business.name)


@_in_their_language
def opted_out_with_appointment(business, appointment) -> str:
    return gettext(
        "{opted_out} Your appointment on {when} is still booked; to cancel it, "
        "call {contact}."
    ).format(
        opted_out=opted_out(business),
        when=when(appointment.start_at, business.tzinfo),
        contact=_contact(business),
    )


@_in_their_language
def opted_in(business) -> str:
    return gettext(
        "{business}: you're subscribed to our texts again. Reply HELP for help, "
        "STOP to opt out."
    ).format(business=business.name)


@_in_their_language
def help_text(business) -> str:
    return gettext(
        "{business}: appointment texts. Call {contact} for help. Reply C to confirm, "
        "R to reschedule, STOP to opt out. Msg&data rates may apply."
    ).format(business=business.name, contact=_contact(business))


@_in_their_language
def confirmed(business, appointment) -> str:
    return gettext(
        "{business}: thanks, you're confirmed for {service} on {when}."
    ).format(
        business=business.name,
        service=appointment.service.name,
        when=when(appointment.start_at, business.tzinfo),
    )


@_in_their_language
def cancelled(business, appointment) -> str:
    return gettext(
        "{business}: your {service} on {when} is cancelled. Reply R to book a new time."
    ).format(
        business=business.name,
        service=appointment.service.name,
        when=when(appointment.start_at, business.tzinfo),
    )


@_in_their_language
def offer(business, slots) -> str:
    lines = [
        gettext("{number}) {when} with {person}").format(
            number=number,
            when=when(slot.start_at, business.tzinfo),
            person=slot.provider_name,
        )
        for number, slot in enumerate(slots, start=1)
    ]
    return gettext(
        "{business}: we can move you to {times}. Reply with the number to book it."
    ).format(business=business.name, times="; ".join(lines))


@_in_their_language
def no_slots(business) -> str:
    return gettext(
        "{business}: we have no free times in the next two weeks to offer by text. "
        "The team will get back to you, or call {contact}."
    ).format(business=business.name, contact=_contact(business))


@_in_their_language
def moved(business, appointment) -> str:
    return gettext(
        "{business}: done, your {service} is now {when} with {person}."
    ).format(
        business=business.name,
        service=appointment.service.name,
        when=when(appointment.start_at, business.tzinfo),
        person=appointment.provider.name,
    )


@_in_their_language
def already_moved(business, appointment) -> str:
    return gettext(
        "{business}: you're already booked for {when}. Reply R for other times."
    ).format(business=business.name, when=when(appointment.start_at, business.tzinfo))


@_in_their_language
def offer_lapsed(business) -> str:
    return gettext(
        "{business}: those times are no longer held. Here are new ones."
    ).format(business=business.name)


@_in_their_language
def no_appointment(business) -> str:
    return gettext(
        "{business}: we couldn't find an upcoming appointment for this number. "
        "The team will get back to you, or call {contact}."
    ).format(business=business.name, contact=_contact(business))


@_in_their_language
def passed_to_staff(business) -> str:
    return gettext(
        "{business}: thanks, we've passed your message to the team. They'll get back "
        "to you soon."
    ).format(business=business.name)
