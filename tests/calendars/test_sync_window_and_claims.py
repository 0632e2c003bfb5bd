"""The sync window covers the booking horizon, and one connection syncs once at a time."""

import datetime as dt
import threading

import pytest
from django.db import connection as db
from django.db import transaction

from apps.appointments import availability
from apps.calendars import providers, sync
from apps.calendars.models import CalendarConnection, CalendarWrite, ConnectedCalendar
from apps.calendars.providers.base import SyncPage
from tests.appointments.factories import AppointmentFactory
from tests.calendars.fakes import FakeAdapter
from tests.roxy.salon import CHICAGO, NOW, build_salon

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake(time_machine):
    time_machine.move_to(NOW, tick=False)
    adapter = FakeAdapter()
    providers.override("caldav", adapter)
    yield adapter
    providers.override("caldav", None)


@pytest.fixture
def salon():
    return build_salon(booking_horizon_days=60)


def connect(provider, **fields) -> ConnectedCalendar:
    connection = CalendarConnection.objects.create(
        business=provider.business, provider=provider, kind="caldav", status="active"
    )
    return ConnectedCalendar.objects.create(
        connection=connection, remote_id="/cal/", blocks_time=True, **fields
    )


def full_page():
    return SyncPage(next_sync_token="t1", full=True)


def days(n):
    return dt.timedelta(days=n)


def maria_days(salon, first, last):
    slots = availability.find_free_slots(
        salon.haircut, start_date=first, end_date=last, provider=salon.maria
    )
    return {slot.start_at.astimezone(CHICAGO).date() for slot in slots}


# --- the window and the booking horizon ---


def test_the_window_is_the_setting_or_the_horizon_whichever_is_further(
    salon, fake, settings
):
    settings.CALENDAR_SYNC_DAYS_AHEAD = 120
    calendar = connect(salon.maria)
    fake.pages = [full_page(), full_page()]

    assert sync.sync_connection(calendar.connection_id) == "ok"
    assert fake.windows[-1][1] == NOW + days(120)
    calendar.refresh_from_db()
    assert calendar.synced_until == NOW + days(120)

    salon.business.booking_horizon_days = 365
    salon.business.save(update_fields=["booking_horizon_days"])
    sync.sync_connection(calendar.connection_id)
    assert fake.windows[-1][1] == NOW + days(365 + sync.HORIZON_MARGIN_DAYS)


def test_an_incremental_page_keeps_the_coverage_of_the_last_full_listing(
    salon, fake, time_machine
):
    calendar = connect(salon.maria)
    fake.pages = [full_page(), SyncPage(next_sync_token="t2")]
    sync.sync_connection(calendar.connection_id)
    time_machine.move_to(NOW + dt.timedelta(hours=6), tick=False)

    sync.sync_connection(calendar.connection_id)

    calendar.refresh_from_db()
    assert calendar.sync_token == "t2"
    assert calendar.synced_until == NOW + days(120)


def test_a_grown_horizon_lists_in_full_at_once(salon, fake):
    calendar = connect(
        salon.maria, sync_token="2025-03-14|t0", synced_until=NOW + days(120)
    )
    fake.pages = [SyncPage(next_sync_token="t1"), full_page()]
    sync.sync_connection(calendar.connection_id)
    assert fake.tokens == ["2025-03-14|t0"]  # covered: the token is followed

    salon.business.booking_horizon_days = 180
    salon.business.save(update_fields=["booking_horizon_days"])
    sync.sync_connection(calendar.connection_id)

    assert fake.tokens[-1] == ""  # the adapter lists the new window in full
    calendar.refresh_from_db()
    assert calendar.synced_until == NOW + days(183)


def test_time_past_the_synced_window_is_never_offered(salon, fake):
    today = NOW.date()
    calendar = connect(salon.maria)
    fake.pages = [full_page()]
    sync.sync_connection(calendar.connection_id)
    horizon_end = today + days(60)
    assert horizon_end in maria_days(salon, horizon_end, horizon_end)
    # The horizon grew (or syncing stopped a while ago): its listing stops earlier.
    edge = dt.datetime.combine(today + days(20), dt.time(12), CHICAGO)
    ConnectedCalendar.objects.filter(pk=calendar.pk).update(synced_until=edge)

    offered = maria_days(salon, today + days(19), today + days(21))

    assert offered == {today + days(19), today + days(20)}  # the 20th until noon
    jess = availability.find_free_slots(
        salon.haircut, start_date=today + days(21), end_date=today + days(21)
    )
    assert {slot.provider_id for slot in jess} == {salon.jess.pk}  # not her calendar


def test_a_shared_calendar_past_its_window_blocks_everyone(salon, fake):
    today = NOW.date()
    connection = CalendarConnection.objects.create(
        business=salon.business, kind="caldav", status="active"
    )
    ConnectedCalendar.objects.create(
        connection=connection,
        remote_id="/shared/",
        blocks_time=True,
        synced_until=dt.datetime.combine(today + days(10), dt.time(), CHICAGO),
    )

    assert not availability.find_free_slots(
        salon.haircut, start_date=today + days(11), end_date=today + days(11)
    )


