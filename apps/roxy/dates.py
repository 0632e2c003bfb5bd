"""Turn what a caller says about a day ("next Tuesday", "March 15th") into dates.

Pure functions, no database. `today` is always the business's local date, so
"tomorrow" means tomorrow where the business is, not where the server is.

Choices for phrases US speakers use loosely (Roxy should say the full date back,
e.g. "Tuesday, March 18th", so a caller can correct her):
- Weeks run Monday to Sunday (ISO), so a weekend belongs to the week before it.
- "Tuesday" and "this Tuesday" are the next Tuesday on or after today (today if
  today is a Tuesday).
- "next Tuesday" is the Tuesday of next week: said on a Monday it is eight days
  away, said on a Saturday it is three. That is the reading most US speakers
  intend when they contrast it with "this Tuesday".
- "next weekend" follows the same rule: the weekend of next week.
- A month and day without a year ("March 15", "3/15") is the next such date on
  or after today, rolling into next year once this year's has passed. A date
  with an explicit year is returned even if it is in the past.
- A range's second part is read relative to its first ("Dec 30 to Jan 2",
  "March 15 to 18").
"""

import calendar
import datetime as dt
import re

from django.utils.dates import MONTHS as MONTH_NAMES
from django.utils.dates import WEEKDAYS as DAY_NAMES
from django.utils.translation import gettext

WEEKDAYS = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "wednesday": 2,
    "wed": 2,
    "thursday": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}
MONTHS = {
    name.lower(): number
    for names in (calendar.month_name, calendar.month_abbr)
    for number, name in enumerate(names)
    if name
} | {"sept": 9}
SMALL_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_UNITS = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
]
ORDINAL_WORDS = (
    {word: n for n, word in enumerate(_UNITS, start=1)}
    | {
        word: n
        for n, word in enumerate(
            [
                "tenth",
                "eleventh",
                "twelfth",
                "thirteenth",
                "fourteenth",
                "fifteenth",
                "sixteenth",
                "seventeenth",
                "eighteenth",
                "nineteenth",
                "twentieth",
            ],
            start=10,
        )
    }
    | {f"twenty {word}": 20 + n for n, word in enumerate(_UNITS, start=1)}
    | {"thirtieth": 30, "thirty first": 31}
)

_MONTH = "(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?:the )?(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?: (?P<year>\d{4}))?"
ISO_DATE = re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})")
MONTH_DAY = re.compile(f"{_MONTH} {_DAY}{_YEAR}")
DAY_MONTH = re.compile(rf"{_DAY} (?:of )?{_MONTH}{_YEAR}")
NUMERIC_DATE = re.compile(
    r"(?P<month>\d{1,2})/(?P<day>\d{1,2})(?:/(?P<year>\d{2}|\d{4}))?"
)
ORDINAL_DAY = re.compile(
    r"(?:the )?(?P<day>\d{1,2})(?:st|nd|rd|th)|the (?P<bare>\d{1,2})"
)
WEEKDAY = re.compile(
    r"(?:(?P<which>this coming|this|coming|next) )?(?P<weekday>"
    + "|".join(sorted(WEEKDAYS, key=len, reverse=True))
    + r")\.?"
)
RELATIVE = re.compile(
    r"in (?P<count>\d+|" + "|".join(SMALL_NUMBERS) + r") (?P<unit>days?|weeks?)"
)
RANGE = re.compile(
    r"(?:from |between )?(?P<first>.+?) (?:to|through|thru|until|till|-|and) (?P<last>.+)"
)
DAY_SPAN = re.compile(
    r"(?:^|(?<= ))(?P<first>\d{1,2}(?:st|nd|rd|th)?) ?- ?(?P<last>\d{1,2}(?:st|nd|rd|th)?)$"
)
LEADING_WORDS = re.compile(r"^(?:on|for|any ?time|sometime|some time) ")
PART_OF_DAY = re.compile(r" (?:in the )?(?:morning|afternoon|evening|night)$")


