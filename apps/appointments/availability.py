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
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from apps.appointments.models import Appointment, Provider, Service, TimeOff
from apps.businesses.models import Closure, OpeningHours

UTC = dt.UTC
SLOT_SALT = "apps.appointments.slot"
SLOT_SIGNATURE_LENGTH = 16  # 96 bits of HMAC-SHA256: unguessable, still short
# By the slot's local start time; "any" (or nothing) means the whole day.
PARTS_OF_DAY = {
    "morning": (dt.time.min, dt.time(12)),
    "afternoon": (dt.time(12), dt.time(17)),
    "evening": (dt.time(17), dt.time.max),
}

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
        index = bisect.bisect_right(self.ends, start)
        return index < len(self.starts) and self.starts[index] < end


@dataclass
class _Worker:
    provider: Provider
    hours: dict[int, list[tuple[dt.time, dt.time]]] | None  # None: business hours
    time_off: _Busy
    bookings: _Busy


@dataclass
class _Calendar:
    tz: dt.tzinfo
    opening: dict[int, list[tuple[dt.time, dt.time]]]
    closures: list[tuple[dt.date, dt.date]]
    workers: list[_Worker]

    def is_closed(self, day: dt.date) -> bool:
        return any(first <= day <= last for first, last in self.closures)


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
    part_of_day = _check_part_of_day(part_of_day)
    now = now or timezone.now()
    business = service.business
    first, last = _bookable_days(business.tzinfo, start_date, end_date, now)
    if first > last or not service.is_active or (limit is not None and limit < 1):
        return []
    calendar = _load_calendar(service, provider, (first, last), ignoring)
    earliest = now + dt.timedelta(minutes=settings.SCHEDULING_MIN_NOTICE_MINUTES)
    slots: list[Slot] = []
    day = first
    while day <= last and not (limit and len(slots) >= limit):
        slots.extend(_slots_on(day, service, calendar, earliest, part_of_day))
        day += dt.timedelta(days=1)
    return slots[:limit] if limit else slots


def is_slot_free(
    service: Service,
    *,
    provider: Provider,
    start_at: dt.datetime,
    now: dt.datetime | None = None,
    ignoring: Appointment | None = None,
) -> bool:
    """Whether `provider` could take `service` at exactly `start_at` (a start we would offer)."""
    if timezone.is_naive(start_at):
        raise ValueError("start_at must be timezone-aware.")
    day = start_at.astimezone(service.business.tzinfo).date()
    slots = find_free_slots(
        service,
        start_date=day,
        end_date=day,
        provider=provider,
        now=now,
        ignoring=ignoring,
    )
    return any(slot.start_at == start_at for slot in slots)


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
    if value in ("", "any"):
        return None
    if value not in PARTS_OF_DAY:
        raise ValueError(f"part_of_day must be one of {sorted(PARTS_OF_DAY)} or 'any'.")
    return PARTS_OF_DAY[value]


def _bookable_days(
    tz: dt.tzinfo, start_date: dt.date, end_date: dt.date, now: dt.datetime
) -> tuple[dt.date, dt.date]:
    today = now.astimezone(tz).date()
    horizon = today + dt.timedelta(days=settings.SCHEDULING_MAX_DAYS_AHEAD)
    return max(start_date, today), min(end_date, horizon)


def _load_calendar(
    service: Service,
    provider: Provider | None,
    days: tuple[dt.date, dt.date],
    ignoring: Appointment | None,
) -> _Calendar:
    """Everything for the range in a constant number of queries."""
    business = service.business
    first, last = days
    # A day either side covers any offset between local midnight and UTC.
    window_start = dt.datetime.combine(first - dt.timedelta(days=1), dt.time(), UTC)
    window_end = dt.datetime.combine(last + dt.timedelta(days=2), dt.time(), UTC)
    opening: dict[int, list[tuple[dt.time, dt.time]]] = defaultdict(list)
    for row in OpeningHours.objects.filter(business=business).order_by("opens_at"):
        opening[row.weekday].append((row.opens_at, row.closes_at))
    closures = list(
        Closure.objects.filter(
            business=business, starts_on__lte=last, ends_on__gte=first
        ).values_list("starts_on", "ends_on")
    )
    providers = _providers(service, provider, (window_start, window_end), ignoring)
    return _Calendar(
        tz=business.tzinfo,
        opening=opening,
        closures=closures,
        workers=[_worker(p) for p in providers],
    )


