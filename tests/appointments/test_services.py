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


def statements_on_appointments(queries) -> list[str]:
    return [
        q["sql"].split()[0] for q in queries if '"appointments_appointment"' in q["sql"]
    ]


@pytest.mark.postgres
def test_on_postgresql_the_constraint_alone_refuses_a_clash(
    salon, django_assert_max_num_queries
):
    _, service, provider = salon
    appointment_services.book_appointment(
        service, provider=provider, start_at=SATURDAY_1PM
    )

    with django_assert_max_num_queries(10) as captured:
        with pytest.raises(appointment_services.SlotTakenError, match="is busy at"):
            appointment_services.book_appointment(
                service,
                provider=provider,
                start_at=SATURDAY_1PM + dt.timedelta(minutes=70),
            )

    assert statements_on_appointments(captured.captured_queries) == ["INSERT"]
    assert Appointment.objects.count() == 1


def test_without_the_constraint_a_clash_is_refused_before_the_insert(
    salon, django_assert_max_num_queries
):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL's exclusion constraint is the check there")
    _, service, provider = salon
    appointment_services.book_appointment(
        service, provider=provider, start_at=SATURDAY_1PM
    )

    with django_assert_max_num_queries(10) as captured:
        with pytest.raises(appointment_services.SlotTakenError, match="is busy at"):
            appointment_services.book_appointment(
                service,
                provider=provider,
                start_at=SATURDAY_1PM + dt.timedelta(minutes=70),
            )

    assert statements_on_appointments(captured.captured_queries) == ["SELECT"]


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


# --- Rescheduling ---


def book(service, provider, start_at, **kwargs):
    return appointment_services.book_appointment(
        service, provider=provider, start_at=start_at, **kwargs
    )


def test_reschedule_moves_the_times_and_clears_the_reminder(salon):
    _, service, provider = salon
    appointment = book(service, provider, SATURDAY_1PM)
    Appointment.objects.filter(pk=appointment.pk).update(
        reminder_sent_at=SATURDAY_1PM - dt.timedelta(days=1)
    )
    later = SATURDAY_1PM + dt.timedelta(days=2)
    moved = appointment_services.reschedule_appointment(appointment, start_at=later)
    moved.refresh_from_db()
    assert (moved.start_at, moved.end_at) == (later, later + dt.timedelta(hours=1))
    assert moved.blocked_until == later + dt.timedelta(minutes=75)
    assert moved.reminder_sent_at is None
    assert "Rescheduled from 2025-03-15 13:00 CDT" in moved.notes


def test_reschedule_may_overlap_the_appointments_own_old_time(salon):
    _, service, provider = salon
    appointment = book(service, provider, SATURDAY_1PM)
    moved = appointment_services.reschedule_appointment(
        appointment, start_at=SATURDAY_1PM + dt.timedelta(minutes=30)
    )
    assert moved.start_at == SATURDAY_1PM + dt.timedelta(minutes=30)
    assert Appointment.objects.count() == 1


def test_reschedule_onto_another_booking_is_refused_and_changes_nothing(salon):
    _, service, provider = salon
    appointment = book(service, provider, SATURDAY_1PM)
    book(service, provider, SATURDAY_1PM + dt.timedelta(hours=3))
    with pytest.raises(appointment_services.SlotTakenError):
        appointment_services.reschedule_appointment(
            appointment, start_at=SATURDAY_1PM + dt.timedelta(hours=2, minutes=30)
        )
    appointment.refresh_from_db()
    assert appointment.start_at == SATURDAY_1PM


def test_reschedule_to_another_provider(salon):
    business, service, provider = salon
    book(service, provider, SATURDAY_1PM + dt.timedelta(hours=2))
    appointment = book(service, provider, SATURDAY_1PM)
    other = ProviderFactory(business=business)
    moved = appointment_services.reschedule_appointment(
        appointment, start_at=SATURDAY_1PM + dt.timedelta(hours=2), provider=other
    )
    assert moved.provider == other


def test_reschedule_to_a_provider_of_another_business_is_refused(salon):
    _, service, provider = salon
    appointment = book(service, provider, SATURDAY_1PM)
    with pytest.raises(ValueError, match="another business"):
        appointment_services.reschedule_appointment(
            appointment, start_at=SATURDAY_1PM, provider=ProviderFactory()
        )


