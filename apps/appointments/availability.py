"""Free appointment slots: opening hours, provider hours, time off and bookings combined.

Rules (one place, so offering a slot and validating a requested start agree):
- A provider works the business's opening hours for the weekday, narrowed to
  their own ProviderHours when they have any rows at all (none for a weekday
  means a day off). Closure days shut the whole business.
- The appointment itself (its duration) must fit inside working time and clear
  the provider's time off. Its clean-up buffer may run past closing or into time
  off, since no client is waiting then; but the whole blocked time (duration plus
  buffer) must clear other bookings, as the database's exclusion constraint does.
- Starts step the business's slot_minutes from each working interval's start, in real
  (UTC) time. Local wall-clock hours become instants with zoneinfo, so a
  spring-forward gap simply has no slots and a fall-back hour is offered twice
  (two different instants).
- Nothing starts in the past, within the business's min_notice_minutes of now, or
  after its booking_horizon_days from its today (issue #16: each business's rules).
"""

import datetime as dt
from collections.abc import Iterable, Iterator

from django.utils import timezone

from apps.appointments.models import Appointment, Provider, Service
from apps.appointments.slots import Slot
from apps.appointments.working_time import (
    Calendar,
    Freshness,
    Interval,
    Lengths,
    Worker,
    load_busy,
    load_calendar,
)

# By the slot's local start time; ANY_PART_OF_DAY (or nothing) means the whole day.
PARTS_OF_DAY = {
    "morning": (dt.time.min, dt.time(12)),
    "afternoon": (dt.time(12), dt.time(17)),
    "evening": (dt.time(17), dt.time.max),
}
ANY_PART_OF_DAY = "any"


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
        self._lengths = Lengths.of(service)
        self._calendar: Calendar | None = None
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
        first, last = _bookable_days(
            self.service.business, start_date, end_date, self.now
        )
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
        first, last = _bookable_days(self.service.business, day, day, self.now)
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
        calendar: "Calendar",
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

    def _slot(self, worker: Worker, start: dt.datetime) -> Slot:
        return Slot(
            service_id=self.service.pk,
            provider_id=worker.provider_id,
            provider_name=worker.name,
            start_at=start,
            end_at=start + self._lengths.duration,
        )

    @property
    def freshness(self) -> Freshness:
        """How current the outside-calendar busy time behind the last answer is."""
        return self._calendar.freshness if self._calendar else Freshness()

    @property
    def _earliest(self) -> dt.datetime:
        return self.now + dt.timedelta(minutes=self.service.business.min_notice_minutes)

    def _calendar_for(self, first: dt.date, last: dt.date) -> Calendar:
        if self._calendar is None:
            self._calendar = load_calendar(self.service, self.provider, self.now)
        known = self._busy_days
        if known is None or first < known[0] or last > known[1]:
            load_busy(self._calendar, (first, last), self._lengths, self.ignoring)
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
    business, start_date: dt.date, end_date: dt.date, now: dt.datetime
) -> tuple[dt.date, dt.date]:
    today = now.astimezone(business.tzinfo).date()
    horizon = today + dt.timedelta(days=business.booking_horizon_days)
    return max(start_date, today), min(end_date, horizon)


def _starts(
    working: list[Interval],
    worker: Worker,
    lengths: Lengths,
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


def _on_grid(start: dt.datetime, working: list[Interval], lengths: Lengths) -> bool:
    """Whether `_starts` walks through `start` (free or not), without walking the day."""
    return any(
        opens <= start
        and start + lengths.duration <= closes
        and (start - opens) % lengths.step == dt.timedelta(0)
        for opens, closes in working
    )


def _within(start: dt.datetime, tz: dt.tzinfo, part: tuple[dt.time, dt.time]) -> bool:
    return part[0] <= start.astimezone(tz).time() < part[1]
