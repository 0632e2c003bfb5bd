"""A salon open every day, 9 to 5, with two providers of one service, for the calendar."""

import datetime as dt
import zoneinfo

from apps.appointments.models import Appointment
from tests.appointments.factories import (
    AppointmentFactory,
    ProviderFactory,
    ServiceFactory,
)
from tests.businesses.factories import BusinessFactory, OpeningHoursFactory

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


def open_salon(weekdays=range(7)):
    business = BusinessFactory(name="Maison Belle", timezone="America/Chicago")
    for weekday in weekdays:
        OpeningHoursFactory(
            business=business,
            weekday=weekday,
            opens_at=dt.time(9),
            closes_at=dt.time(17),
        )
    service = ServiceFactory(business=business, name="Haircut", duration_minutes=60)
    ana = ProviderFactory(business=business, name="Ana", services=[service])
    bo = ProviderFactory(business=business, name="Bo", services=[service])
    return business, service, ana, bo


def at(day: dt.date, hour: int, minute: int = 0, *, fold: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute, fold=fold), CHICAGO)


def book(salon, start_at, provider=None, **kwargs) -> Appointment:
    business, service, ana, _ = salon
    return AppointmentFactory(
        business=business,
        service=service,
        provider=provider or ana,
        start_at=start_at,
        **kwargs,
    )