@pytest.mark.parametrize(
    "status",
    [
        Appointment.Status.CANCELLED,
        Appointment.Status.COMPLETED,
        Appointment.Status.NO_SHOW,
    ],
)
def test_only_active_appointments_can_be_rescheduled(salon, status):
    business, service, provider = salon
    appointment = AppointmentFactory(
        business=business, service=service, provider=provider, status=status
    )
    with pytest.raises(appointment_services.AppointmentNotChangeableError):
        appointment_services.reschedule_appointment(
            appointment, start_at=SATURDAY_1PM + dt.timedelta(days=1)
        )


def test_a_confirmed_appointment_can_be_rescheduled(salon):
    business, service, provider = salon
    appointment = AppointmentFactory(
        business=business,
        service=service,
        provider=provider,
        status=Appointment.Status.CONFIRMED,
    )
    moved = appointment_services.reschedule_appointment(
        appointment, start_at=SATURDAY_1PM + dt.timedelta(days=1)
    )
    assert moved.status == Appointment.Status.CONFIRMED


# --- Cancelling ---


def test_cancel_sets_status_time_and_reason(salon):
    _, service, provider = salon
    appointment = book(service, provider, SATURDAY_1PM, notes="Prefers Ana.")
    cancelled = appointment_services.cancel_appointment(
        appointment, reason="Caller is sick"
    )
    cancelled.refresh_from_db()
    assert cancelled.status == Appointment.Status.CANCELLED
    assert cancelled.cancelled_at is not None
    assert cancelled.notes == "Prefers Ana.\nCancelled: Caller is sick"


def test_cancel_without_a_reason_still_notes_it(salon):
    _, service, provider = salon
    appointment = book(service, provider, SATURDAY_1PM)
    assert appointment_services.cancel_appointment(appointment).notes == "Cancelled."


def test_cancel_and_reschedule_update_the_callers_instance(salon):
    _, service, provider = salon
    appointment = book(service, provider, SATURDAY_1PM)
    later = SATURDAY_1PM + dt.timedelta(days=1)
    appointment_services.reschedule_appointment(appointment, start_at=later)
    assert appointment.start_at == later
    appointment_services.cancel_appointment(appointment)
    assert appointment.status == Appointment.Status.CANCELLED


def test_cancel_is_idempotent(salon):
    _, service, provider = salon
    appointment = book(service, provider, SATURDAY_1PM)
    first = appointment_services.cancel_appointment(appointment, reason="Busy")
    again = appointment_services.cancel_appointment(appointment, reason="Busy")
    assert again.cancelled_at == first.cancelled_at
    assert again.notes == "Cancelled: Busy"


def test_cancelling_frees_the_slot(salon):
    _, service, provider = salon
    appointment = book(service, provider, SATURDAY_1PM)
    appointment_services.cancel_appointment(appointment)
    assert book(service, provider, SATURDAY_1PM).pk


@pytest.mark.parametrize(
    "status", [Appointment.Status.COMPLETED, Appointment.Status.NO_SHOW]
)
def test_a_finished_appointment_cannot_be_cancelled(salon, status):
    business, service, provider = salon
    appointment = AppointmentFactory(
        business=business, service=service, provider=provider, status=status
    )
    with pytest.raises(appointment_services.AppointmentNotChangeableError):
        appointment_services.cancel_appointment(appointment)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reschedules_racing_for_one_slot_give_one_winner():
    business = BusinessFactory()
    service = ServiceFactory(business=business)
    provider = ProviderFactory(business=business)
    appointments = [
        appointment_services.book_appointment(
            service, provider=provider, start_at=SATURDAY_1PM + dt.timedelta(hours=h)
        )
        for h in (1, 2)
    ]
    barrier = threading.Barrier(len(appointments))
    outcomes: list[str] = []
    lock = threading.Lock()

    def contend(appointment):
        try:
            barrier.wait()
            appointment_services.reschedule_appointment(
                appointment, start_at=SATURDAY_1PM
            )
            outcome = "moved"
        except appointment_services.SlotTakenError:
            outcome = "taken"
        except Exception as exc:  # surfaces in the assertion below
            outcome = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=contend, args=(a,)) for a in appointments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["moved", "taken"]
    assert Appointment.objects.filter(start_at=SATURDAY_1PM).count() == 1
