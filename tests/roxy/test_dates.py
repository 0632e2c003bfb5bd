import datetime as dt

import pytest

from apps.roxy.dates import DateParseError, resolve_dates

D = dt.date
SATURDAY = D(2025, 3, 15)
MONDAY = D(2025, 3, 10)
TUESDAY = D(2025, 3, 11)
SUNDAY = D(2025, 3, 16)


def one(day: dt.date) -> tuple[dt.date, dt.date]:
    return day, day


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-15", one(D(2025, 3, 15))),
        ("2025-3-5", one(D(2025, 3, 5))),
        ("today", one(SATURDAY)),
        ("  ToDay ", one(SATURDAY)),
        ("tomorrow", one(D(2025, 3, 16))),
        ("day after tomorrow", one(D(2025, 3, 17))),
        ("The day after tomorrow", one(D(2025, 3, 17))),
        ("in 3 days", one(D(2025, 3, 18))),
        ("in two weeks", one(D(2025, 3, 29))),
        ("tomorrow afternoon", one(D(2025, 3, 16))),
        ("on Friday.", one(D(2025, 3, 21))),
    ],
)
def test_simple_days(text, expected):
    assert resolve_dates(text, today=SATURDAY) == expected


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("Tuesday", TUESDAY, TUESDAY),
        ("tuesday", MONDAY, TUESDAY),
        ("Tuesday", D(2025, 3, 12), D(2025, 3, 18)),
        ("this Tuesday", TUESDAY, TUESDAY),
        ("this Friday", MONDAY, D(2025, 3, 14)),
        ("this coming friday", MONDAY, D(2025, 3, 14)),
        ("tues", MONDAY, TUESDAY),
        # "next" is the named day of next week.
        ("next Tuesday", MONDAY, D(2025, 3, 18)),
        ("next Tuesday", TUESDAY, D(2025, 3, 18)),
        ("next Tuesday", SATURDAY, D(2025, 3, 18)),
        ("next Monday", SUNDAY, D(2025, 3, 17)),
        ("next saturday", SATURDAY, D(2025, 3, 22)),
    ],
)
def test_weekdays(text, today, expected):
    assert resolve_dates(text, today=today) == one(expected)


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("this week", TUESDAY, (TUESDAY, SUNDAY)),
        ("this week", SUNDAY, (SUNDAY, SUNDAY)),
        ("next week", TUESDAY, (D(2025, 3, 17), D(2025, 3, 23))),
        ("next week", SUNDAY, (D(2025, 3, 17), D(2025, 3, 23))),
        ("this weekend", TUESDAY, (SATURDAY, SUNDAY)),
        ("this weekend", SATURDAY, (SATURDAY, SUNDAY)),
        ("this weekend", SUNDAY, (SUNDAY, SUNDAY)),
        ("the weekend", TUESDAY, (SATURDAY, SUNDAY)),
        ("next weekend", TUESDAY, (D(2025, 3, 22), D(2025, 3, 23))),
        ("next weekend", SATURDAY, (D(2025, 3, 22), D(2025, 3, 23))),
        ("this month", TUESDAY, (TUESDAY, D(2025, 3, 31))),
        ("next month", TUESDAY, (D(2025, 4, 1), D(2025, 4, 30))),
    ],
)
def test_spans(text, today, expected):
    assert resolve_dates(text, today=today) == expected


@pytest.mark.parametrize(
    "text",
    [
        "March 15",
        "15 March",
        "Mar 15th",
        "3/15",
        "march the 15th",
        "the 15th of March",
        "March fifteenth",
        "Saturday, March 15",
        "sat 3/15",
        "March 15, 2025",
        "3/15/25",
    ],
)
def test_month_day_forms(text):
    assert resolve_dates(text, today=D(2025, 3, 1)) == one(D(2025, 3, 15))


def test_a_month_day_already_past_rolls_to_next_year():
    assert resolve_dates("March 14", today=SATURDAY) == one(D(2026, 3, 14))
    assert resolve_dates("3/14", today=SATURDAY) == one(D(2026, 3, 14))


def test_a_month_day_today_is_today():
    assert resolve_dates("March 15", today=SATURDAY) == one(SATURDAY)


def test_an_explicit_year_is_kept_even_in_the_past():
    assert resolve_dates("March 1, 2025", today=SATURDAY) == one(D(2025, 3, 1))


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("tomorrow", D(2025, 12, 31), D(2026, 1, 1)),
        ("tomorrow", D(2025, 2, 28), D(2025, 3, 1)),
        ("tomorrow", D(2024, 2, 28), D(2024, 2, 29)),
        ("day after tomorrow", D(2025, 12, 30), D(2026, 1, 1)),
        ("Monday", D(2025, 12, 31), D(2026, 1, 5)),
        ("next Friday", D(2025, 12, 29), D(2026, 1, 9)),
        ("January 2", D(2025, 12, 31), D(2026, 1, 2)),
        ("the 1st", D(2025, 12, 31), D(2026, 1, 1)),
        ("the 31st", D(2025, 4, 1), D(2025, 5, 31)),
        ("the 30th", D(2025, 2, 1), D(2025, 3, 30)),
        ("Feb 29", D(2027, 3, 1), D(2028, 2, 29)),
    ],
)
def test_relative_dates_cross_month_and_year_ends(text, today, expected):
    assert resolve_dates(text, today=today) == one(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-15 to 2025-03-18", (D(2025, 3, 15), D(2025, 3, 18))),
        ("2025-03-15 - 2025-03-18", (D(2025, 3, 15), D(2025, 3, 18))),
        ("2025-03-15 – 2025-03-18", (D(2025, 3, 15), D(2025, 3, 18))),
        ("March 15 to 18", (D(2025, 3, 15), D(2025, 3, 18))),
        ("march 15-18", (D(2025, 3, 15), D(2025, 3, 18))),
        ("Dec 30 to Jan 2", (D(2025, 12, 30), D(2026, 1, 2))),
        ("from today until Friday", (SATURDAY, D(2025, 3, 21))),
        ("between Monday and Wednesday", (D(2025, 3, 17), D(2025, 3, 19))),
    ],
)
def test_ranges(text, expected):
    assert resolve_dates(text, today=SATURDAY) == expected


def test_a_datetime_for_today_is_taken_as_its_date():
    now = dt.datetime(2025, 3, 15, 23, 30, tzinfo=dt.UTC)
    assert resolve_dates("tomorrow", today=now) == one(D(2025, 3, 16))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "soon",
        "blue",
        "2025-02-30",
        "February 30",
        "13/40",
        "the 32nd",
        "2025-03-18 to 2025-03-15",
    ],
)
def test_unreadable_dates_raise_a_speakable_error(text):
    with pytest.raises(DateParseError) as info:
        resolve_dates(text, today=SATURDAY)
    message = str(info.value)
    assert message.endswith(("?", "."))
    assert "Traceback" not in message and "regex" not in message


def test_a_weekday_that_contradicts_the_date_is_an_error():
    with pytest.raises(DateParseError, match="is a Tuesday, not a Wednesday"):
        resolve_dates("Wednesday March 18", today=SATURDAY)


def test_date_parse_error_is_a_value_error():
    assert issubclass(DateParseError, ValueError)


@pytest.mark.parametrize(
    "text", ["in 99999999 days", "9999-12-31 to next week", "in 3000000 weeks"]
)
def test_dates_past_the_end_of_the_calendar_are_a_parse_error(text):
    with pytest.raises(DateParseError, match="too far away"):
        resolve_dates(text, today=dt.date(2025, 3, 14))
