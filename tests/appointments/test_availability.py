import datetime as dt
import zoneinfo

import pytest

from apps.appointments import availability
from apps.appointments.models import Appointment
from apps.appointments.slots import Slot
from tests.appointments.factories import (
    AppointmentFactory,
    ProviderFactory,
    ProviderHoursFactory,
    ServiceFactory,
    TimeOffFactory,
)
from tests.businesses.factories import (
    BusinessFactory,
    ClosureFactory,
    OpeningHoursFactory,
)

pytestmark = pytest.mark.django_db

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
TUESDAY = dt.date(2025, 3, 11)
MONDAY_7AM = dt.datetime(2025, 3, 10, 7, tzinfo=CHICAGO)


@pytest.fixture(autouse=True)
def scheduling_settings(settings):
    settings.SCHEDULING_SLOT_MINUTES = 30
    settings.SCHEDULING_MIN_NOTICE_MINUTES = 60
    settings.SCHEDULING_MAX_DAYS_AHEAD = 90


def open_every_day(business, opens=dt.time(9), closes=dt.time(17)):
    for weekday in range(7):
        OpeningHoursFactory(
            business=business, weekday=weekday, opens_at=opens, closes_at=closes
        )


@pytest.fixture
def salon(db):
    business = BusinessFactory(timezone="America/Chicago")
    open_every_day(business)
    service = ServiceFactory(business=business, duration_minutes=60, buffer_minutes=0)
    provider = ProviderFactory(business=business, name="Ana", services=[service])
    return business, service, provider


def at(day: dt.date, hour: int, minute: int = 0, tz=CHICAGO) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tz)


def local_times(slots, tz=CHICAGO) -> list[str]:
    return [f"{s.start_at.astimezone(tz):%H:%M}" for s in slots]


def free(service, day=TUESDAY, **kwargs) -> list[Slot]:
    kwargs.setdefault("now", MONDAY_7AM)
    return availability.find_free_slots(service, start_date=day, end_date=day, **kwargs)


def slot_at(service, provider, start_at, *, now=MONDAY_7AM, ignoring=None):
    schedule = availability.Schedule(
        service, provider=provider, now=now, ignoring=ignoring
    )
    return schedule.slot_at(start_at)


def half_hours(first: str, last: str) -> list[str]:
    """Every half hour from `first` to `last` inclusive, as HH:MM."""
    minutes = range(_minutes(first), _minutes(last) + 1, 30)
    return [f"{m // 60:02d}:{m % 60:02d}" for m in minutes]


def _minutes(hh_mm: str) -> int:
    hours, minutes = hh_mm.split(":")
    return int(hours) * 60 + int(minutes)


# --- Opening hours, closures, providers ---


def test_slots_fill_opening_hours_on_the_grid_and_end_by_closing(salon):
    _, service, provider = salon
    slots = free(service)
    assert local_times(slots) == half_hours("09:00", "16:00")
    assert slots[0].provider_id == provider.pk
    assert slots[0].provider_name == "Ana"
    assert slots[0].end_at - slots[0].start_at == dt.timedelta(hours=1)


def test_a_day_without_opening_hours_has_no_slots(db):
    business = BusinessFactory()
    OpeningHoursFactory(business=business, weekday=0)
    service = ServiceFactory(business=business)
    ProviderFactory(business=business, services=[service])
    assert free(service) == []  # a Tuesday


def test_split_opening_hours_offer_both_parts(db):
    business = BusinessFactory()
    OpeningHoursFactory(business=business, weekday=1, closes_at=dt.time(12))
    OpeningHoursFactory(
        business=business, weekday=1, opens_at=dt.time(13), closes_at=dt.time(15)
    )
    service = ServiceFactory(business=business)
    ProviderFactory(business=business, services=[service])
    assert local_times(free(service)) == half_hours("09:00", "11:00") + [
        "13:00",
        "13:30",
        "14:00",
    ]


def test_closure_days_have_no_slots(salon):
    business, service, _ = salon
    ClosureFactory(business=business, starts_on=TUESDAY, ends_on=TUESDAY)
    assert free(service) == []
    assert free(service, day=TUESDAY + dt.timedelta(days=1)) != []


def test_provider_hours_are_intersected_with_opening_hours(salon):
    _, service, provider = salon
    ProviderHoursFactory(
        provider=provider, weekday=1, opens_at=dt.time(12), closes_at=dt.time(20)
    )
    assert local_times(free(service)) == half_hours("12:00", "16:00")


