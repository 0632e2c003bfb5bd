"""Where Roxy may put a caller through right now, and what she does when the business is closed.

Each business lists its transfer destinations (front desk, a provider, the owner's
mobile, a department), each with what it is for and its hours. The assistant is
built per call, so the transferCall tool carries only the destinations open at the
start of the call, each described by its purpose: the model picks by what the
caller asks, and VAPI dials without asking us again. Warm destinations use VAPI's
`warm-transfer-experimental` plan, the one mode whose fallbackPlan hands the caller
back to Roxy when nobody answers (`endCallEnabled: false`), so a failed transfer
ends in a message rather than a dead line (docs: TransferPlan, TransferFallbackPlan).
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext

from apps.businesses.models import Business, TransferDestination
from apps.core.phones import e164_or_raw


def fallback_message() -> str:
    """Said to the caller when a transfer fails and Roxy takes over again."""
    return gettext(
        "I'm sorry, nobody could pick up just now. I can take a message so they "
        "call you back."
    )


ON_CALL_NAME = "On-call line"


@dataclass(frozen=True)
class CallPlan:
    """What this call may do, decided once when the assistant is built."""

    open_now: bool
    destinations: list["Destination"]
    # Whether the business lists destinations (or an on-call number) at all: if
    # not, its single transfer_number is asked for at transfer time, as before.
    configured: bool = False

    @property
    def books(self) -> bool:
        return self.open_now or self.after_hours_mode != Business.AfterHours.MESSAGES

    after_hours_mode: str = Business.AfterHours.ANSWER


def plan_call(
    business: Business,
    *,
    now: dt.datetime,
    hours: list[tuple[int, dt.time, dt.time]],
    closed_days: list[tuple[dt.date, dt.date]],
) -> CallPlan:
    """Open or closed at `now` (local), and who may take a transfer."""
    open_now = is_open(hours, closed_days, now)
    rows = list(
        business.transfer_destinations.filter(is_active=True).prefetch_related(
            "custom_hours"
        )
    )
    forwards = business.after_hours_mode == Business.AfterHours.FORWARD_URGENT and bool(
        business.on_call_number
    )
    return CallPlan(
        open_now=open_now,
        destinations=available_now(business, rows, now=now, open_now=open_now),
        configured=bool(rows) or forwards,
        after_hours_mode=business.after_hours_mode,
    )


@dataclass(frozen=True)
class Destination:
    name: str
    number: str
    purpose: str
    warm: bool
    summary_instructions: str = ""

    def to_vapi(self, business: Business) -> dict[str, Any]:
        """VAPI's TransferDestinationNumber for this destination."""
        destination: dict[str, Any] = {
            "type": "number",
            "number": e164_or_raw(self.number),
            "message": gettext(
                "Connecting you to {name} now, one moment please."
            ).format(name=self.name),
            "description": f"{self.name}: {self.purpose}",
        }
        if self.warm:
            destination["transferPlan"] = _warm_plan(self, business)
        else:
            destination["transferPlan"] = {
                "mode": "blind-transfer",
                "fallbackPlan": {
                    "message": fallback_message(),
                    "endCallEnabled": False,
                },
            }
        return destination


def is_open(
    hours: list[tuple[int, dt.time, dt.time]],
    closed_days: list[tuple[dt.date, dt.date]],
    now: dt.datetime,
) -> bool:
    """Whether `now` (local) falls in an opening interval on a day not closed."""
    day = now.date()
    if any(first <= day <= last for first, last in closed_days):
        return False
    return any(
        weekday == day.weekday() and opens <= now.time() < closes
        for weekday, opens, closes in hours
    )