# --- one sync at a time ---


def test_a_sync_asked_for_while_one_runs_waits_and_runs_after(salon, fake, mocker):
    calendar = connect(salon.maria)
    rung = mocker.patch("apps.calendars.sync.ring", return_value=True)
    answers = []
    fake.during_sync = lambda: answers.append(
        sync.sync_connection(calendar.connection_id)
    )

    assert sync.sync_connection(calendar.connection_id) == "ok"

    assert answers == ["busy"]
    assert fake.calls == ["sync"]  # the second never reached the provider
    rung.assert_called_once()  # ...but is run again once the first let go
    assert rung.call_args.args[1] == calendar.connection_id
    connection = CalendarConnection.objects.get()
    assert connection.sync_claimed_at is None and not connection.sync_again


def test_a_dead_workers_claim_lapses(salon, fake):
    calendar = connect(salon.maria)
    CalendarConnection.objects.update(
        sync_claimed_at=NOW - dt.timedelta(seconds=sync.SYNC_CLAIM_SECONDS - 1)
    )
    assert sync.sync_connection(calendar.connection_id) == "busy"

    CalendarConnection.objects.update(
        sync_claimed_at=NOW - dt.timedelta(seconds=sync.SYNC_CLAIM_SECONDS + 1)
    )
    assert sync.sync_connection(calendar.connection_id) == "ok"


def test_a_failing_sync_lets_go_too(salon, fake):
    calendar = connect(salon.maria)
    fake.fail_with = [RuntimeError("a bug")]

    with pytest.raises(RuntimeError):
        sync.sync_connection(calendar.connection_id)

    assert CalendarConnection.objects.get().sync_claimed_at is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_push_and_the_beat_never_sync_one_connection_together(salon, mocker):
    """Two workers on PostgreSQL: the second waits for nothing and runs nothing."""
    calendar = connect(salon.maria)
    adapter = FakeAdapter()
    providers.override("caldav", adapter)
    rung = mocker.patch("apps.calendars.sync.ring", return_value=True)
    inside, finish = threading.Event(), threading.Event()
    adapter.during_sync = lambda: (inside.set(), finish.wait(10))
    outcomes = {}

    def scheduled():
        try:
            outcomes["scheduled"] = sync.sync_connection(calendar.connection_id)
        finally:
            db.close()

    try:
        first = threading.Thread(target=scheduled)
        first.start()
        assert inside.wait(10)
        # A push arrives while the scheduled sync talks to the server.
        outcomes["pushed"] = sync.sync_connection(calendar.connection_id)
        finish.set()
        first.join(10)
    finally:
        finish.set()
        providers.override("caldav", None)

    assert outcomes == {"scheduled": "ok", "pushed": "busy"}
    assert adapter.calls == ["sync"]
    rung.assert_called_once()  # the pushed one runs right after


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_beats_take_different_connections(salon, mocker, settings):
    settings.CALENDAR_SYNC_BATCH_SIZE = 1
    mocker.patch("apps.calendars.sync.ring", return_value=True)
    one, two = connect(salon.maria), connect(salon.jess)
    locked, release = threading.Event(), threading.Event()
    taken = {}

    def other_beat():
        try:
            with transaction.atomic():
                rows = CalendarConnection.objects.select_for_update(skip_locked=True)
                taken["other"] = rows.get(pk=one.connection_id).pk
                locked.set()
                release.wait(10)
        finally:
            db.close()

    thread = threading.Thread(target=other_beat)
    thread.start()
    try:
        assert locked.wait(10)
        counts = sync.sync_due()
        taken["this"] = CalendarConnection.objects.exclude(next_sync_at=None).get().pk
    finally:
        release.set()
        thread.join(10)

    assert counts == {"due": 1, "enqueued": 1}
    assert taken == {"other": one.connection_id, "this": two.connection_id}


# --- appointments booked before the calendar was connected ---


def test_a_new_booking_calendar_gets_the_appointments_already_booked_ahead(
    salon, fake, django_capture_on_commit_callbacks
):
    def booked(provider, hours, **fields):
        return AppointmentFactory(
            business=salon.business,
            service=salon.haircut,
            provider=provider,
            start_at=NOW + dt.timedelta(hours=hours),
            **fields,
        )

    ahead, later = booked(salon.maria, 24), booked(salon.maria, 48)
    booked(salon.maria, -24)  # past
    booked(salon.maria, 72, status="cancelled")
    booked(salon.jess, 24)  # not her calendar
    calendar = connect(salon.maria, receives_bookings=True)

    with django_capture_on_commit_callbacks(execute=False) as rung:
        sync.sync_connection(calendar.connection_id)

    writes = CalendarWrite.objects.filter(calendar=calendar)
    assert {w.appointment_id for w in writes} == {ahead.pk, later.pk}
    assert {w.state for w in writes} == {CalendarWrite.State.PENDING}
    assert len(rung) == 2  # the worker is rung for each
    sync.sync_connection(calendar.connection_id)
    assert writes.count() == 2  # never twice