def _hint() -> str:
    # Built when raised, so it is in the call's language (apps.roxy.languages.speaking).
    return gettext("Could you give me a day, like tomorrow, Friday, or March 15th?")


class DateParseError(ValueError):
    """The text names no date we understand; the message can be read to the caller."""

    def __init__(self, message: str, *, hint: bool = True) -> None:
        super().__init__(f"{message} {_hint()}" if hint else message)


def resolve_dates(text: str, *, today: dt.date) -> tuple[dt.date, dt.date]:
    """Return the inclusive (first, last) dates `text` names, relative to `today`."""
    try:
        return _resolve_dates(text, today=today)
    except OverflowError:
        # "in 9999999 days", or a range running past the year 9999.
        raise DateParseError(
            gettext('"{text}" is too far away to be a date.').format(text=text.strip())
        ) from None


def _resolve_dates(text: str, *, today: dt.date) -> tuple[dt.date, dt.date]:
    if isinstance(today, dt.datetime):
        today = today.date()
    phrase = _normalise(text)
    if not phrase:
        raise DateParseError(gettext("I didn't catch a date."))
    single = _resolve_single(phrase, today)
    if single is not None:
        return single
    match = RANGE.fullmatch(phrase)
    if match is None:
        raise DateParseError(_unknown_day(text))
    first = _resolve_part(match["first"], today, text)[0]
    last = _resolve_part(match["last"], first, text, allow_bare_day=True)[1]
    if last < first:
        raise DateParseError(
            gettext('The range in "{text}" ends before it starts.').format(
                text=text.strip()
            )
        )
    return first, last


def _normalise(text: str) -> str:
    phrase = text.lower().replace(",", " ").replace("–", " - ").replace("—", " - ")
    phrase = re.sub(r"\s+", " ", phrase).strip(" .!?")
    phrase = re.sub(r"\b(twenty|thirty)-", r"\1 ", phrase)
    for words, number in sorted(ORDINAL_WORDS.items(), key=lambda i: -len(i[0])):
        phrase = re.sub(rf"\b{words}\b", f"{number}th", phrase)
    phrase = LEADING_WORDS.sub("", phrase)
    phrase = PART_OF_DAY.sub("", phrase).strip()
    if not ISO_DATE.fullmatch(phrase):
        # "March 15-18": a day range written with a bare hyphen.
        phrase = DAY_SPAN.sub(r"\g<first> to \g<last>", phrase)
    return phrase


def _resolve_part(
    phrase: str, today: dt.date, text: str, *, allow_bare_day: bool = False
) -> tuple[dt.date, dt.date]:
    if allow_bare_day and phrase.isdigit():
        phrase = f"{phrase}th"
    resolved = _resolve_single(phrase, today)
    if resolved is None:
        raise DateParseError(_unknown_day(text))
    return resolved


def _unknown_day(text: str) -> str:
    return gettext('I couldn\'t work out which day "{text}" is.').format(
        text=text.strip()
    )


