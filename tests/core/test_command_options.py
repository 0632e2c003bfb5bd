import datetime as dt
import io

import pytest
from django.core.management.base import CommandError, OutputWrapper

from apps.core.command_options import Progress, parse_moment, window

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("90m", NOW - dt.timedelta(minutes=90)),
        ("24h", NOW - dt.timedelta(hours=24)),
        ("7d", NOW - dt.timedelta(days=7)),
        ("2W", NOW - dt.timedelta(weeks=2)),
        ("2026-11-01T08:00", dt.datetime(2026, 11, 1, 8, tzinfo=dt.UTC)),
        ("2026-11-01T08:00-06:00", dt.datetime(2026, 11, 1, 14, tzinfo=dt.UTC)),
        ("2026-11-01T08:00:00Z", dt.datetime(2026, 11, 1, 8, tzinfo=dt.UTC)),
    ],
)
def test_parse_moment_reads_ages_and_iso_datetimes(value, expected):
    assert parse_moment(value, now=NOW) == expected


def test_parse_moment_explains_what_it_accepts():
    with pytest.raises(
        CommandError, match="neither an age like 24h nor an ISO datetime"
    ):
        parse_moment("last tuesday", now=NOW)


def test_window_refuses_a_start_after_the_end():
    with pytest.raises(CommandError, match="--since must be before --until"):
        window("1h", "2h")


def test_window_without_since_is_open_ended():
    start, end = window(None, None)
    assert start is None
    assert end.tzinfo is not None


def test_progress_writes_a_line_per_step_when_not_on_a_terminal():
    out = io.StringIO()
    progress = Progress(OutputWrapper(out), "Checked", "call(s)")
    progress(1, 2)
    progress(2, 2)
    assert out.getvalue() == "\rChecked 1/2 call(s)\n\rChecked 2/2 call(s)\n"
