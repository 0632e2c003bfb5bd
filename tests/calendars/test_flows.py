"""Roxy, staff and the outbox against a provider's calendar in a real Radicale."""

import datetime as dt

import pytest

from apps.appointments import availability
from apps.appointments import services as appointment_services
from apps.appointments.models import Appointment
from apps.calendars import outbox, sync
from apps.calendars.models import BusyBlock, CalendarWrite
from tests.calendars.conftest import connect_caldav
from tests.calendars.radicale import vevent
from tests.calls.factories import CallFactory
from tests.roxy.salon import CALLER, CHICAGO, NOW, SATURDAY, build_salon
from tests.roxy.test_tools import error, result, slot_ids

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def at_the_example_call(time_machine, settings):
    settings.SCHEDULING_SLOT_MINUTES = 30
    settings.SCHEDULING_MIN_NOTICE_MINUTES = 60
    settings.ROXY_SLOTS_OFFERED = 4
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def salon():
    return build_salon()


@pytest.fixture
def call(salon):
    return CallFactory(business=salon.business, caller_number=CALLER, lead=None)


@pytest.fixture
def maria_calendar(salon, radicale, caldav_calendar_url):
    connection, calendar = connect_caldav(salon.maria, caldav_calendar_url, radicale)
    sync.sync_connection(connection.pk)
    return connection, calendar


def at(hour, minute=0, day=SATURDAY):
    return dt.datetime.combine(day, dt.time(hour, minute), CHICAGO)


def stamp(moment):
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def maria_starts(salon):
    slots = availability.find_free_slots(
        salon.haircut, start_date=SATURDAY, end_date=SATURDAY, provider=salon.maria
    )
    return {s.start_at.astimezone(CHICAGO).hour for s in slots}


def deliver_all():
    for write_id in CalendarWrite.objects.pending().values_list("id", flat=True):
        outbox.deliver_write(write_id)


def test_an_event_in_the_calendar_stops_roxy_offering_that_time(
    salon, call, radicale, caldav_calendar_url, maria_calendar
):
    connection, _ = maria_calendar
    assert 11 in maria_starts(salon)
    radicale.put_event(
        caldav_calendar_url, vevent("dentist", stamp(at(11)), stamp(at(12)))
    )
    sync.sync_connection(connection.pk)
    assert 11 not in maria_starts(salon)
    schedule = availability.Schedule(salon.haircut, provider=salon.maria)
    schedule.free_slots(SATURDAY, SATURDAY)
    assert schedule.freshness.calendars == 1
    assert schedule.freshness.synced_at == NOW
    assert not schedule.freshness.is_stale(NOW, max_age=dt.timedelta(minutes=15))
    assert schedule.freshness.is_stale(
        NOW + dt.timedelta(minutes=16), max_age=dt.timedelta(minutes=15)
    )
    # Jess's time is hers: Maria's calendar does not block her.
    text = result(
        salon,
        call,
        "check_availability",
        {"service": "haircut", "date": "2025-03-15", "provider": "Jess"},
    )  # noqa: E501
    assert "11" in text


def test_all_day_and_free_events(salon, radicale, caldav_calendar_url, maria_calendar):
    connection, _ = maria_calendar
    radicale.put_event(
        caldav_calendar_url,
        vevent("free", stamp(at(13)), stamp(at(14)), extra="TRANSP:TRANSPARENT"),
    )
    sync.sync_connection(connection.pk)
    assert 13 in maria_starts(salon)
    radicale.put_event(caldav_calendar_url, vevent("holiday", "20250315", "20250316"))
    sync.sync_connection(connection.pk)
    assert maria_starts(salon) == set()


def test_a_shared_business_calendar_blocks_every_provider(
    salon, radicale, caldav_calendar_url
):
    connection, _ = connect_caldav(
        None, caldav_calendar_url, radicale, business=salon.business
    )
    radicale.put_event(caldav_calendar_url, vevent("team", stamp(at(9)), stamp(at(17))))
    sync.sync_connection(connection.pk)
    assert (
        availability.find_free_slots(
            salon.haircut, start_date=SATURDAY, end_date=SATURDAY
        )
        == []
    )


def test_roxys_booking_move_and_cancel_appear_in_the_calendar(
    salon, call, radicale, caldav_calendar_url, maria_calendar
):
    offers = result(
        salon,
        call,
        "check_availability",
        {"service": "haircut", "date": "2025-03-15", "provider": "Maria"},
    )  # noqa: E501
    booked = result(
        salon,
        call,
        "book_appointment",
        {"slot_id": slot_ids(offers)[0], "name": "Ana Ruiz"},
        ids=["book"],
    )  # noqa: E501
    assert booked.startswith("Booked")
    appointment = Appointment.objects.get()
    deliver_all()
    (text,) = radicale.list_events(caldav_calendar_url).values()
    assert f"X-VOICEHIVE-APPOINTMENT:voicehive-appointment-{appointment.pk}" in text
    assert f"DTSTART:{stamp(appointment.start_at)}" in text
    deliver_all()  # nothing pending: still one event
    outbox.deliver_write(CalendarWrite.objects.get().pk)
    assert len(radicale.list_events(caldav_calendar_url)) == 1

    appointment_services.reschedule_appointment(appointment, start_at=at(15))
    deliver_all()
    (text,) = radicale.list_events(caldav_calendar_url).values()
    assert f"DTSTART:{stamp(at(15))}" in text

    # Synced back, our own event does not block the appointment's own time.
    sync.sync_connection(maria_calendar[0].pk)
    assert BusyBlock.objects.get().is_ours
    assert CalendarWrite.objects.get().state == CalendarWrite.State.DONE

    appointment_services.cancel_appointment(appointment, by_staff=True)
    deliver_all()
    assert radicale.list_events(caldav_calendar_url) == {}
    write = CalendarWrite.objects.get()
    assert write.is_deleted and write.state == CalendarWrite.State.DONE


