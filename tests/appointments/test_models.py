import datetime as dt
import zoneinfo

import pytest

from apps.appointments.models import Appointment
from tests.appointments.factories import AppointmentFactory, ServiceFactory
from tests.businesses.factories import BusinessFactory
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
NOW = dt.datetime(2025, 3, 14, 12, tzinfo=CHICAGO)


def appointment_for(lead, *, days: float, **kwargs) -> Appointment:
    return AppointmentFactory(
        business=lead.business,
        lead=lead,
        start_at=NOW + dt.timedelta(days=days),
        **kwargs,
    )


def test_upcoming_for_phone_lists_the_callers_future_active_appointments():
    lead = LeadFactory(phone="+15125550187")
    soon = appointment_for(lead, days=1)
    later = appointment_for(lead, days=3)
    appointment_for(lead, days=-1)
    appointment_for(lead, days=2, status=Appointment.Status.CANCELLED)
    found = Appointment.objects.upcoming(now=NOW).for_phone(
        lead.business, "+15125550187"
    )
    assert list(found) == [soon, later]


@pytest.mark.parametrize(
    "spoken", ["(512) 555-0187", "512.555.0187", "+1 512 555 0187"]
)
def test_for_phone_accepts_any_format_of_the_number(spoken):
    lead = LeadFactory(phone="+15125550187")
    appointment = appointment_for(lead, days=1)
    assert list(Appointment.objects.for_phone(lead.business, spoken)) == [appointment]


def test_for_phone_ignores_other_businesses_and_other_callers():
    lead = LeadFactory(phone="+15125550187")
    appointment_for(LeadFactory(phone="+15125550188"), days=1)
    stranger = LeadFactory(business=BusinessFactory(), phone="+15125550187")
    appointment_for(stranger, days=1)
    assert not Appointment.objects.for_phone(lead.business, lead.phone).exists()


def test_for_phone_with_an_unreadable_number_finds_nothing():
    lead = LeadFactory(phone="+15125550187")
    appointment_for(lead, days=1)
    assert not Appointment.objects.for_phone(lead.business, "not a number").exists()


def test_set_times_adds_duration_and_buffer():
    service = ServiceFactory(duration_minutes=45, buffer_minutes=10)
    appointment = Appointment(service=service)
    appointment.set_times(NOW)
    assert appointment.end_at == NOW + dt.timedelta(minutes=45)
    assert appointment.blocked_until == NOW + dt.timedelta(minutes=55)


def test_overlaps_counts_the_buffer_and_the_provider():
    service = ServiceFactory(duration_minutes=60, buffer_minutes=15)
    first = AppointmentFactory(service=service, business=service.business, start_at=NOW)
    inside_buffer = Appointment(
        provider=first.provider,
        service=service,
        start_at=NOW + dt.timedelta(minutes=70),
    )
    inside_buffer.set_times(inside_buffer.start_at)
    after_buffer = Appointment(provider=first.provider, service=service)
    after_buffer.set_times(NOW + dt.timedelta(minutes=75))
    assert first.overlaps(inside_buffer)
    assert not first.overlaps(after_buffer)
