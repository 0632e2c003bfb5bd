"""What every Roxy tool gets (the context of the call) and how it says it failed."""

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext

from apps.businesses.models import Business
from apps.calls.models import Call
from apps.core.phones import InvalidPhoneError, normalize_phone


class ToolError(Exception):
    """The tool could not do what was asked; the message is ready for Roxy to use."""


@dataclass(frozen=True)
class ToolContext:
    # Never None inside a tool: the dispatcher answers for an unknown line itself.
    business: Business
    call: Call | None
    caller_number: str  # E.164, or "" when the caller ID is hidden or unusable
    now: dt.datetime

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return self.business.tzinfo

    @property
    def local_now(self) -> dt.datetime:
        return self.now.astimezone(self.tz)

    @property
    def today(self) -> dt.date:
        return self.local_now.date()


def text_arg(args: dict[str, Any], *names: str, limit: int = 1000) -> str:
    """The first non-empty argument among `names` (aliases), as stripped text."""
    for name in names:
        value = args.get(name)
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float | str):
            text = " ".join(str(value).split())
            if text:
                return text[:limit]
    return ""


def choice_arg(
    args: dict[str, Any], *names: str, choices: dict[str, str], default: str = ""
) -> str:
    """An argument mapped through `choices` (said -> canonical); `default` otherwise."""
    said = text_arg(args, *names).lower().replace("_", " ")
    return choices.get(said, default)


def phone_arg(args: dict[str, Any], *names: str, default: str) -> str:
    """A phone number from the arguments as E.164, else `default` (the caller's).

    A number that was given but is not a phone number is an error, so Roxy asks
    again instead of silently using another number.
    """
    said = text_arg(args, *names, limit=40)
    if not said:
        return default
    try:
        return normalize_phone(said)
    except InvalidPhoneError:
        raise ToolError(
            gettext(
                '"{said}" doesn\'t look like a phone number. Ask the caller to repeat it.'
            ).format(said=said)
        ) from None


# The longest address RFC 5321 lets through, and the Lead.email column's size.
MAX_EMAIL_LENGTH = 254


def email_arg(args: dict[str, Any], *names: str) -> str:
    """An email address from the arguments, whole: never cut to fit the column.

    Too long to be an address is an error, so Roxy asks again; a malformed one is
    passed on as said (the lead services note it for staff instead of storing it).
    """
    said = text_arg(args, *names, limit=2000)
    if len(said) > MAX_EMAIL_LENGTH:
        raise ToolError(
            gettext(
                "That email address is too long to be right. Ask the caller to spell "
                "it again, or to give a phone number instead."
            )
        )
    return said


def link_call_to_lead(context: ToolContext, lead) -> None:
    """Attach the lead to the call unless the call already has one."""
    if context.call is None or lead is None or context.call.lead_id:
        return
    Call.objects.filter(pk=context.call.pk, lead__isnull=True).update(lead=lead)
    context.call.lead = lead