def test_an_event_moved_outside_is_a_conflict_not_a_move(
    salon, radicale, caldav_calendar_url, maria_calendar
):
    connection, _ = maria_calendar
    appointment = appointment_services.book_appointment(
        salon.haircut, provider=salon.maria, start_at=at(11)
    )
    deliver_all()
    (href,) = radicale.list_events(caldav_calendar_url)
    ref = f"voicehive-appointment-{appointment.pk}"
    radicale.put_event(
        caldav_calendar_url,
        vevent(
            ref, stamp(at(14)), stamp(at(15)), extra=f"X-VOICEHIVE-APPOINTMENT:{ref}"
        ),
        name=href.rsplit("/", 1)[1],
    )
    sync.sync_connection(connection.pk)
    write = CalendarWrite.objects.get()
    assert write.state == CalendarWrite.State.CONFLICT
    assert write.conflict == CalendarWrite.Conflict.MOVED
    assert write.conflict_start == at(14)
    appointment.refresh_from_db()
    assert appointment.start_at == at(11) and appointment.is_active
    assert {11, 14} & maria_starts(salon) == set()  # both times are blocked

    # Staff decide: keep the appointment and write it back.
    outbox.requeue_writes(CalendarWrite.objects.all())
    deliver_all()
    (text,) = radicale.list_events(caldav_calendar_url).values()
    assert f"DTSTART:{stamp(at(11))}" in text
    sync.sync_connection(connection.pk)
    assert CalendarWrite.objects.get().state == CalendarWrite.State.DONE


def test_an_event_deleted_outside_is_a_conflict_and_the_time_stays_held(
    salon, radicale, caldav_calendar_url, maria_calendar
):
    connection, _ = maria_calendar
    appointment = appointment_services.book_appointment(
        salon.haircut, provider=salon.maria, start_at=at(11)
    )
    deliver_all()
    (href,) = radicale.list_events(caldav_calendar_url)
    radicale.delete(radicale.url.rstrip("/") + href)
    sync.sync_connection(connection.pk)
    write = CalendarWrite.objects.get()
    assert write.conflict == CalendarWrite.Conflict.DELETED
    appointment.refresh_from_db()
    assert appointment.is_active
    assert 11 not in maria_starts(salon)


def test_roxy_checks_the_calendar_just_in_time(
    salon, call, radicale, caldav_calendar_url, maria_calendar
):
    offers = result(
        salon,
        call,
        "check_availability",
        {"service": "haircut", "date": "2025-03-15", "provider": "Maria"},
    )  # noqa: E501
    slot = slot_ids(offers)[0]
    first_start = min(maria_starts(salon))
    # Added in the calendar a second ago, before any sync saw it.
    radicale.put_event(
        caldav_calendar_url,
        vevent("race", stamp(at(first_start)), stamp(at(first_start + 1))),
    )
    refusal = error(
        salon, call, "book_appointment", {"slot_id": slot, "name": "Ana"}, ids=["b"]
    )
    assert "slot id" in refusal  # alternatives offered instead
    assert not Appointment.objects.exists()


def test_an_unreachable_calendar_fails_open(salon, call, maria_calendar):
    connection, _ = maria_calendar
    connection.server_url = "http://127.0.0.1:9/"  # nothing listens there
    connection.save()
    calendar = connection.calendars.get()
    calendar.remote_id = "http://127.0.0.1:9/stylist/cal/"
    calendar.save()
    offers = result(
        salon,
        call,
        "check_availability",
        {"service": "haircut", "date": "2025-03-15", "provider": "Maria"},
    )  # noqa: E501
    booked = result(
        salon,
        call,
        "book_appointment",
        {"slot_id": slot_ids(offers)[0], "name": "Ana"},
        ids=["book"],
    )  # noqa: E501
    assert booked.startswith("Booked")


def test_check_availability_queries_do_not_grow_with_busy_events(
    salon, maria_calendar, django_assert_max_num_queries, django_assert_num_queries
):
    _, calendar = maria_calendar

    def ask():
        schedule = availability.Schedule(salon.haircut)
        schedule.free_slots(SATURDAY, SATURDAY + dt.timedelta(days=14))

    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(db) as none:
        ask()
    BusyBlock.objects.bulk_create(
        BusyBlock(
            calendar=calendar,
            business=salon.business,
            provider=salon.maria,
            remote_id=f"e{i}",
            starts_at=at(9) + dt.timedelta(minutes=7 * i),
            ends_at=at(9) + dt.timedelta(minutes=7 * i + 5),
        )
        for i in range(2000)
    )
    with django_assert_max_num_queries(len(none.captured_queries)):
        ask()


def test_roxy_hears_when_the_calendar_data_is_stale(
    salon, call, maria_calendar, time_machine, settings
):
    settings.CALENDAR_STALE_AFTER_SECONDS = 900
    args = {"service": "haircut", "date": "2025-03-15", "provider": "Maria"}
    fresh = result(salon, call, "check_availability", args, ids=["fresh"])
    assert "could not be checked" not in fresh
    time_machine.move_to(NOW + dt.timedelta(minutes=20), tick=False)
    stale = result(salon, call, "check_availability", args, ids=["stale"])
    assert "could not be checked just now" in stale