def _resolve_single(phrase: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    for resolver in (_named_day, _named_span, _relative, _weekday, _calendar_date):
        resolved = resolver(phrase, today)
        if resolved is not None:
            return resolved
    return _weekday_and_date(phrase, today)


def _same(day: dt.date) -> tuple[dt.date, dt.date]:
    return day, day


def _named_day(phrase: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    offsets = {
        "today": 0,
        "tonight": 0,
        "now": 0,
        "tomorrow": 1,
        "tmrw": 1,
        "day after tomorrow": 2,
        "the day after tomorrow": 2,
    }
    if phrase in offsets:
        return _same(today + dt.timedelta(days=offsets[phrase]))
    return None


def _named_span(phrase: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    monday = today - dt.timedelta(days=today.weekday())
    next_monday = monday + dt.timedelta(days=7)
    if phrase == "this week":
        return today, monday + dt.timedelta(days=6)
    if phrase == "next week":
        return next_monday, next_monday + dt.timedelta(days=6)
    if phrase in ("this weekend", "the weekend", "weekend", "this coming weekend"):
        return max(today, monday + dt.timedelta(days=5)), monday + dt.timedelta(days=6)
    if phrase == "next weekend":
        return next_monday + dt.timedelta(days=5), next_monday + dt.timedelta(days=6)
    if phrase == "this month":
        return today, _month_end(today)
    if phrase == "next month":
        first = _month_end(today) + dt.timedelta(days=1)
        return first, _month_end(first)
    return None


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _relative(phrase: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    match = RELATIVE.fullmatch(phrase)
    if match is None:
        return None
    count = match["count"]
    days = int(count) if count.isdigit() else SMALL_NUMBERS[count]
    if match["unit"].startswith("week"):
        days *= 7
    return _same(today + dt.timedelta(days=days))


def _weekday(phrase: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    match = WEEKDAY.fullmatch(phrase)
    if match is None:
        return None
    weekday = WEEKDAYS[match["weekday"]]
    if match["which"] == "next":
        next_monday = today + dt.timedelta(days=7 - today.weekday())
        return _same(next_monday + dt.timedelta(days=weekday))
    return _same(today + dt.timedelta(days=(weekday - today.weekday()) % 7))


def _calendar_date(phrase: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    match = ISO_DATE.fullmatch(phrase)
    if match:
        return _same(_build(int(match["year"]), int(match["month"]), int(match["day"])))
    for pattern in (MONTH_DAY, DAY_MONTH, NUMERIC_DATE):
        match = pattern.fullmatch(phrase)
        if match:
            return _same(_month_day(match, today))
    match = ORDINAL_DAY.fullmatch(phrase)
    if match:
        return _same(_next_day_of_month(int(match["day"] or match["bare"]), today))
    return None


def _month_day(match: re.Match, today: dt.date) -> dt.date:
    month = match["month"]
    month = int(month) if month.isdigit() else MONTHS[month]
    day = int(match["day"])
    if match["year"]:
        year = int(match["year"])
        return _build(year + 2000 if year < 100 else year, month, day)
    for year in (today.year, today.year + 1):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    if not 1 <= month <= 12:
        raise DateParseError(gettext("There's no month {month}.").format(month=month))
    raise DateParseError(
        gettext("There's no {month} {day} this year or next.").format(
            month=_month_name(month), day=day
        )
    )


def _next_day_of_month(day: int, today: dt.date) -> dt.date:
    year, month = today.year, today.month
    for _ in range(3):  # at most two months lack a 31st in a row
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            candidate = None
        if candidate and candidate >= today:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise DateParseError(gettext("No month has a day {day}.").format(day=day))


def _build(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise DateParseError(
            gettext("There's no such date as {month} {day}, {year}.").format(
                month=_month_name(month), day=day, year=year
            )
        ) from None


def _month_name(month: int) -> str:
    # In the call's language (django.utils.dates.MONTHS are translated).
    if 1 <= month <= 12:
        return str(MONTH_NAMES[month])
    return gettext("month {number}").format(number=month)


def _weekday_and_date(phrase: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """'Tuesday March 18': the date decides; a weekday that disagrees is an error."""
    head, _, rest = phrase.partition(" ")
    if head.rstrip(".") not in WEEKDAYS or not rest:
        return None
    dated = _calendar_date(rest, today)
    if dated is None:
        return None
    day = dated[0]
    if day.weekday() != WEEKDAYS[head.rstrip(".")]:
        said = DAY_NAMES[WEEKDAYS[head.rstrip(".")]]
        raise DateParseError(
            gettext(
                "{month} {day}, {year} is a {weekday}, not a {said}. "
                "Which day did you mean?"
            ).format(
                month=_month_name(day.month),
                day=day.day,
                year=day.year,
                weekday=DAY_NAMES[day.weekday()],
                said=said,
            ),
            hint=False,
        )
    return dated