def available_now(
    business: Business,
    rows: list[TransferDestination],
    *,
    now: dt.datetime,
    open_now: bool,
) -> list[Destination]:
    """Those of the active destinations `rows` (custom hours prefetched) a caller may
    be put through to at `now` (local), in order; the on-call number too when the
    business is closed and forwards urgent calls."""
    available = [
        _destination(row) for row in rows if _within_hours(row, now, open_now=open_now)
    ]
    if (
        not open_now
        and business.after_hours_mode == Business.AfterHours.FORWARD_URGENT
        and business.on_call_number
    ):
        available.append(
            Destination(
                name=ON_CALL_NAME,
                number=business.on_call_number,
                purpose="urgent matters only, while the business is closed (an "
                "emergency that cannot wait for a call back)",
                warm=False,
            )
        )
    return available


def transfer_tool(
    business: Business, destinations: list[Destination]
) -> dict[str, Any] | None:
    """VAPI's transferCall tool over these destinations; None when there are none."""
    if not destinations:
        return None
    return {
        "type": "transferCall",
        "destinations": [d.to_vapi(business) for d in destinations],
        # Built under the call's language (assistant.py), so said in it.
        "messages": [
            {"type": "request-start", "content": gettext("Sure, one moment.")}
        ],
    }


def transfer_rules(destinations: list[Destination]) -> str:
    """The prompt's lines about putting callers through."""
    if not destinations:
        return (
            "- Nobody can take a transferred call right now. If the caller asks for "
            "a person, say so and offer take_message."
        )
    lines = [
        "- transferCall: put the caller through when they ask for a person or need "
        "something you cannot do. Pick the destination whose purpose matches what "
        "they asked for:"
    ]
    lines += [f"  - {d.name}: {d.purpose}" for d in destinations]
    lines.append(
        "  If the transfer fails (nobody answers, busy), apologise and take a message "
        "with take_message, marking it urgent if it is."
    )
    return "\n".join(lines)


def after_hours_rules(business: Business, *, open_now: bool) -> str:
    """The prompt's section on what Roxy does while the business is closed."""
    if open_now:
        return ""
    mode = business.after_hours_mode
    text = f"## {business.name} is closed right now\n"
    if mode == Business.AfterHours.MESSAGES:
        return text + (
            "While closed you only take messages: do not book, move or cancel "
            "appointments. Answer questions from what is written here, then take a "
            "message with take_message so the team calls back when they open."
        )
    if mode == Business.AfterHours.FORWARD_URGENT and business.on_call_number:
        return text + (
            "Book and answer as usual. If the caller has an urgent matter that cannot "
            f"wait for opening hours, transfer them to the {ON_CALL_NAME}; for "
            "anything else, help them yourself or take a message."
        )
    return text + "Book and answer as usual; say when the team is next in."


def _destination(row: TransferDestination) -> Destination:
    return Destination(
        name=row.name,
        number=row.number,
        purpose=row.purpose,
        warm=row.mode == TransferDestination.Mode.WARM,
        summary_instructions=row.summary_instructions,
    )


def _within_hours(
    row: TransferDestination, now: dt.datetime, *, open_now: bool
) -> bool:
    if row.hours == TransferDestination.Hours.ALWAYS:
        return True
    if row.hours == TransferDestination.Hours.OPENING:
        return open_now
    spans = [(h.weekday, h.opens_at, h.closes_at) for h in row.custom_hours.all()]
    return is_open(spans, [], now)


def _warm_plan(destination: Destination, business: Business) -> dict[str, Any]:
    briefing = destination.summary_instructions or (
        "Say who is calling and what they want, in one or two sentences."
    )
    return {
        "mode": "warm-transfer-experimental",
        "summaryPlan": {
            "enabled": True,
            "messages": [
                {
                    "role": "system",
                    "content": f"You are Roxy, the receptionist of {business.name}, "
                    f"briefing {destination.name} before a caller is put through. "
                    f"{briefing} Speak naturally; no lists.",
                },
                {
                    "role": "user",
                    "content": "Here is the call so far:\n\n{{transcript}}",
                },
            ],
        },
        "fallbackPlan": {"message": fallback_message(), "endCallEnabled": False},
    }
