"""Words for the phone: times, days, prices and lists as Roxy says them, and clock
times as callers say them.

Tool results are read by the model and then spoken, and VAPI wants them on one
line, so everything here yields plain single-line text.
"""

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal

from apps.core.phones import format_phone

# Markdown emphasis, code and headings; underscores stay (emails, tool names).
_MARKUP = re.compile(r"[*`#]+")
_CLOCK = re.compile(
    r"^(?P<hour>\d{1,2})(?:[:.h ]?(?P<minute>\d{2}))?\s*(?P<meridiem>[ap])?\.?\s*m?\.?$"
)
_WORD_TIMES = {"noon": dt.time(12), "midday": dt.time(12), "midnight": dt.time(0)}


def one_line(text: str) -> str:
    """Collapse whitespace and drop markdown so VAPI can take the text as a result."""
    return " ".join(_MARKUP.sub(" ", text).split())


def say_clock(value: dt.datetime | dt.time) -> str:
    """'9:00 AM', '1:30 PM'."""
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"


def say_day(value: dt.date) -> str:
    """'Saturday, March 15'."""
    return f"{value:%A}, {value:%B} {value.day}"


def say_when(value: dt.datetime, tz: dt.tzinfo) -> str:
    """'1:30 PM on Saturday, March 15' in the business's time zone."""
    local = value.astimezone(tz)
    return f"{say_clock(local)} on {say_day(local.date())}"


def say_duration(minutes: int) -> str:
    """'45 minutes', '1 hour', '2 hours 30 minutes'."""
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if rest or not hours:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts)


def say_price(price: Decimal | None) -> str:
    """'$45', '$42.50'; empty when there is no set price."""
    if price is None:
        return ""
    if price == price.to_integral_value():
        return f"${int(price):,}"
    return f"${price:,.2f}"


def say_list(items: Iterable[str], *, conjunction: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [item for item in items if item]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def say_phone(e164: str) -> str:
    """A number the way people read it out: '(512) 555-0187'."""
    return format_phone(e164) if e164 else ""


def parse_clock(text: str) -> dt.time | None:
    """'1 PM', '1:30pm', '13:00', '9.15 a.m.', 'noon' as a time; None if unreadable.

    A bare hour from 1 to 7 means afternoon: nobody books a haircut at 3 AM.
    """
    text = " ".join(text.lower().replace("o'clock", "").split())
    if text in _WORD_TIMES:
        return _WORD_TIMES[text]
    match = _CLOCK.match(text)
    if not match:
        return None
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    meridiem = match["meridiem"]
    if minute > 59 or hour > 23 or (meridiem and not 1 <= hour <= 12):
        return None
    if meridiem == "p" and hour != 12:
        hour += 12
    elif meridiem == "a" and hour == 12:
        hour = 0
    elif meridiem is None and 1 <= hour <= 7:
        hour += 12
    return dt.time(hour, minute)
