"""Free appointment slots: opening hours, provider hours, time off and bookings combined.

Rules (one place, so offering a slot and validating a requested start agree):
- A provider works the business's opening hours for the weekday, narrowed to
  their own ProviderHours when they have any rows at all (none for a weekday
  means a day off). Closure days shut the whole business.
- The appointment itself (its duration) must fit inside working time and clear
  the provider's time off. Its clean-up buffer may run past closing or into time
  off, since no client is waiting then; but the whole blocked time (duration plus
  buffer) must clear other bookings, as the database's exclusion constraint does.
- Starts step SCHEDULING_SLOT_MINUTES from each working interval's start, in real
  (UTC) time. Local wall-clock hours become instants with zoneinfo, so a
  spring-forward gap simply has no slots and a fall-back hour is offered twice
  (two different instants).
- Nothing starts in the past, within SCHEDULING_MIN_NOTICE_MINUTES of now, or
  after SCHEDULING_MAX_DAYS_AHEAD days from the business's today.
"""

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.db.models import CharField, IntegerField, Value
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from apps.appointments.models import Appointment, Provider, Service, TimeOff
from apps.businesses.models import Closure, OpeningHours

UTC = dt.UTC
SLOT_SALT = "apps.appointments.slot"
SLOT_SIGNATURE_LENGTH = 16  # 96 bits of HMAC-SHA256: unguessable, still short
# By the slot's local start time; ANY_PART_OF_DAY (or nothing) means the whole day.
PARTS_OF_DAY = {
    "morning": (dt.time.min, dt.time(12)),
    "afternoon": (dt.time(12), dt.time(17)),
    "evening": (dt.time(17), dt.time.max),
}
ANY_PART_OF_DAY = "any"

Interval = tuple[dt.datetime, dt.datetime]


class InvalidSlotError(ValueError):
    """A slot id that we did not issue, or that was altered."""


@dataclass(frozen=True)
class SlotRef:
    service_id: int
    provider_id: int
    start_at: dt.datetime


@dataclass(frozen=True)
class Slot:
    service_id: int
    provider_id: int
    provider_name: str
    start_at: dt.datetime
    end_at: dt.datetime

    @property
    def slot_id(self) -> str:
        """An opaque, signed reference that `parse_slot_id` turns back into a SlotRef."""
        minutes = int(self.start_at.timestamp()) // 60
        body = "-".join(
            signing.b62_encode(n) for n in (self.service_id, self.provider_id, minutes)
        )
        return f"{body}.{_signature(body)}"


def parse_slot_id(slot_id: str) -> SlotRef:
    """Verify and decode a slot id; raise InvalidSlotError if it is not one of ours."""
    body, _, signature = str(slot_id).strip().rpartition(".")
    if not body or not _signature_matches(body, signature):
        raise InvalidSlotError(
            "That time slot reference isn't valid. Please check availability again."
        )
    service_id, provider_id, minutes = map(signing.b62_decode, body.split("-"))
    start_at = dt.datetime.fromtimestamp(minutes * 60, tz=UTC)
    return SlotRef(service_id=service_id, provider_id=provider_id, start_at=start_at)


def _signature(body: str, key=None) -> str:
    signer = signing.Signer(salt=SLOT_SALT)
    return signer.signature(body, key=key)[:SLOT_SIGNATURE_LENGTH]


def _signature_matches(body: str, signature: str) -> bool:
    if len(body.split("-")) != 3 or not all(
        part.isalnum() and part.isascii() for part in body.split("-")
    ):
        return False
    signer = signing.Signer(salt=SLOT_SALT)
    return any(
        constant_time_compare(signature, _signature(body, key))
        for key in [signer.key, *signer.fallback_keys]
    )


@dataclass
class _Busy:
    """Disjoint, sorted intervals with a fast overlap test."""

    starts: list[dt.datetime] = field(default_factory=list)
    ends: list[dt.datetime] = field(default_factory=list)

    @classmethod
    def of(cls, intervals: Iterable[Interval]) -> "_Busy":
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
class _Lengths:
    """The service's lengths and the slot grid's step, worked out once per search."""

    step: dt.timedelta
    duration: dt.timedelta
    blocked: dt.timedelta  # duration plus the clean-up buffer

    @classmethod
    def of(cls, service: Service) -> "_Lengths":
        duration = dt.timedelta(minutes=service.duration_minutes)
        return cls(
            step=dt.timedelta(minutes=settings.SCHEDULING_SLOT_MINUTES),
            duration=duration,
            blocked=duration + dt.timedelta(minutes=service.buffer_minutes),
        )