def _providers(
    service: Service,
    provider: Provider | None,
    window: Interval,
    ignoring: Appointment | None,
) -> list[Provider]:
    window_start, window_end = window
    providers = Provider.objects.filter(
        business_id=service.business_id, is_active=True, services=service
    )
    if provider is not None:
        providers = providers.filter(pk=provider.pk)
    bookings = Appointment.objects.active().overlapping(window_start, window_end)
    if ignoring is not None:
        bookings = bookings.exclude(pk=ignoring.pk)
    return list(
        providers.order_by("name", "pk").prefetch_related(
            "hours",
            Prefetch(
                "time_off",
                queryset=TimeOff.objects.filter(
                    starts_at__lt=window_end, ends_at__gt=window_start
                ),
                to_attr="time_off_in_window",
            ),
            Prefetch(
                "appointments",
                queryset=bookings,
                to_attr="bookings_in_window",
            ),
        )
    )


def _worker(provider: Provider) -> _Worker:
    hours = None
    if provider.hours.all():
        hours = defaultdict(list)
        for row in sorted(provider.hours.all(), key=lambda r: r.opens_at):
            hours[row.weekday].append((row.opens_at, row.closes_at))
    return _Worker(
        provider=provider,
        hours=hours,
        time_off=_Busy.of(
            (t.starts_at, t.ends_at) for t in provider.time_off_in_window
        ),
        bookings=_Busy.of(
            (a.start_at, a.blocked_until) for a in provider.bookings_in_window
        ),
    )


def _slots_on(
    day: dt.date,
    service: Service,
    calendar: _Calendar,
    earliest: dt.datetime,
    part_of_day: tuple[dt.time, dt.time] | None,
) -> list[Slot]:
    if calendar.is_closed(day):
        return []
    business_hours = _instants(
        day, calendar.opening.get(day.weekday(), []), calendar.tz
    )
    slots = []
    for worker in calendar.workers:
        working = business_hours
        if worker.hours is not None:
            own = _instants(day, worker.hours.get(day.weekday(), []), calendar.tz)
            working = _intersect(business_hours, own)
        for start in _starts(working, service, worker, earliest):
            local_time = start.astimezone(calendar.tz).time()
            if part_of_day is None or part_of_day[0] <= local_time < part_of_day[1]:
                slots.append(_slot(service, worker.provider, start))
    slots.sort(key=lambda s: (s.start_at, s.provider_name, s.provider_id))
    return slots


def _starts(
    working: list[Interval], service: Service, worker: _Worker, earliest: dt.datetime
) -> Iterator[dt.datetime]:
    step = dt.timedelta(minutes=settings.SCHEDULING_SLOT_MINUTES)
    duration = dt.timedelta(minutes=service.duration_minutes)
    blocked = duration + dt.timedelta(minutes=service.buffer_minutes)
    for opens, closes in working:
        start = opens
        while start + duration <= closes:
            if (
                start >= earliest
                and not worker.time_off.overlaps(start, start + duration)
                and not worker.bookings.overlaps(start, start + blocked)
            ):
                yield start
            start += step


def _slot(service: Service, provider: Provider, start: dt.datetime) -> Slot:
    return Slot(
        service_id=service.pk,
        provider_id=provider.pk,
        provider_name=provider.name,
        start_at=start,
        end_at=start + dt.timedelta(minutes=service.duration_minutes),
    )


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
