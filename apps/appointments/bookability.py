"""Why a time is not one Roxy would offer: what staff are told before they override.

Staff may book or move outside the offers (a walk-in at closing time, a favour on a
closed day), but never silently: `problems_with` names each reason, and the forms
ask for an explicit override of the ones that may be overridden. A clash with
another booking never may: the database's exclusion constraint refuses it anyway.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format

from apps.appointments.models import Appointment, Provider, Service
from apps.appointments.working_time import Lengths, load_busy, load_calendar


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    overridable: bool = True


def problems_with(
    service: Service,
    *,
    provider: Provider,
    start_at: dt.datetime,
    now: dt.datetime | None = None,
    ignoring: Appointment | None = None,
) -> list[Problem]:
    """Everything that keeps `start_at` with `provider` from being a time we would
    offer, in plain words; empty when it is one. Reads hours, closures, time off
    and bookings in three queries.
    """
    if timezone.is_naive(start_at):
        raise ValueError("start_at must be timezone-aware.")
    now = now or timezone.now()
    tz = service.business.tzinfo
    day = start_at.astimezone(tz).date()
    problems = _timing_problems(
        start_at, day, days_ahead=service.business.booking_horizon_days, tz=tz, now=now
    )
    calendar = load_calendar(service, provider, now)
    worker = next((w for w in calendar.workers if w.provider_id == provider.pk), None)
    if calendar.is_closed(day):
        problems.append(Problem("closed", f"The business is closed on {_day(day)}."))
    if worker is None:
        problems.append(
            Problem("not_offered", f"{provider.name} does not do {service.name}.")
        )
        return problems
    lengths = Lengths.of(service)
    load_busy(calendar, (day, day), lengths, ignoring)
    end_at = start_at + lengths.duration
    working = calendar.working(day, worker, calendar.business_hours(day))
    if not calendar.is_closed(day) and not any(
        opens <= start_at and end_at <= closes for opens, closes in working
    ):
        problems.append(
            Problem("outside_hours", f"It is outside {provider.name}'s working hours.")
        )
    if worker.time_off.overlaps(start_at, end_at):
        problems.append(Problem("time_off", f"{provider.name} is off then."))
    if worker.bookings.overlaps(start_at, start_at + lengths.blocked):
        problems.append(
            Problem(
                "clash",
                f"{provider.name} already has an appointment then.",
                overridable=False,
            )
        )
    if worker.outside.overlaps(start_at, start_at + lengths.blocked):
        problems.append(
            Problem("calendar_busy", f"{provider.name}'s own calendar is busy then.")
        )
    return problems


def _timing_problems(
    start_at: dt.datetime,
    day: dt.date,
    *,
    days_ahead: int,
    tz: dt.tzinfo,
    now: dt.datetime,
) -> list[Problem]:
    if start_at < now:
        return [Problem("past", "It is in the past.")]
    horizon = now.astimezone(tz).date() + dt.timedelta(days=days_ahead)
    if day > horizon:
        return [Problem("too_far", f"It is more than {days_ahead} days ahead.")]
    return []


def _day(day: dt.date) -> str:
    return date_format(day, "l j F")


def refusal(problems: list[Problem], *, overridden: bool) -> list[str]:
    """What staff are told before a time is booked: the problems no override lifts,
    or, until they tick "Book anyway", the ones it does; empty when it may go ahead."""
    refused = [problem.message for problem in problems if not problem.overridable]
    if refused:
        return [*refused, "Choose another time."]
    if problems and not overridden:
        reasons = " ".join(problem.message for problem in problems)
        return [
            f"Not a time Roxy would offer: {reasons} "
            "Tick “Book anyway” to book it all the same."
        ]
    return []