@dataclass
class _Worker:
    provider_id: int
    name: str
    hours: WeeklySpans | None  # None: business hours
    time_off: _Busy = field(default_factory=_Busy)
    bookings: _Busy = field(default_factory=_Busy)

    def is_free(self, start: dt.datetime, lengths: _Lengths) -> bool:
        """The appointment clears time off; the whole blocked time clears bookings."""
        return not self.time_off.overlaps(
            start, start + lengths.duration
        ) and not self.bookings.overlaps(start, start + lengths.blocked)


@dataclass
class _Calendar:
    tz: dt.tzinfo
    opening: WeeklySpans
    closures: list[tuple[dt.date, dt.date]]
    workers: list[_Worker]

    def is_closed(self, day: dt.date) -> bool:
        return any(first <= day <= last for first, last in self.closures)

    def business_hours(self, day: dt.date) -> list[Interval]:
        return _instants(day, self.opening.get(day.weekday(), []), self.tz)

    def working(
        self, day: dt.date, worker: _Worker, business_hours: list[Interval]
    ) -> list[Interval]:
        """The worker's hours on `day`: the business's, narrowed to their own if any."""
        if worker.hours is None:
            return business_hours
        own = _instants(day, worker.hours.get(day.weekday(), []), self.tz)
        return _intersect(business_hours, own)


class Schedule:
    """One service's free time (optionally one provider's), for questions about any days.

    Hours, closures and providers are read once, on the first question; each
    question about days outside those already asked about reads only their
    bookings and time off. Cheaper than `find_free_slots` twice for a fallback
    search ("nothing then; the next openings are ...").
    """

    def __init__(
        self,
        service: Service,
        *,
        provider: Provider | None = None,
        now: dt.datetime | None = None,
        ignoring: Appointment | None = None,
    ):
        self.service = service
        self.provider = provider
        self.now = now or timezone.now()
        self.ignoring = ignoring
        self.tz = service.business.tzinfo
        self._lengths = _Lengths.of(service)
        self._calendar: _Calendar | None = None
        self._busy_days: tuple[dt.date, dt.date] | None = None

    def free_slots(
        self,
        start_date: dt.date,
        end_date: dt.date,
        *,
        part_of_day: str | None = None,
        limit: int | None = None,
    ) -> list[Slot]:
        """Bookable slots between two local dates (inclusive), by start then provider."""
        part = _check_part_of_day(part_of_day)
        first, last = _bookable_days(self.tz, start_date, end_date, self.now)
        if (
            first > last
            or not self.service.is_active
            or (limit is not None and limit < 1)
        ):
            return []
        calendar = self._calendar_for(first, last)
        slots: list[Slot] = []
        day = first
        while day <= last and not (limit and len(slots) >= limit):
            slots.extend(self._slots_on(day, calendar, part))
            day += dt.timedelta(days=1)
        return slots[:limit] if limit else slots

    def slot_at(self, start_at: dt.datetime) -> Slot | None:
        """The free slot starting exactly at `start_at` (a start we would offer), if any;
        with no provider given, the first free provider's by name."""
        if timezone.is_naive(start_at):
            raise ValueError("start_at must be timezone-aware.")
        day = start_at.astimezone(self.tz).date()
        first, last = _bookable_days(self.tz, day, day, self.now)
        if first > last or not self.service.is_active or start_at < self._earliest:
            return None
        calendar = self._calendar_for(day, day)
        if calendar.is_closed(day):
            return None
        business_hours = calendar.business_hours(day)
        for worker in calendar.workers:
            working = calendar.working(day, worker, business_hours)
            if _on_grid(start_at, working, self._lengths) and worker.is_free(
                start_at, self._lengths
            ):
                return self._slot(worker, start_at)
        return None

    def _slots_on(
        self,
        day: dt.date,
        calendar: "_Calendar",
        part_of_day: tuple[dt.time, dt.time] | None,
    ) -> list[Slot]:
        if calendar.is_closed(day):
            return []
        business_hours = calendar.business_hours(day)
        slots = []
        for worker in calendar.workers:
            working = calendar.working(day, worker, business_hours)
            for start in _starts(working, worker, self._lengths, self._earliest):
                if part_of_day is None or _within(start, calendar.tz, part_of_day):
                    slots.append(self._slot(worker, start))
        slots.sort(key=lambda s: (s.start_at, s.provider_name, s.provider_id))
        return slots

    def _slot(self, worker: _Worker, start: dt.datetime) -> Slot:
        return Slot(
            service_id=self.service.pk,
            provider_id=worker.provider_id,
            provider_name=worker.name,
            start_at=start,
            end_at=start + self._lengths.duration,
        )

    @property
    def _earliest(self) -> dt.datetime:
        return self.now + dt.timedelta(minutes=settings.SCHEDULING_MIN_NOTICE_MINUTES)

    def _calendar_for(self, first: dt.date, last: dt.date) -> _Calendar:
        if self._calendar is None:
            self._calendar = _load_calendar(self.service, self.provider, self.now)
        known = self._busy_days
        if known is None or first < known[0] or last > known[1]:
            _load_busy(self._calendar, (first, last), self._lengths, self.ignoring)
            self._busy_days = (first, last)
        return self._calendar