def test_a_provider_with_hours_on_other_days_is_off_today(salon):
    _, service, provider = salon
    ProviderHoursFactory(provider=provider, weekday=0)
    assert free(service) == []


def test_only_active_providers_offering_the_service_are_used(salon):
    business, service, _ = salon
    ProviderFactory(business=business, name="Bo")  # does not offer it
    ProviderFactory(business=business, name="Cy", services=[service], is_active=False)
    assert {s.provider_name for s in free(service)} == {"Ana"}


def test_an_inactive_service_has_no_slots(salon):
    _, service, _ = salon
    service.is_active = False
    service.save()
    assert free(service) == []


def test_a_provider_of_another_business_gets_no_slots(salon):
    _, service, _ = salon
    stranger = ProviderFactory(services=[ServiceFactory()])
    assert free(service, provider=stranger) == []


def test_slots_are_ordered_by_start_then_provider(salon):
    business, service, _ = salon
    ProviderFactory(business=business, name="Abe", services=[service])
    slots = free(service)
    assert [s.provider_name for s in slots[:4]] == ["Abe", "Ana", "Abe", "Ana"]
    assert slots == sorted(slots, key=lambda s: (s.start_at, s.provider_name))


def test_a_provider_filter_keeps_only_their_slots(salon):
    business, service, provider = salon
    ProviderFactory(business=business, name="Abe", services=[service])
    assert {s.provider_name for s in free(service, provider=provider)} == {"Ana"}


def test_limit_returns_the_earliest_slots(salon):
    _, service, _ = salon
    slots = availability.find_free_slots(
        service,
        start_date=TUESDAY,
        end_date=TUESDAY + dt.timedelta(days=5),
        now=MONDAY_7AM,
        limit=3,
    )
    assert local_times(slots) == ["09:00", "09:30", "10:00"]


# --- Time off, bookings, buffers ---


def test_time_off_blocks_only_the_slots_it_overlaps(salon):
    _, service, provider = salon
    TimeOffFactory(
        provider=provider, starts_at=at(TUESDAY, 12), ends_at=at(TUESDAY, 13)
    )
    times = local_times(free(service))
    assert "11:00" in times and "13:00" in times
    assert not {"11:30", "12:00", "12:30"} & set(times)


def test_an_existing_booking_and_its_buffer_block_the_provider(salon):
    business, service, provider = salon
    long_buffer = ServiceFactory(
        business=business, duration_minutes=60, buffer_minutes=15
    )
    AppointmentFactory(
        business=business,
        service=long_buffer,
        provider=provider,
        start_at=at(TUESDAY, 10),
    )
    times = local_times(free(service))
    assert "09:00" in times and "11:30" in times
    assert not {"09:30", "10:00", "10:30", "11:00"} & set(times)


def test_the_new_bookings_buffer_must_clear_the_next_booking(salon):
    business, service, provider = salon
    service.buffer_minutes = 30
    service.save()
    AppointmentFactory(
        business=business, service=service, provider=provider, start_at=at(TUESDAY, 11)
    )
    times = local_times(free(service))
    assert "09:30" in times
    assert "10:00" not in times  # 10:00-11:00 plus clean-up runs into 11:00


def test_the_buffer_may_run_past_closing(salon):
    _, service, _ = salon
    service.buffer_minutes = 30
    service.save()
    assert local_times(free(service))[-1] == "16:00"


def test_the_buffer_may_run_into_time_off(salon):
    _, service, provider = salon
    service.buffer_minutes = 30
    service.save()
    TimeOffFactory(
        provider=provider, starts_at=at(TUESDAY, 12), ends_at=at(TUESDAY, 13)
    )
    assert "11:00" in local_times(free(service))


@pytest.mark.parametrize(
    "status", [Appointment.Status.CANCELLED, Appointment.Status.COMPLETED]
)
def test_inactive_appointments_do_not_block(salon, status):
    business, service, provider = salon
    AppointmentFactory(
        business=business,
        service=service,
        provider=provider,
        start_at=at(TUESDAY, 10),
        status=status,
    )
    assert "10:00" in local_times(free(service))


def test_another_providers_booking_does_not_block(salon):
    business, service, provider = salon
    other = ProviderFactory(business=business, name="Bo", services=[service])
    AppointmentFactory(
        business=business, service=service, provider=other, start_at=at(TUESDAY, 10)
    )
    ten = [s for s in free(service) if s.start_at == at(TUESDAY, 10)]
    assert [s.provider_name for s in ten] == ["Ana"]


