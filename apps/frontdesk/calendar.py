"""The front desk calendar's data: a business's providers, hours, closures, time off
and appointments over a few days, read in five queries whatever their number, and
placed as minutes of the business's local day."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import CharField, Exists, OuterRef, Q, Value

from apps.appointments.models import Appointment, Provider, TimeOff
from apps.appointments.working_time import (
    Calendar,
    Interval,
    WeeklySpans,
    Worker,
    midnight,
)
from apps.businesses.models import Business, Closure, OpeningHours
from apps.calendars.models import BusyBlock

MINUTES_PER_DAY = 24 * 60
# Shown when nobody works on any visible day and nothing is booked.
DEFAULT_HOURS = (8 * 60, 18 * 60)


@dataclass(frozen=True)
class Span:
    """Part of one local day, in wall-clock minutes from midnight (end exclusive)."""

    start: int
    end: int
    kind: str  # "open", "closed", "closure", "time_off" or an appointment's status
    label: str = ""


@dataclass(frozen=True)
class Booking:
    pk: int
    provider_id: int
    status: str
    start_at: dt.datetime
    end_at: dt.datetime
    service: str
    lead: str

    @property
    def is_active(self) -> bool:
        return self.status in Appointment.ACTIVE_STATUSES


@dataclass(frozen=True)
class Person:
    pk: int
    name: str
    is_active: bool


@dataclass
class Column:
    """One provider on one day."""

    day: dt.date
    provider: Person
    working: list[Span] = field(default_factory=list)
    shades: list[Span] = field(default_factory=list)
    bookings: list[tuple[Span, Booking]] = field(default_factory=list)


@dataclass
class Board:
    business: Business
    days: list[dt.date]
    providers: list[Person]
    columns: dict[dt.date, list[Column]]
    first_minute: int  # the visible part of each day, on the hour
    last_minute: int


def load_board(
    business: Business, days: list[dt.date], *, include_cancelled: bool = False
) -> Board:
    """Everything the calendar shows for `business` on `days` (consecutive local
    dates): its active providers (and inactive ones still booked then), each
    column's shaded and booked spans, and the hours worth showing."""
    tz = business.tzinfo
    window = (midnight(days[0], tz), midnight(days[-1] + dt.timedelta(days=1), tz))
    people, workers = _providers(business, window)
    closures = _closures(business, days)
    calendar = Calendar(
        tz=tz,
        opening=_opening_hours(business),
        closures=[(first, last) for first, last, _ in closures],
        workers=workers,
    )
    time_off = _time_off(workers, window, business)
    bookings = _bookings(business, window, include_cancelled=include_cancelled)
    columns = {
        day: [
            _column(day, person, worker, calendar, closures, time_off, bookings)
            for person, worker in zip(people, workers, strict=True)
        ]
        for day in days
    }
    first, last = _visible_minutes(columns)
    return Board(business, days, people, columns, first, last)


def minute_of_day(moment: dt.datetime, day: dt.date, tz: dt.tzinfo) -> int:
    """`moment` as wall-clock minutes of local `day`, clamped to the day. Wall clock,
    not time elapsed: on the day clocks change, 10:00 still sits at 10:00."""
    local = moment.astimezone(tz)
    if local.date() != day:
        return 0 if local.date() < day else MINUTES_PER_DAY
    return local.hour * 60 + local.minute