def find_free_slots(
    service: Service,
    *,
    start_date: dt.date,
    end_date: dt.date,
    provider: Provider | None = None,
    part_of_day: str | None = None,
    now: dt.datetime | None = None,
    limit: int | None = None,
    ignoring: Appointment | None = None,
) -> list[Slot]:
    """Bookable slots for `service` between two local dates (inclusive), by start then provider.

    `ignoring` leaves one booking out, so an appointment being moved doesn't block itself.
    """
    schedule = Schedule(service, provider=provider, now=now, ignoring=ignoring)
    return schedule.free_slots(
        start_date, end_date, part_of_day=part_of_day, limit=limit
    )


def alternatives_near(
    service: Service,
    *,
    provider: Provider | None,
    start_at: dt.datetime,
    limit: int = 3,
    within_days: int = 7,
    now: dt.datetime | None = None,
    ignoring: Appointment | None = None,
) -> list[Slot]:
    """Free slots to offer instead of `start_at`: closest on the same day, then later days.

    With no provider, one slot per start time, so the offers are distinct times.
    """
    day = start_at.astimezone(service.business.tzinfo).date()
    slots = find_free_slots(
        service,
        start_date=day,
        end_date=day + dt.timedelta(days=within_days),
        provider=provider,
        now=now,
        ignoring=ignoring,
    )
    if provider is None:
        slots = one_per_start_time(slots)
    tz = service.business.tzinfo
    same_day = [s for s in slots if s.start_at.astimezone(tz).date() == day]
    same_day.sort(key=lambda s: (abs(s.start_at - start_at), s.start_at))
    later = [s for s in slots if s.start_at.astimezone(tz).date() != day]
    return (same_day + later)[:limit]


def one_per_start_time(slots: Iterable[Slot]) -> list[Slot]:
    """Keep the first slot at each start time (so a caller hears distinct times)."""
    seen: set[dt.datetime] = set()
    distinct = []
    for slot in slots:
        if slot.start_at not in seen:
            seen.add(slot.start_at)
            distinct.append(slot)
    return distinct


def _check_part_of_day(part_of_day: str | None) -> tuple[dt.time, dt.time] | None:
    value = (part_of_day or "").strip().lower()
    if value in ("", ANY_PART_OF_DAY):
        return None
    if value not in PARTS_OF_DAY:
        raise ValueError(
            f"part_of_day must be one of {sorted(PARTS_OF_DAY)} or {ANY_PART_OF_DAY!r}."
        )
    return PARTS_OF_DAY[value]


def _bookable_days(
    tz: dt.tzinfo, start_date: dt.date, end_date: dt.date, now: dt.datetime
) -> tuple[dt.date, dt.date]:
    today = now.astimezone(tz).date()
    horizon = today + dt.timedelta(days=settings.SCHEDULING_MAX_DAYS_AHEAD)
    return max(start_date, today), min(end_date, horizon)


# Loading: plain tuples (values_list), never model instances; the profile showed
# building and prefetching instances cost far more than the slot arithmetic.


