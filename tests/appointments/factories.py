import datetime as dt
import zoneinfo

import factory

from apps.appointments.models import (
    Appointment,
    Provider,
    ProviderHours,
    Service,
    TimeOff,
)
from tests.businesses.factories import BusinessFactory


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    business = factory.SubFactory(BusinessFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    duration_minutes = 60
    price = 85
    buffer_minutes = 0


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        skip_postgeneration_save = True

    business = factory.SubFactory(BusinessFactory)
    name = factory.Sequence(lambda n: f"Stylist {n}")

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        """ProviderFactory(services=[haircut]) makes the provider offer them."""
        if create and extracted:
            self.services.set(extracted)


class ProviderHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderHours

    provider = factory.SubFactory(ProviderFactory)
    weekday = 0
    opens_at = dt.time(9, 0)
    closes_at = dt.time(17, 0)


class TimeOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeOff

    provider = factory.SubFactory(ProviderFactory)
    starts_at = dt.datetime(2025, 3, 15, 9, tzinfo=zoneinfo.ZoneInfo("America/Chicago"))
    ends_at = dt.datetime(2025, 3, 15, 17, tzinfo=zoneinfo.ZoneInfo("America/Chicago"))


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    business = factory.SubFactory(BusinessFactory)
    service = factory.SubFactory(
        ServiceFactory, business=factory.SelfAttribute("..business")
    )
    provider = factory.SubFactory(
        ProviderFactory, business=factory.SelfAttribute("..business")
    )
    start_at = dt.datetime(2025, 3, 15, 13, tzinfo=zoneinfo.ZoneInfo("America/Chicago"))
    end_at = factory.LazyAttribute(
        lambda a: a.start_at + dt.timedelta(minutes=a.service.duration_minutes)
    )
    blocked_until = factory.LazyAttribute(
        lambda a: a.end_at + dt.timedelta(minutes=a.service.buffer_minutes)
    )
    status = Appointment.Status.BOOKED
