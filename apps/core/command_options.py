"""Options and output that the operator commands share: time windows and progress."""

import datetime as dt
import re
import sys

from django.core.management.base import CommandError, OutputWrapper
from django.utils import timezone

_AGE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def add_window_arguments(parser, *, default_since: str | None = "24h") -> None:
    """--since / --until, each an age ('90m', '24h', '7d', '2w') or an ISO datetime."""
    parser.add_argument(
        "--since",
        default=default_since,
        help="Start of the window: an age (90m, 24h, 7d, 2w) or an ISO datetime "
        f"(UTC unless it has an offset). Default: {default_since or 'no limit'}.",
    )
    parser.add_argument(
        "--until", default=None, help="End of the window, same formats. Default: now."
    )


def window(
    since: str | None, until: str | None
) -> tuple[dt.datetime | None, dt.datetime]:
    """The (start, end) the options name; start is None when --since was not limited."""
    now = timezone.now()
    start = parse_moment(since, now=now) if since else None
    end = parse_moment(until, now=now) if until else now
    if start is not None and start >= end:
        raise CommandError("--since must be before --until.")
    return start, end


def parse_moment(value: str, *, now: dt.datetime) -> dt.datetime:
    """'24h' / '7d' (ago) or an ISO datetime, as an aware datetime."""
    match = _AGE.match(value.strip().lower())
    if match:
        amount, unit = match.groups()
        return now - dt.timedelta(**{_UNITS[unit]: int(amount)})
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(
            f"{value!r} is neither an age like 24h nor an ISO datetime like 2025-03-14T15:00."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class Progress:
    """'Checked 12/40 calls' on stderr: redrawn in place on a terminal, one line each in a log."""

    def __init__(self, stderr: OutputWrapper, verb: str, noun: str):
        self.stderr, self.verb, self.noun = stderr, verb, noun

    def __call__(self, done: int, total: int) -> None:
        interactive = getattr(self.stderr, "isatty", sys.stderr.isatty)()
        ending = "\n" if done == total or not interactive else ""
        self.stderr.write(f"\r{self.verb} {done}/{total} {self.noun}", ending=ending)
