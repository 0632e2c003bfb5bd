"""Working time as intervals: opening hours, provider hours, closures, time off and
bookings, loaded for one service in a few queries and asked about in memory."""

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import CharField, IntegerField, Q, Value

from apps.appointments.models import Appointment, Provider, Service, TimeOff
from apps.businesses.models import Closure, OpeningHours
from apps.calendars.models import BusyBlock, CalendarConnection, ConnectedCalendar

Interval = tuple[dt.datetime, dt.datetime]

# What each row of load_busy's one query is.
TIME_OFF, BOOKING, OUTSIDE, SYNCED = 0, 1, 2, 3
# Time past a calendar's synced window counts as busy up to here (calendars app).
UNKNOWN_UNTIL = dt.datetime.max.replace(tzinfo=dt.UTC)
# Connections whose stored busy time still counts (a broken grant keeps its last
# known events, and its freshness shows how old they are).
CALENDAR_COUNTED_STATUSES = (
    CalendarConnection.Status.ACTIVE,
    CalendarConnection.Status.ERROR,
    CalendarConnection.Status.NEEDS_RECONNECT,
)


@dataclass
class Busy:
    """Disjoint, sorted intervals with a fast overlap test."""

    starts: list[dt.datetime] = field(default_factory=list)
    ends: list[dt.datetime] = field(default_factory=list)

    @classmethod
    def of(cls, intervals: Iterable[Interval]) -> "Busy":
        busy = cls()
        for start, end in sorted(intervals):
            if busy.ends and start <= busy.ends[-1]:
                busy.ends[-1] = max(busy.ends[-1], end)
            else:
                busy.starts.append(start)
                busy.ends.append(end)
        return busy

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        if not self.ends:
            return False
        index = bisect.bisect_right(self.ends, start)
        return index < len(self.starts) and self.starts[index] < end


WeeklySpans = dict[int, list[tuple[dt.time, dt.time]]]


@dataclass(frozen=True)
class Lengths:
    """The service's lengths and the slot grid's step, worked out once per search."""

    step: dt.timedelta
    duration: dt.timedelta
    blocked: dt.timedelta  # duration plus the clean-up buffer

    @classmethod
    def of(cls, service: Service) -> "Lengths":
        duration = dt.timedelta(minutes=service.duration_minutes)
        return cls(
            step=dt.timedelta(minutes=service.business.slot_minutes),
            duration=duration,
            blocked=duration + dt.timedelta(minutes=service.buffer_minutes),
        )


@dataclass
class Worker:
    provider_id: int
    name: str
    hours: WeeklySpans | None  # None: business hours
    time_off: Busy = field(default_factory=Busy)
    bookings: Busy = field(default_factory=Busy)
    # Events of their own (and the business's shared) outside calendars.
    outside: Busy = field(default_factory=Busy)

    def is_free(self, start: dt.datetime, lengths: Lengths) -> bool:
        """The appointment clears time off; the whole blocked time clears bookings
        and outside calendar events (which may be bookings made elsewhere)."""
        blocked_until = start + lengths.blocked
        return (
            not self.time_off.overlaps(start, start + lengths.duration)
            and not self.bookings.overlaps(start, blocked_until)
            and not self.outside.overlaps(start, blocked_until)
        )


@dataclass(frozen=True)
class Freshness:
    """How current the outside-calendar busy time behind an answer is."""

    calendars: int = 0  # connected busy calendars that apply
    synced_at: dt.datetime | None = None  # the oldest of their last syncs
    never_synced: int = 0

    def is_stale(self, now: dt.datetime, *, max_age: dt.timedelta) -> bool:
        if not self.calendars:
            return False
        return (
            bool(self.never_synced)
            or self.synced_at is None
            or (now - self.synced_at > max_age)
        )


@dataclass
class Calendar:
    tz: dt.tzinfo
    opening: WeeklySpans
    closures: list[tuple[dt.date, dt.date]]
    workers: list[Worker]
    business_id: int | None = None  # whose outside calendars count (None: none)
    freshness: Freshness = field(default_factory=Freshness)

    def is_closed(self, day: dt.date) -> bool:
        return any(first <= day <= last for first, last in self.closures)

    def business_hours(self, day: dt.date) -> list[Interval]:
        return instants(day, self.opening.get(day.weekday(), []), self.tz)

    def working(
        self, day: dt.date, worker: Worker, business_hours: list[Interval]
    ) -> list[Interval]:
        """The worker's hours on `day`: the business's, narrowed to their own if any."""
        if worker.hours is None:
            return business_hours
        own = instants(day, worker.hours.get(day.weekday(), []), self.tz)
        return intersect(business_hours, own)


# Loading: plain tuples (values_list), never model instances; the profile showed
# building and prefetching instances cost far more than the slot arithmetic.


def load_calendar(
    service: Service, provider: Provider | None, now: dt.datetime
) -> Calendar:
    """Opening hours, the providers with their own hours, and closures up to the
    booking horizon: two queries, whatever the number of days asked about later."""
    tz = service.business.tzinfo
    today = now.astimezone(tz).date()
    horizon = today + dt.timedelta(days=service.business.booking_horizon_days)
    opening, workers = _hours_and_workers(service, provider)
    closures = Closure.objects.filter(
        business_id=service.business_id, starts_on__lte=horizon, ends_on__gte=today
    ).values_list("starts_on", "ends_on")
    return Calendar(
        tz=tz,
        opening=opening,
        closures=list(closures),
        workers=workers,
        business_id=service.business_id,
    )