# --- Part of day, notice, horizon ---


@pytest.mark.parametrize(
    ("part", "first", "last"),
    [
        ("morning", "09:00", "11:30"),
        ("afternoon", "12:00", "16:30"),
        ("evening", "17:00", "19:00"),
        ("any", "09:00", "19:00"),
        (None, "09:00", "19:00"),
        (" Afternoon ", "12:00", "16:30"),
    ],
)
def test_part_of_day_filters_by_local_start(db, part, first, last):
    business = BusinessFactory()
    open_every_day(business, closes=dt.time(20))
    service = ServiceFactory(business=business)
    ProviderFactory(business=business, services=[service])
    assert local_times(free(service, part_of_day=part)) == half_hours(first, last)


def test_an_unknown_part_of_day_is_refused(salon):
    _, service, _ = salon
    with pytest.raises(ValueError, match="part_of_day"):
        free(service, part_of_day="lunchtime")


def test_nothing_is_offered_within_the_minimum_notice(salon):
    _, service, _ = salon
    times = local_times(free(service, now=at(TUESDAY, 9, 10)))
    assert times[0] == "10:30"  # 10:10 is the earliest; the grid's next is 10:30


def test_past_days_are_skipped(salon):
    _, service, _ = salon
    slots = availability.find_free_slots(
        service,
        start_date=TUESDAY - dt.timedelta(days=7),
        end_date=TUESDAY,
        now=at(TUESDAY, 15),
    )
    assert local_times(slots) == ["16:00"]


def test_days_beyond_the_booking_horizon_are_not_offered(salon):
    _, service, _ = salon
    service.business.booking_horizon_days = 2  # the business's own rule
    slots = availability.find_free_slots(
        service,
        start_date=TUESDAY,
        end_date=TUESDAY + dt.timedelta(days=10),
        now=MONDAY_7AM,
    )
    assert {s.start_at.astimezone(CHICAGO).date() for s in slots} == {
        TUESDAY,
        TUESDAY + dt.timedelta(days=1),
    }


def test_granularity_is_the_business_slot_step(salon):
    _, service, _ = salon
    service.business.slot_minutes = 15
    assert local_times(free(service))[:3] == ["09:00", "09:15", "09:30"]


def test_now_defaults_to_the_current_time(salon):
    _, service, _ = salon
    assert free(service, now=None) == []  # TUESDAY is long past


# --- Daylight saving time ---


def test_chicago_spring_forward_gap_has_no_slots(db):
    business = BusinessFactory(timezone="America/Chicago")
    OpeningHoursFactory(
        business=business, weekday=6, opens_at=dt.time(1), closes_at=dt.time(4)
    )
    service = ServiceFactory(business=business, duration_minutes=30)
    ProviderFactory(business=business, services=[service])
    slots = free(
        service, day=dt.date(2025, 3, 9), now=dt.datetime(2025, 3, 1, tzinfo=CHICAGO)
    )
    assert local_times(slots) == ["01:00", "01:30", "03:00", "03:30"]
    assert slots[-1].end_at == dt.datetime(2025, 3, 9, 9, tzinfo=dt.UTC)  # 4:00 CDT


def test_chicago_fall_back_hour_is_offered_twice(db):
    business = BusinessFactory(timezone="America/Chicago")
    OpeningHoursFactory(
        business=business, weekday=6, opens_at=dt.time(0), closes_at=dt.time(3)
    )
    service = ServiceFactory(business=business, duration_minutes=60)
    ProviderFactory(business=business, services=[service])
    slots = free(
        service, day=dt.date(2025, 11, 2), now=dt.datetime(2025, 11, 1, tzinfo=CHICAGO)
    )
    assert local_times(slots) == [
        "00:00",
        "00:30",
        "01:00",
        "01:30",
        "01:00",
        "01:30",
        "02:00",
    ]
    utc_hours = [s.start_at.astimezone(dt.UTC).hour for s in slots[2:6:2]]
    assert utc_hours == [6, 7]  # 1:00 CDT, then 1:00 CST an hour later


def test_chicago_business_hours_follow_the_clock_change(salon):
    _, service, _ = salon
    before = free(
        service, day=dt.date(2025, 3, 8), now=dt.datetime(2025, 3, 1, tzinfo=CHICAGO)
    )
    after = free(
        service, day=dt.date(2025, 3, 9), now=dt.datetime(2025, 3, 1, tzinfo=CHICAGO)
    )
    assert before[0].start_at == dt.datetime(2025, 3, 8, 15, tzinfo=dt.UTC)  # 9:00 CST
    assert after[0].start_at == dt.datetime(2025, 3, 9, 14, tzinfo=dt.UTC)  # 9:00 CDT
    assert len(before) == len(after) == 15


