import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest

from apps.roxy import speech

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


def test_one_line_collapses_lines_and_drops_markdown():
    assert speech.one_line("**Hours**\n\n# Mon\t9-5 `ok`") == "Hours Mon 9-5 ok"
    assert speech.one_line("dana_w@example.com") == "dana_w@example.com"


def test_say_when_is_local_clock_time_and_spelled_out_day():
    moment = dt.datetime(2025, 3, 15, 18, 30, tzinfo=dt.UTC)

    assert speech.say_when(moment, CHICAGO) == "1:30 PM on Saturday, March 15"


@pytest.mark.parametrize(
    ("hour", "expected"),
    [(0, "12:00 AM"), (9, "9:00 AM"), (12, "12:00 PM"), (23, "11:00 PM")],
)
def test_say_clock(hour, expected):
    assert speech.say_clock(dt.time(hour)) == expected


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (45, "45 minutes"),
        (60, "1 hour"),
        (150, "2 hours 30 minutes"),
        (61, "1 hour 1 minute"),
    ],
)
def test_say_duration(minutes, expected):
    assert speech.say_duration(minutes) == expected


def test_say_price():
    assert speech.say_price(Decimal("45.00")) == "$45"
    assert speech.say_price(Decimal("42.5")) == "$42.50"
    assert speech.say_price(Decimal("1200")) == "$1,200"
    assert speech.say_price(None) == ""


def test_say_list():
    assert speech.say_list([]) == ""
    assert speech.say_list(["Maria"]) == "Maria"
    assert speech.say_list(["Maria", "Jess"], conjunction="or") == "Maria or Jess"
    assert speech.say_list(["a", "b", "c"]) == "a, b and c"


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("1 PM", dt.time(13)),
        ("1:30pm", dt.time(13, 30)),
        ("9.15 a.m.", dt.time(9, 15)),
        ("13:00", dt.time(13)),
        ("12 am", dt.time(0)),
        ("12pm", dt.time(12)),
        ("noon", dt.time(12)),
        ("3 o'clock", dt.time(15)),
        ("10", dt.time(10)),
        ("930", dt.time(9, 30)),
    ],
)
def test_parse_clock_reads_spoken_times(said, expected):
    assert speech.parse_clock(said) == expected


@pytest.mark.parametrize("said", ["", "soon", "25:00", "13 pm", "9:75"])
def test_parse_clock_refuses_what_is_not_a_time(said):
    assert speech.parse_clock(said) is None
