import datetime as dt
import zoneinfo

import pytest

from apps.appointments.bookability import problems_with
from tests.appointments.factories import (
    AppointmentFactory,
    ProviderFactory,
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
MONDAY_7AM = dt.datetime(2025, 3, 10, 7, tzinfo=CHICAGO)
TUESDAY = dt.date(2025, 3, 11)


@pytest.fixture
def salon(settings):
    settings.SCHEDULING_MAX_DAYS_AHEAD = 90
    business = BusinessFactory(timezone="America/Chicago")
    for weekday in range(1, 7):  # closed on Mondays
        OpeningHoursFactory(
            business=business,
            weekday=weekday,
            opens_at=dt.time(9),
            closes_at=dt.time(17),
        )
    service = ServiceFactory(business=business, duration_minutes=60, buffer_minutes=15)
    provider = ProviderFactory(business=business, name="Ana", services=[service])
    return business, service, provider


def codes(salon, start_at, **kwargs) -> list[str]:
    _, service, provider = salon
    found = problems_with(
        service, provider=provider, start_at=start_at, now=MONDAY_7AM, **kwargs
    )
    return [problem.code for problem in found]


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), CHICAGO)


def test_a_time_within_hours_has_no_problem_even_off_the_slot_grid(salon):
    assert codes(salon, at(TUESDAY, 10, 10)) == []


@pytest.mark.parametrize(
    ("start_at", "expected"),
    [
        (at(TUESDAY, 3), ["outside_hours"]),
        (at(TUESDAY, 16, 30), ["outside_hours"]),  # runs past closing
        (at(dt.date(2025, 3, 10), 11), ["outside_hours"]),  # Monday: no hours
        (at(dt.date(2025, 3, 3), 11), ["past", "outside_hours"]),  # last Monday
        (at(dt.date(2025, 7, 1), 11), ["too_far"]),
    ],
)
def test_each_reason_is_named(salon, start_at, expected):
    assert codes(salon, start_at) == expected


def test_a_closure_is_named_and_not_also_called_outside_hours(salon):
    business, _, _ = salon
    ClosureFactory(business=business, starts_on=TUESDAY, ends_on=TUESDAY)

    assert codes(salon, at(TUESDAY, 10)) == ["closed"]


def test_time_off_is_named(salon):
    _, _, provider = salon
    TimeOffFactory(
        provider=provider, starts_at=at(TUESDAY, 10), ends_at=at(TUESDAY, 12)
    )

    assert codes(salon, at(TUESDAY, 11)) == ["time_off"]


def test_a_clash_cannot_be_overridden_unless_it_is_the_appointment_being_moved(
    salon,
):
    business, service, provider = salon
    booked = AppointmentFactory(
        business=business,
        service=service,
        provider=provider,
        start_at=at(TUESDAY, 10),
    )
    _, service, provider = salon

    (clash,) = problems_with(
        service, provider=provider, start_at=at(TUESDAY, 10, 30), now=MONDAY_7AM
    )
    assert (clash.code, clash.overridable) == ("clash", False)
    assert codes(salon, at(TUESDAY, 10, 30), ignoring=booked) == []


def test_a_provider_who_does_not_do_the_service_is_named(salon):
    business, service, _ = salon
    other = ProviderFactory(business=business, name="Bo", services=[])

    found = problems_with(
        service, provider=other, start_at=at(TUESDAY, 10), now=MONDAY_7AM
    )
    assert [p.code for p in found] == ["not_offered"]
    assert found[0].message == f"Bo does not do {service.name}."


def test_it_reads_a_fixed_number_of_queries(salon, django_assert_max_num_queries):
    _, service, provider = salon
    with django_assert_max_num_queries(3):
        problems_with(
            service, provider=provider, start_at=at(TUESDAY, 10), now=MONDAY_7AM
        )
