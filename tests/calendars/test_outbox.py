"""The outbox of appointment writes: idempotent, retried with backoff, failures shown."""

import datetime as dt

import pytest

from apps.appointments import services as appointment_services
from apps.calendars import outbox, providers
from apps.calendars.models import CalendarConnection, CalendarWrite, ConnectedCalendar
from apps.calendars.providers.base import GrantRevoked, ProviderError
from tests.appointments.factories import ProviderFactory, ServiceFactory
from tests.businesses.factories import BusinessFactory
from tests.calendars.fakes import FakeAdapter

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC)


@pytest.fixture
def fake():
    adapter = FakeAdapter()
    providers.override("caldav", adapter)
    yield adapter
    providers.override("caldav", None)


@pytest.fixture
def world(time_machine):
    time_machine.move_to(NOW, tick=False)
    business = BusinessFactory()
    service = ServiceFactory(business=business)
    provider = ProviderFactory(business=business, services=[service])
    connection = CalendarConnection.objects.create(
        business=business, provider=provider, kind="caldav", status="active"
    )
    calendar = ConnectedCalendar.objects.create(
        connection=connection, remote_id="/cal/", receives_bookings=True
    )
    return business, service, provider, connection, calendar


def book(world, hours=24):
    _, service, provider, _, _ = world
    return appointment_services.book_appointment(
        service, provider=provider, start_at=NOW + dt.timedelta(hours=hours)
    )


def deliver():
    for pk in (
        CalendarWrite.objects.pending()
        .due(dt.datetime.now(dt.UTC))
        .values_list("pk", flat=True)
    ):
        outbox.deliver_write(pk)


def test_a_booking_queues_one_write_per_booking_calendar(world, fake):
    appointment = book(world)
    write = CalendarWrite.objects.get()
    assert write.appointment == appointment and write.state == write.State.PENDING
    deliver()
    deliver()
    assert len(fake.events) == 1 and fake.calls == ["create"]
    assert CalendarWrite.objects.get().state == CalendarWrite.State.DONE


def test_no_calendar_no_rows(world, fake):
    world[4].delete()
    book(world)
    assert not CalendarWrite.objects.exists()


def test_a_change_with_nothing_new_to_write_costs_two_reads(
    world, fake, django_assert_num_queries
):
    world[4].delete()
    appointment = book(world)

    with django_assert_num_queries(2):  # its writes, the booking calendars
        assert outbox.appointment_changed(appointment) == 0


def test_a_change_marks_the_existing_write_pending_again_without_a_second(world, fake):
    appointment = book(world)
    deliver()
    delivered = CalendarWrite.objects.get()

    assert outbox.appointment_changed(appointment) == 1

    write = CalendarWrite.objects.get()
    assert write.pk == delivered.pk and write.state == write.State.PENDING
    assert write.generation == delivered.generation + 1


def test_a_move_to_another_provider_removes_the_event_from_the_first(world, fake):
    business, service, provider, connection, calendar = world
    appointment = book(world)
    deliver()
    other = ProviderFactory(business=business, services=[service])
    appointment_services.reschedule_appointment(
        appointment, start_at=appointment.start_at, provider=other
    )
    deliver()
    assert fake.events == {}
    assert CalendarWrite.objects.get().is_deleted


def test_transient_failures_back_off_then_succeed(world, fake, time_machine, settings):
    settings.CALENDAR_WRITE_BACKOFF_SECONDS = 30
    book(world)
    fake.fail_with = [ProviderError("503", transient=True)] * 2
    deliver()
    write = CalendarWrite.objects.get()
    assert write.state == write.State.PENDING and "503" in write.last_error
    assert write.next_attempt_at == NOW + dt.timedelta(seconds=30)
    deliver()  # not due yet: nothing happens
    assert fake.calls == ["create"]
    time_machine.move_to(NOW + dt.timedelta(seconds=31), tick=False)
    deliver()
    assert CalendarWrite.objects.get().next_attempt_at == NOW + dt.timedelta(
        seconds=31 + 60
    )
    time_machine.move_to(NOW + dt.timedelta(seconds=92), tick=False)
    deliver()
    write = CalendarWrite.objects.get()
    assert write.state == write.State.DONE and len(fake.events) == 1


def test_retry_after_is_respected(world, fake):
    book(world)
    fake.fail_with = [ProviderError("429", transient=True, retry_after=120)]
    deliver()
    assert CalendarWrite.objects.get().next_attempt_at == NOW + dt.timedelta(
        seconds=120
    )


def test_permanent_failures_are_shown_and_retried_by_staff(world, fake):
    book(world)
    fake.fail_with = [ProviderError("400 bad event")]
    deliver()
    write = CalendarWrite.objects.get()
    assert write.state == write.State.FAILED and "400 bad event" in write.last_error
    outbox.requeue_writes(CalendarWrite.objects.all())
    deliver()
    assert CalendarWrite.objects.get().state == CalendarWrite.State.DONE


def test_a_revoked_grant_marks_the_connection(world, fake):
    book(world)
    fake.fail_with = [GrantRevoked("invalid_grant")]
    deliver()
    assert CalendarWrite.objects.get().state == CalendarWrite.State.FAILED
    assert (
        CalendarConnection.objects.get().status
        == CalendarConnection.Status.NEEDS_RECONNECT
    )


def test_a_change_during_a_write_is_not_lost(world, fake):
    appointment = book(world)
    write = CalendarWrite.objects.get()
    real_create = fake.create_event

    def create_while_moved(connection, calendar, event):
        written = real_create(connection, calendar, event)
        # Staff move it while the provider answers.
        CalendarWrite.objects.filter(pk=write.pk).update(
            generation=write.generation + 1
        )
        return written

    fake.create_event = create_while_moved
    outbox.deliver_write(write.pk)
    assert CalendarWrite.objects.get().state == CalendarWrite.State.PENDING
    fake.create_event = real_create
    deliver()
    assert CalendarWrite.objects.get().state == CalendarWrite.State.DONE
    assert fake.calls == ["create", "update"]
    assert appointment.pk


def test_the_sweep_rings_waiting_rows_frees_dead_claims_and_removes_deleted(
    world, fake, time_machine, mocker
):
    appointment = book(world)
    deliver()
    rung = mocker.patch("apps.calendars.outbox.enqueue_write")
    appointment.delete()  # a manager deleted it: the event must go too
    counts = outbox.sweep_writes()
    assert counts["orphans"] == 1
    deliver()
    assert fake.events == {}
    # A claim whose worker died is released after the task time limit.
    appointment = book(world, hours=48)
    CalendarWrite.objects.filter(appointment=appointment).update(
        state=CalendarWrite.State.SENDING, claimed_at=NOW
    )
    time_machine.move_to(NOW + dt.timedelta(hours=1), tick=False)
    counts = outbox.sweep_writes()
    assert counts["released"] == 1 and counts["enqueued"] >= 1
    assert rung.called
