import datetime as dt
import threading
import zoneinfo

import pytest
from django.db import connection, connections

from apps.appointments import services as appointment_services
from apps.appointments.models import Appointment
from tests.appointments.factories import (
    AppointmentFactory,
    ProviderFactory,
    ServiceFactory,
)
from tests.businesses.factories import BusinessFactory

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
SATURDAY_1PM = dt.datetime(2025, 3, 15, 13, tzinfo=CHICAGO)


@pytest.fixture
def salon(db):
    business = BusinessFactory()
    service = ServiceFactory(business=business, duration_minutes=60, buffer_minutes=15)
    provider = ProviderFactory(business=business)
    return business, service, provider


def test_book_appointment_sets_end_and_buffer_from_the_service(salon):
    _, service, provider = salon
    appointment = appointment_services.book_appointment(
        service, provider=provider, start_at=SATURDAY_1PM
    )
    assert appointment.end_at == SATURDAY_1PM + dt.timedelta(minutes=60)
    assert appointment.blocked_until == SATURDAY_1PM + dt.timedelta(minutes=75)
    assert appointment.status == Appointment.Status.BOOKED


def test_booking_inside_another_appointments_buffer_is_refused(salon):
    _, service, provider = salon
    appointment_services.book_appointment(
        service, provider=provider, start_at=SATURDAY_1PM
    )
    with pytest.raises(appointment_services.SlotTakenError):
        appointment_services.book_appointment(
            service, provider=provider, start_at=SATURDAY_1PM + dt.timedelta(minutes=70)
        )


def test_booking_right_after_the_buffer_succeeds(salon):
    _, service, provider = salon
    appointment_services.book_appointment(
        service, provider=provider, start_at=SATURDAY_1PM
    )
    later = appointment_services.book_appointment(
        service, provider=provider, start_at=SATURDAY_1PM + dt.timedelta(minutes=75)
    )
    assert later.pk


def test_a_cancelled_appointment_frees_its_slot(salon):
    business, service, provider = salon
    AppointmentFactory(
        business=business,
        service=service,
        provider=provider,
        start_at=SATURDAY_1PM,
        status=Appointment.Status.CANCELLED,
    )
    assert appointment_services.book_appointment(
        service, provider=provider, start_at=SATURDAY_1PM
    ).pk


def test_another_provider_can_take_the_same_time(salon):
    business, service, provider = salon
    appointment_services.book_appointment(
        service, provider=provider, start_at=SATURDAY_1PM
    )
    other = ProviderFactory(business=business)
    assert appointment_services.book_appointment(
        service, provider=other, start_at=SATURDAY_1PM
    ).pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_overlapping_rows_even_without_the_service():
    from django.db import IntegrityError

    first = AppointmentFactory(start_at=SATURDAY_1PM)
    with pytest.raises(IntegrityError):
        AppointmentFactory(
            business=first.business,
            service=first.service,
            provider=first.provider,
            start_at=SATURDAY_1PM + dt.timedelta(minutes=30),
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_threads_booking_one_slot_at_once_give_exactly_one_appointment():
    business = BusinessFactory()
    service = ServiceFactory(business=business)
    provider = ProviderFactory(business=business)
    contenders = 12
    barrier = threading.Barrier(contenders)
    outcomes: list[str] = []
    lock = threading.Lock()

    def contend():
        try:
            barrier.wait()
            appointment_services.book_appointment(
                service, provider=provider, start_at=SATURDAY_1PM
            )
            outcome = "booked"
        except appointment_services.SlotTakenError:
            outcome = "taken"
        except Exception as exc:  # surfaces in the assertion below
            outcome = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=contend) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["booked"] + ["taken"] * (contenders - 1)
    assert Appointment.objects.filter(provider=provider).count() == 1
    assert connection.vendor == "postgresql"