def _hours_and_workers(
    service: Service, provider: Provider | None
) -> tuple[WeeklySpans, list[Worker]]:
    """The business's opening hours, and the active providers of `service` by name
    with their own hours, in one query: opening hours come as rows of no provider."""
    opening = OpeningHours.objects.filter(business_id=service.business_id)
    providers = Provider.objects.filter(
        business_id=service.business_id, is_active=True, services=service
    )
    if provider is not None:
        providers = providers.filter(pk=provider.pk)
    rows = (
        opening.order_by()
        .values_list(
            Value(None, output_field=IntegerField()),
            Value("", output_field=CharField()),
            "weekday",
            "opens_at",
            "closes_at",
        )
        .union(
            providers.order_by().values_list(
                "pk", "name", "hours__weekday", "hours__opens_at", "hours__closes_at"
            ),
            all=True,
        )
    )
    spans: WeeklySpans = defaultdict(list)
    workers: dict[int, Worker] = {}
    for pk, name, weekday, opens_at, closes_at in sorted(rows, key=_by_name_then_time):
        if pk is None:
            spans[weekday].append((opens_at, closes_at))
            continue
        worker = workers.setdefault(pk, Worker(provider_id=pk, name=name, hours=None))
        if weekday is not None:  # any rows at all: their own hours, not the business's
            worker.hours = worker.hours or defaultdict(list)
            worker.hours[weekday].append((opens_at, closes_at))
    return spans, list(workers.values())


def _by_name_then_time(row: tuple) -> tuple:
    """Providers by name then id (the order slots tie-break in), hours by time."""
    pk, name, weekday, opens_at, _ = row
    return (
        name,
        pk or 0,
        weekday if weekday is not None else -1,
        opens_at or dt.time(),
    )


def load_busy(
    calendar: Calendar,
    days: tuple[dt.date, dt.date],
    lengths: Lengths,
    ignoring: Appointment | None,
) -> None:
    """Each worker's time off and bookings that could meet a slot on `days`, in one query.

    A slot lies within its local day; its buffer may run past the day's end. The
    margin covers a DST shift of local midnight (an hour or two at most).
    """
    first, last = days
    margin = dt.timedelta(hours=3)
    window_start = midnight(first, calendar.tz) - margin
    window_end = midnight(last + dt.timedelta(days=1), calendar.tz)
    window_end += lengths.blocked + margin
    by_id = {worker.provider_id: worker for worker in calendar.workers}
    time_off = TimeOff.objects.filter(
        provider_id__in=by_id, starts_at__lt=window_end, ends_at__gt=window_start
    ).values_list("provider_id", "starts_at", "ends_at", Value(TIME_OFF))
    bookings = (
        Appointment.objects.active()
        .overlapping(window_start, window_end)
        .filter(provider_id__in=by_id)
    )
    if ignoring is not None:
        bookings = bookings.exclude(pk=ignoring.pk)
    bookings = bookings.values_list(
        "provider_id", "start_at", "blocked_until", Value(BOOKING)
    )
    business_id = calendar.business_id
    # Outside calendars: their busy events (provider None: a shared calendar that
    # blocks everyone) and, as rows of their own, each calendar's last sync.
    outside = (
        BusyBlock.objects.blocking()
        .for_providers(business_id, by_id)
        .overlapping(window_start, window_end)
        .values_list("provider_id", "starts_at", "ends_at", Value(OUTSIDE))
    )
    synced = (
        ConnectedCalendar.objects.filter(
            blocks_time=True,
            connection__business_id=business_id,
            connection__status__in=CALENDAR_COUNTED_STATUSES,
        )
        .filter(
            Q(connection__provider_id__in=list(by_id))
            | Q(connection__provider__isnull=True)
        )
        .values_list(
            "connection__provider_id",
            "last_synced_at",
            "synced_until",
            Value(SYNCED),
        )
    )
    intervals: dict[tuple[int | None, int], list[Interval]] = defaultdict(list)
    oldest, calendars, never = None, 0, 0
    if by_id:
        rows = time_off.order_by().union(
            bookings.order_by(), outside.order_by(), synced.order_by(), all=True
        )
        for provider_id, start, end, kind in rows:
            if kind == SYNCED:
                calendars += 1
                never += start is None
                oldest = (
                    start if oldest is None or (start and start < oldest) else oldest
                )
                if end is not None:  # past its last listing the calendar is unknown
                    intervals[provider_id, OUTSIDE].append((end, UNKNOWN_UNTIL))
            else:
                intervals[provider_id, kind].append((start, end))
    shared = intervals[None, OUTSIDE]
    for worker in calendar.workers:
        worker.time_off = Busy.of(intervals[worker.provider_id, TIME_OFF])
        worker.bookings = Busy.of(intervals[worker.provider_id, BOOKING])
        worker.outside = Busy.of(intervals[worker.provider_id, OUTSIDE] + shared)
    calendar.freshness = Freshness(
        calendars=calendars, synced_at=oldest, never_synced=never
    )


def midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tz).astimezone(dt.UTC)


def instants(
    day: dt.date, hours: list[tuple[dt.time, dt.time]], tz: dt.tzinfo
) -> list[Interval]:
    """Local wall-clock intervals on `day` as UTC instants (both ends fold=0)."""
    return [
        (
            dt.datetime.combine(day, opens, tz).astimezone(dt.UTC),
            dt.datetime.combine(day, closes, tz).astimezone(dt.UTC),
        )
        for opens, closes in hours
    ]


def intersect(left: list[Interval], right: list[Interval]) -> list[Interval]:
    pieces = [
        (max(a_start, b_start), min(a_end, b_end))
        for a_start, a_end in left
        for b_start, b_end in right
    ]
    return sorted((start, end) for start, end in pieces if start < end)