def _load_calendar(
    service: Service, provider: Provider | None, now: dt.datetime
) -> _Calendar:
    """Opening hours, the providers with their own hours, and closures up to the
    booking horizon: two queries, whatever the number of days asked about later."""
    tz = service.business.tzinfo
    today = now.astimezone(tz).date()
    horizon = today + dt.timedelta(days=settings.SCHEDULING_MAX_DAYS_AHEAD)
    opening, workers = _hours_and_workers(service, provider)
    closures = Closure.objects.filter(
        business_id=service.business_id, starts_on__lte=horizon, ends_on__gte=today
    ).values_list("starts_on", "ends_on")
    return _Calendar(tz=tz, opening=opening, closures=list(closures), workers=workers)


def _hours_and_workers(
    service: Service, provider: Provider | None
) -> tuple[WeeklySpans, list[_Worker]]:
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
    workers: dict[int, _Worker] = {}
    for pk, name, weekday, opens_at, closes_at in sorted(rows, key=_by_name_then_time):
        if pk is None:
            spans[weekday].append((opens_at, closes_at))
            continue
        worker = workers.setdefault(pk, _Worker(provider_id=pk, name=name, hours=None))
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


def _load_busy(
    calendar: _Calendar,
    days: tuple[dt.date, dt.date],
    lengths: _Lengths,
    ignoring: Appointment | None,
) -> None:
    """Each worker's time off and bookings that could meet a slot on `days`, in one query.

    A slot lies within its local day; its buffer may run past the day's end. The
    margin covers a DST shift of local midnight (an hour or two at most).
    """
    first, last = days
    margin = dt.timedelta(hours=3)
    window_start = _midnight(first, calendar.tz) - margin
    window_end = _midnight(last + dt.timedelta(days=1), calendar.tz)
    window_end += lengths.blocked + margin
    by_id = {worker.provider_id: worker for worker in calendar.workers}
    time_off = TimeOff.objects.filter(
        provider_id__in=by_id, starts_at__lt=window_end, ends_at__gt=window_start
    ).values_list("provider_id", "starts_at", "ends_at", Value(False))
    bookings = (
        Appointment.objects.active()
        .overlapping(window_start, window_end)
        .filter(provider_id__in=by_id)
    )
    if ignoring is not None:
        bookings = bookings.exclude(pk=ignoring.pk)
    bookings = bookings.values_list(
        "provider_id", "start_at", "blocked_until", Value(True)
    )
    intervals: dict[tuple[int, bool], list[Interval]] = defaultdict(list)
    if by_id:
        rows = time_off.order_by().union(bookings.order_by(), all=True)
        for provider_id, start, end, is_booking in rows:
            intervals[provider_id, bool(is_booking)].append((start, end))
    for worker in calendar.workers:
        worker.time_off = _Busy.of(intervals[worker.provider_id, False])
        worker.bookings = _Busy.of(intervals[worker.provider_id, True])


def _starts(
    working: list[Interval],
    worker: _Worker,
    lengths: _Lengths,
    earliest: dt.datetime,
) -> Iterator[dt.datetime]:
    """Free starts on the grid from each working interval's start, none before `earliest`."""
    for opens, closes in working:
        start = opens
        if start < earliest:  # jump to the first grid point at or after it
            start -= ((opens - earliest) // lengths.step) * lengths.step
        while start + lengths.duration <= closes:
            if worker.is_free(start, lengths):
                yield start
            start += lengths.step


def _on_grid(start: dt.datetime, working: list[Interval], lengths: _Lengths) -> bool:
    """Whether `_starts` walks through `start` (free or not), without walking the day."""
    return any(
        opens <= start
        and start + lengths.duration <= closes
        and (start - opens) % lengths.step == dt.timedelta(0)
        for opens, closes in working
    )


def _within(start: dt.datetime, tz: dt.tzinfo, part: tuple[dt.time, dt.time]) -> bool:
    return part[0] <= start.astimezone(tz).time() < part[1]


def _midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tz).astimezone(UTC)


def _instants(
    day: dt.date, hours: list[tuple[dt.time, dt.time]], tz: dt.tzinfo
) -> list[Interval]:
    """Local wall-clock intervals on `day` as UTC instants (both ends fold=0)."""
    return [
        (
            dt.datetime.combine(day, opens, tz).astimezone(UTC),
            dt.datetime.combine(day, closes, tz).astimezone(UTC),
        )
        for opens, closes in hours
    ]


def _intersect(left: list[Interval], right: list[Interval]) -> list[Interval]:
    pieces = [
        (max(a_start, b_start), min(a_end, b_end))
        for a_start, a_end in left
        for b_start, b_end in right
    ]
    return sorted((start, end) for start, end in pieces if start < end)