def test_london_spring_forward_gap_has_no_slots(db):
    london = zoneinfo.ZoneInfo("Europe/London")
    business = BusinessFactory(timezone="Europe/London")
    OpeningHoursFactory(
        business=business, weekday=6, opens_at=dt.time(0), closes_at=dt.time(3)
    )
    service = ServiceFactory(business=business, duration_minutes=30)
    ProviderFactory(business=business, services=[service])
    slots = free(
        service, day=dt.date(2025, 3, 30), now=dt.datetime(2025, 3, 1, tzinfo=london)
    )
    assert local_times(slots, london) == ["00:00", "00:30", "02:00", "02:30"]


def test_sydney_fall_back_and_a_booking_across_the_utc_date_line(db):
    sydney = zoneinfo.ZoneInfo("Australia/Sydney")
    business = BusinessFactory(timezone="Australia/Sydney")
    OpeningHoursFactory(
        business=business, weekday=6, opens_at=dt.time(1), closes_at=dt.time(4)
    )
    service = ServiceFactory(business=business, duration_minutes=60)
    provider = ProviderFactory(business=business, services=[service])
    day = dt.date(2025, 4, 6)  # clocks go back from 3:00 AEDT to 2:00 AEST
    AppointmentFactory(
        business=business,
        service=service,
        provider=provider,
        start_at=dt.datetime(2025, 4, 5, 17, tzinfo=dt.UTC),  # 3:00 AEST on the 6th
    )
    slots = free(service, day=day, now=dt.datetime(2025, 4, 1, tzinfo=sydney))
    assert local_times(slots, sydney) == ["01:00", "01:30", "02:00", "02:30", "02:00"]
    assert [
        s.start_at.astimezone(sydney).utcoffset().seconds // 3600 for s in slots
    ] == [
        11,
        11,
        11,
        11,
        10,
    ]


# --- Query budget ---


def test_the_query_count_does_not_grow_with_days_or_bookings(
    salon, django_assert_max_num_queries
):
    business, service, provider = salon
    others = [ProviderFactory(business=business, services=[service]) for _ in range(3)]
    for offset in range(14):
        day = TUESDAY + dt.timedelta(days=offset)
        for who in [provider, *others]:
            AppointmentFactory(
                business=business, service=service, provider=who, start_at=at(day, 10)
            )
            TimeOffFactory(provider=who, starts_at=at(day, 13), ends_at=at(day, 14))
        ProviderHoursFactory(provider=others[0], weekday=offset % 7)
    ClosureFactory(business=business, starts_on=TUESDAY, ends_on=TUESDAY)
    service = type(service).objects.get(pk=service.pk)  # business not cached
    # The business; its opening hours with the providers and their own hours;
    # closures; the providers' time off and bookings together.
    with django_assert_max_num_queries(4):
        slots = availability.find_free_slots(
            service,
            start_date=TUESDAY,
            end_date=TUESDAY + dt.timedelta(days=13),
            now=MONDAY_7AM,
        )
    assert len(slots) > 100
    assert not any(s.start_at == at(TUESDAY + dt.timedelta(days=1), 10) for s in slots)


# --- Free at a given start, and alternatives ---


def test_an_offered_slot_is_free(salon):
    _, service, provider = salon
    slot = slot_at(service, provider, at(TUESDAY, 10))
    assert (slot.provider_id, slot.start_at) == (provider.pk, at(TUESDAY, 10))


@pytest.mark.parametrize(
    "start_at",
    [at(TUESDAY, 10, 10), at(TUESDAY, 8), at(TUESDAY, 16, 30), at(TUESDAY, 10)],
)
def test_off_grid_closed_late_or_booked_starts_are_not_free(salon, start_at):
    business, service, provider = salon
    AppointmentFactory(
        business=business,
        service=service,
        provider=provider,
        start_at=at(TUESDAY, 9, 30),
    )
    assert slot_at(service, provider, start_at) is None


def test_a_provider_who_does_not_offer_the_service_is_never_free(salon):
    business, service, _ = salon
    other = ProviderFactory(business=business)
    assert slot_at(service, other, at(TUESDAY, 10)) is None