def span_on(
    day: dt.date, interval: Interval, tz: dt.tzinfo, kind: str, label: str = ""
) -> Span | None:
    """The part of `interval` (UTC instants) on local `day`, or None if none is."""
    day_start, day_end = midnight(day, tz), midnight(day + dt.timedelta(days=1), tz)
    start, end = max(interval[0], day_start), min(interval[1], day_end)
    if start >= end:
        return None
    first, last = minute_of_day(start, day, tz), minute_of_day(end, day, tz)
    if last <= first:
        # The clocks went back inside it: the wall clock repeats an hour, so the
        # span keeps its real length from where it starts.
        last = min(MINUTES_PER_DAY, first + int((end - start).total_seconds() // 60))
    return Span(first, max(last, first + 1), kind, label)


def _providers(
    business: Business, window: Interval
) -> tuple[list[Person], list[Worker]]:
    """Providers by name, each with their own weekly hours (None: the business's)."""
    booked_then = (
        Appointment.objects.filter(provider=OuterRef("pk"))
        .active()
        .overlapping(*window)
    )
    rows = (
        Provider.objects.filter(business=business)
        .filter(Q(is_active=True) | Q(Exists(booked_then)))
        .order_by("name", "pk", "hours__weekday", "hours__opens_at")
        .values_list(
            "pk",
            "name",
            "is_active",
            "hours__weekday",
            "hours__opens_at",
            "hours__closes_at",
        )
    )
    people: dict[int, Person] = {}
    workers: dict[int, Worker] = {}
    for pk, name, is_active, weekday, opens_at, closes_at in rows:
        people.setdefault(pk, Person(pk, name, is_active))
        worker = workers.setdefault(pk, Worker(provider_id=pk, name=name, hours=None))
        if weekday is not None:  # any rows at all: their own hours, not the business's
            worker.hours = worker.hours or defaultdict(list)
            worker.hours[weekday].append((opens_at, closes_at))
    return list(people.values()), list(workers.values())


def _opening_hours(business: Business) -> WeeklySpans:
    spans: WeeklySpans = defaultdict(list)
    rows = OpeningHours.objects.filter(business=business).order_by(
        "weekday", "opens_at"
    )
    for weekday, opens_at, closes_at in rows.values_list(
        "weekday", "opens_at", "closes_at"
    ):
        spans[weekday].append((opens_at, closes_at))
    return spans


def _closures(
    business: Business, days: list[dt.date]
) -> list[tuple[dt.date, dt.date, str]]:
    return list(
        Closure.objects.filter(
            business=business, starts_on__lte=days[-1], ends_on__gte=days[0]
        ).values_list("starts_on", "ends_on", "reason")
    )


def _time_off(
    workers: list[Worker], window: Interval, business: Business
) -> dict[int, list[tuple[Interval, str]]]:
    """Time off, and events of the providers' own (or the shared) outside calendars,
    which shade the column the same way: one query."""
    found: dict[int, list[tuple[Interval, str]]] = defaultdict(list)
    provider_ids = [worker.provider_id for worker in workers]
    rows = TimeOff.objects.filter(
        provider_id__in=provider_ids,
        starts_at__lt=window[1],
        ends_at__gt=window[0],
    ).values_list("provider_id", "starts_at", "ends_at", "reason")
    outside = (
        BusyBlock.objects.blocking()
        .for_providers(business.pk, provider_ids)
        .overlapping(*window)
        .values_list(
            "provider_id",
            "starts_at",
            "ends_at",
            Value(OUTSIDE_LABEL, output_field=CharField()),
        )
    )
    shared = []
    for provider_id, starts_at, ends_at, reason in rows.order_by().union(
        outside.order_by(), all=True
    ):
        if provider_id is None:
            shared.append(((starts_at, ends_at), reason))
        else:
            found[provider_id].append(((starts_at, ends_at), reason))
    for provider_id in provider_ids:
        found[provider_id].extend(shared)
    return found


OUTSIDE_LABEL = "Busy in their own calendar"


# A booking is minutes or hours long: bounding its start from below lets the
# (business, start_at) index read the visible days only, not the whole past.
LONGEST_BOOKING = dt.timedelta(days=1)


def _bookings(
    business: Business, window: Interval, *, include_cancelled: bool
) -> dict[tuple[int, dt.date], list[Booking]]:
    """The bookings meeting `window`, by provider and each local day they touch."""
    rows = Appointment.objects.filter(
        business=business,
        start_at__gte=window[0] - LONGEST_BOOKING,
        start_at__lt=window[1],
        end_at__gt=window[0],
    )
    if not include_cancelled:
        rows = rows.exclude(status=Appointment.Status.CANCELLED)
    tz = business.tzinfo
    found: dict[tuple[int, dt.date], list[Booking]] = defaultdict(list)
    for row in rows.order_by("start_at", "pk").values_list(
        "pk",
        "provider_id",
        "status",
        "start_at",
        "end_at",
        "service__name",
        "lead__name",
    ):
        booking = Booking(*row[:6], lead=row[6] or "")
        day = booking.start_at.astimezone(tz).date()
        last = (booking.end_at - dt.timedelta(microseconds=1)).astimezone(tz).date()
        while day <= last:
            found[booking.provider_id, day].append(booking)
            day += dt.timedelta(days=1)
    return found


def _column(
    day: dt.date,
    person: Person,
    worker: Worker,
    calendar: Calendar,
    closures: list[tuple[dt.date, dt.date, str]],
    time_off: dict[int, list[tuple[Interval, str]]],
    bookings: dict[tuple[int, dt.date], list[Booking]],
) -> Column:
    tz = calendar.tz
    column = Column(day, person)
    closure = next((c for c in closures if c[0] <= day <= c[1]), None)
    if closure is not None:
        label = f"Closed: {closure[2]}" if closure[2] else "Closed"
        column.shades.append(Span(0, MINUTES_PER_DAY, "closure", label))
    else:
        working = calendar.working(day, worker, calendar.business_hours(day))
        column.working = [
            span
            for interval in working
            if (span := span_on(day, interval, tz, "open")) is not None
        ]
        column.shades.extend(_outside(column.working))
    for interval, reason in time_off[person.pk]:
        span = span_on(day, interval, tz, "time_off", reason or "Time off")
        if span is not None:
            column.shades.append(span)
    for booking in bookings[person.pk, day]:
        span = span_on(day, (booking.start_at, booking.end_at), tz, booking.status)
        if span is not None:
            column.bookings.append((span, booking))
    return column


def _outside(working: list[Span]) -> list[Span]:
    """The rest of the day, as "closed" spans."""
    shades, cursor = [], 0
    for span in working:
        if span.start > cursor:
            shades.append(Span(cursor, span.start, "closed"))
        cursor = max(cursor, span.end)
    if cursor < MINUTES_PER_DAY:
        shades.append(Span(cursor, MINUTES_PER_DAY, "closed"))
    return shades


def _visible_minutes(columns: dict[dt.date, list[Column]]) -> tuple[int, int]:
    """From the earliest opening or booking to the latest, on whole hours."""
    edges = [
        (span.start, span.end)
        for day_columns in columns.values()
        for column in day_columns
        for span in column.working + [span for span, _ in column.bookings]
    ]
    if not edges:
        return DEFAULT_HOURS
    first = min(start for start, _ in edges) // 60 * 60
    last = -(-max(end for _, end in edges) // 60) * 60
    return first, min(last, MINUTES_PER_DAY)
