"""Words for the phone: times, days, prices and lists as Roxy says them, and clock
times as callers say them.

Tool results are read by the model and then spoken, and VAPI wants them on one
line, so everything here yields plain single-line text.

Everything is said in the active language (Django's translation.override: the
call's language, see apps.roxy.languages): the word order comes from the
catalogs in locale/ as named {placeholders}, the day and month names from
Django's own catalogs, and the digits from Django's locale formats (so "42,50"
in Spanish and French). English keeps the 12-hour clock; Spanish and French
callers hear the 24-hour clock they use.
"""

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal

from django.utils import formats, translation
from django.utils.dates import MONTHS, WEEKDAYS
from django.utils.translation import ngettext, pgettext

from apps.core.phones import format_phone

# Markdown emphasis, code and headings; underscores stay (emails, tool names).
_MARKUP = re.compile(r"[*`#]+")
_CLOCK = re.compile(
    r"^(?P<hour>\d{1,2})(?:[:.h ]?(?P<minute>\d{2}))?\s*(?P<meridiem>[ap])?\.?\s*m?\.?$"
)
_WORD_TIMES = {"noon": dt.time(12), "midday": dt.time(12), "midnight": dt.time(0)}
# Spanish "y" is said "e" before an /i/ sound, and "o" is said "u" before an /o/.
_SPANISH_BEFORE = {"y": ("e", ("i", "hi")), "o": ("u", ("o", "ho"))}


def one_line(text: str) -> str:
    """Collapse whitespace and drop markdown so VAPI can take the text as a result."""
    return " ".join(_MARKUP.sub(" ", text).split())


def say_clock(value: dt.datetime | dt.time) -> str:
    """'9:00 AM', '1:30 PM' (es '13:30', fr '13 h 30')."""
    minute = f"{value.minute:02d}"
    # Which clock the language's callers use: "12" or "24".
    if pgettext("clock style: 12 or 24", "12") == "24":
        return pgettext(
            "a 24-hour clock time said aloud: {hour} 0-23, {minute} 00-59",
            "{hour}:{minute}",
        ).format(hour=value.hour, minute=minute)
    return pgettext(
        "a 12-hour clock time said aloud: {hour} 1-12, {minute} 00-59, {ampm} AM/PM",
        "{hour}:{minute} {ampm}",
    ).format(
        hour=value.hour % 12 or 12,
        minute=minute,
        ampm=pgettext("before noon", "AM")
        if value.hour < 12
        else pgettext("after noon", "PM"),
    )


def say_hours(opens: dt.time, closes: dt.time) -> str:
    """'9:00 AM to 5:00 PM': one opening interval."""
    return pgettext(
        "opening hours: {opens} 9:00 AM, {closes} 5:00 PM", "{opens} to {closes}"
    ).format(opens=say_clock(opens), closes=say_clock(closes))


def say_day(value: dt.date) -> str:
    """'Saturday, March 15' (es 'sábado 15 de marzo', fr 'samedi 15 mars')."""
    return pgettext(
        "a day said aloud: {weekday} Monday, {month} March, {day} 15",
        "{weekday}, {month} {day}",
    ).format(
        weekday=WEEKDAYS[value.weekday()],
        month=MONTHS[value.month],
        day=value.day,
    )


def say_when(value: dt.datetime, tz: dt.tzinfo) -> str:
    """'1:30 PM on Saturday, March 15' in the business's time zone."""
    local = value.astimezone(tz)
    return pgettext(
        "a moment said aloud: {time} 1:30 PM, {day} Saturday, March 15",
        "{time} on {day}",
    ).format(time=say_clock(local), day=say_day(local.date()))


def say_duration(minutes: int) -> str:
    """'45 minutes', '1 hour', '2 hours 30 minutes'."""
    hours, rest = divmod(minutes, 60)
    said_hours = ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    said_minutes = ngettext("%(count)d minute", "%(count)d minutes", rest) % {
        "count": rest
    }
    if not hours:
        return said_minutes
    if not rest:
        return said_hours
    return pgettext(
        "a duration: {hours} 2 hours, {minutes} 30 minutes", "{hours} {minutes}"
    ).format(hours=said_hours, minutes=said_minutes)


def say_price(price: Decimal | None) -> str:
    """'$45', '$42.50', '$1,200' (es '42,50 dólares', fr '42,50 dollars');
    empty when there is no set price."""
    if price is None:
        return ""
    whole = price == price.to_integral_value()
    amount = (
        formats.number_format(
            int(price) if whole else price,
            decimal_pos=None if whole else 2,
            use_l10n=True,
            force_grouping=True,
        )
        .replace("\u202f", " ")
        .replace("\xa0", " ")
    )
    # "1 dollar" but "1,50 dollars": the plural follows the amount as said.
    count = 1 if price == 1 else 2
    return ngettext("${amount}", "${amount}", count).format(amount=amount)


def say_list(items: Iterable[str], *, conjunction: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'; `conjunction` is "and" or "or", said in
    the active language."""
    items = [item for item in items if item]
    if len(items) <= 1:
        return "".join(items)
    word = (
        pgettext("joining the last item of a list", "or")
        if conjunction == "or"
        else pgettext("joining the last item of a list", "and")
    )
    last = items[-1]
    if translation.get_language() == "es" and word in _SPANISH_BEFORE:
        replacement, sounds = _SPANISH_BEFORE[word]
        if last.lower().startswith(sounds) and not last.lower().startswith("hie"):
            word = replacement
    return f"{', '.join(items[:-1])} {word} {last}"


def say_phone(e164: str) -> str:
    """A number the way people read it out: '(512) 555-0187'; in Spanish and
    French the same groups without the punctuation, '512 555 0187', which their
    voices read as groups of digits rather than as symbols."""
    if not e164:
        return ""
    national = format_phone(e164)
    # "national" keeps the punctuation; "grouped" reads the same groups plainly.
    if pgettext("phone number style: national or grouped", "national") == "grouped":
        return " ".join(re.sub(r"[()\-.]", " ", national).split())
    return national


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