def test_alternatives_are_the_closest_same_day_times_first(salon):
    business, service, provider = salon
    for hour in (9, 10, 11, 12, 13):
        AppointmentFactory(
            business=business,
            service=service,
            provider=provider,
            start_at=at(TUESDAY, hour),
        )
    slots = availability.alternatives_near(
        service, provider=provider, start_at=at(TUESDAY, 11), now=MONDAY_7AM
    )
    assert local_times(slots) == ["14:00", "14:30", "15:00"]


def test_alternatives_continue_on_the_following_days(salon):
    business, service, provider = salon
    AppointmentFactory(
        business=business, service=service, provider=provider, start_at=at(TUESDAY, 15)
    )
    slots = availability.alternatives_near(
        service,
        provider=provider,
        start_at=at(TUESDAY, 15),
        limit=4,
        now=at(TUESDAY, 13),
    )
    assert [f"{s.start_at.astimezone(CHICAGO):%d %H:%M}" for s in slots] == [
        "11 14:00",
        "11 16:00",
        "12 09:00",
        "12 09:30",
    ]


def test_alternatives_without_a_provider_are_distinct_times(salon):
    business, service, _ = salon
    ProviderFactory(business=business, name="Abe", services=[service])
    slots = availability.alternatives_near(
        service, provider=None, start_at=at(TUESDAY, 10), now=MONDAY_7AM
    )
    assert local_times(slots) == ["10:00", "09:30", "10:30"]
    assert [s.provider_name for s in slots] == ["Abe", "Abe", "Abe"]


def test_a_limit_below_one_gives_nothing(salon):
    _, service, _ = salon
    assert free(service, limit=0) == []


def test_a_naive_start_is_refused(salon):
    _, service, provider = salon
    with pytest.raises(ValueError, match="timezone-aware"):
        slot_at(service, provider, dt.datetime(2025, 3, 11, 10))  # noqa: DTZ001


def test_an_appointment_being_moved_can_be_ignored(salon):
    business, service, provider = salon
    moving = AppointmentFactory(
        business=business, service=service, provider=provider, start_at=at(TUESDAY, 10)
    )
    half_an_hour_later = at(TUESDAY, 10, 30)
    assert slot_at(service, provider, half_an_hour_later) is None
    assert slot_at(service, provider, half_an_hour_later, ignoring=moving) is not None
    nearby = availability.alternatives_near(
        service,
        provider=provider,
        start_at=at(TUESDAY, 10),
        now=MONDAY_7AM,
        ignoring=moving,
    )
    assert local_times(nearby) == ["10:00", "09:30", "10:30"]


# --- Schedule: one load, several questions; slot_at agrees with the offers ---


def every_five_minutes(day: dt.date, tz=CHICAGO) -> list[dt.datetime]:
    """Every instant on a 5-minute grid across the local day (a fall-back day has 25 h)."""
    start = dt.datetime.combine(day, dt.time(), tz).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz)
    count = int((end.astimezone(dt.UTC) - start) / dt.timedelta(minutes=5))
    return [start + dt.timedelta(minutes=5 * n) for n in range(count)]


def busy_day(business, service, provider):
    """Two providers, split and own hours, a booking with a buffer, time off."""
    OpeningHoursFactory(
        business=business, weekday=1, opens_at=dt.time(18), closes_at=dt.time(20)
    )
    abe = ProviderFactory(business=business, name="Abe", services=[service])
    ProviderHoursFactory(
        provider=abe, weekday=1, opens_at=dt.time(10, 15), closes_at=dt.time(19)
    )
    AppointmentFactory(
        business=business, service=service, provider=provider, start_at=at(TUESDAY, 11)
    )
    TimeOffFactory(provider=abe, starts_at=at(TUESDAY, 13), ends_at=at(TUESDAY, 14))
    return abe


@pytest.mark.parametrize("who", ["anyone", "Ana", "Abe"])
def test_slot_at_is_free_exactly_at_the_offered_starts(salon, who):
    business, service, provider = salon
    service.buffer_minutes = 15
    service.save()
    abe = busy_day(business, service, provider)
    chosen = {"anyone": None, "Ana": provider, "Abe": abe}[who]
    now = at(TUESDAY, 9, 20)
    offered = {
        s.start_at: s
        for s in availability.one_per_start_time(
            free(service, provider=chosen, now=now)
        )
    }
    assert offered  # the comparison below is not vacuous

    schedule = availability.Schedule(service, provider=chosen, now=now)
    found = {t: schedule.slot_at(t) for t in every_five_minutes(TUESDAY)}

    assert {t: s for t, s in found.items() if s is not None} == offered


def test_slot_at_agrees_with_the_offers_on_a_fall_back_day(db):
    business = BusinessFactory(timezone="America/Chicago")
    OpeningHoursFactory(
        business=business, weekday=6, opens_at=dt.time(0), closes_at=dt.time(3)
    )
    service = ServiceFactory(business=business, duration_minutes=60)
    ProviderFactory(business=business, services=[service])
    day, now = dt.date(2025, 11, 2), dt.datetime(2025, 11, 1, tzinfo=CHICAGO)
    offered = [s.start_at for s in free(service, day=day, now=now)]

    schedule = availability.Schedule(service, now=now)
    found = [t for t in every_five_minutes(day) if schedule.slot_at(t)]

    assert found == offered
    assert len(found) == 7  # the repeated hour counts twice


def test_slot_at_refuses_closed_days_past_the_horizon_and_within_notice(
    salon, settings
):
    business, service, provider = salon
    ClosureFactory(business=business, starts_on=TUESDAY, ends_on=TUESDAY)
    service.business.booking_horizon_days = 3
    schedule = availability.Schedule(service, now=MONDAY_7AM)

    assert schedule.slot_at(at(TUESDAY, 10)) is None  # closed
    assert schedule.slot_at(at(MONDAY_7AM.date(), 7, 30)) is None  # within notice
    assert schedule.slot_at(at(MONDAY_7AM.date(), 9)) is not None
    assert schedule.slot_at(at(TUESDAY + dt.timedelta(days=3), 10)) is None


def test_a_schedule_reads_hours_and_providers_once(salon, django_assert_num_queries):
    business, service, provider = salon
    AppointmentFactory(
        business=business,
        service=service,
        provider=provider,
        start_at=at(TUESDAY + dt.timedelta(days=7), 9),
    )
    schedule = availability.Schedule(service, now=MONDAY_7AM)
    # Opening and providers' hours, closures, then the providers' busy time.
    with django_assert_num_queries(3):
        first_week = schedule.free_slots(TUESDAY, TUESDAY + dt.timedelta(days=6))
    with django_assert_num_queries(1):  # only the next week's busy time
        next_week = schedule.free_slots(
            TUESDAY + dt.timedelta(days=7), TUESDAY + dt.timedelta(days=13)
        )
    with django_assert_num_queries(0):
        schedule.free_slots(
            TUESDAY + dt.timedelta(days=8), TUESDAY + dt.timedelta(days=9)
        )

    assert first_week == availability.find_free_slots(
        service,
        start_date=TUESDAY,
        end_date=TUESDAY + dt.timedelta(days=6),
        now=MONDAY_7AM,
    )
    assert local_times(next_week[:2]) == ["10:00", "10:30"]  # 9:00 is booked


def test_a_provider_without_the_service_has_no_schedule_and_reads_no_bookings(
    salon, django_assert_num_queries
):
    business, service, _ = salon
    other = ProviderFactory(business=business)
    schedule = availability.Schedule(service, provider=other, now=MONDAY_7AM)
    with django_assert_num_queries(2):
        assert schedule.free_slots(TUESDAY, TUESDAY) == []
    assert schedule.slot_at(at(TUESDAY, 10)) is None


def test_a_booking_after_midnight_still_blocks_a_late_slots_buffer(db):
    business = BusinessFactory(timezone="America/Chicago")
    OpeningHoursFactory(
        business=business, weekday=1, opens_at=dt.time(22), closes_at=dt.time(23, 30)
    )
    service = ServiceFactory(business=business, duration_minutes=60, buffer_minutes=60)
    provider = ProviderFactory(business=business, services=[service])
    AppointmentFactory(  # 00:15 on Wednesday, 06:15 UTC
        business=business,
        service=service,
        provider=provider,
        start_at=at(TUESDAY + dt.timedelta(days=1), 0, 15),
    )

    assert local_times(free(service)) == ["22:00"]  # 22:30's buffer meets it
    assert slot_at(service, provider, at(TUESDAY, 22, 30)) is None


def test_time_off_from_the_day_before_still_blocks_the_morning(salon):
    _, service, provider = salon
    TimeOffFactory(
        provider=provider,
        starts_at=at(TUESDAY, 0) - dt.timedelta(days=2),
        ends_at=at(TUESDAY, 10),
    )

    assert local_times(free(service))[0] == "10:00"
