"""Roxy, staff and the outbox against a stylist's Google Calendar (an in-memory
fake speaking Google's REST shapes through respx)."""

import datetime as dt
import json
import time

import httpx
import pytest

from apps.appointments import availability
from apps.appointments import services as appointment_services
from apps.appointments.models import Appointment
from apps.calendars import outbox, sync
from apps.calendars.models import (
    BusyBlock,
    CalendarConnection,
    CalendarWrite,
    ConnectedCalendar,
)
from tests.calls.factories import CallFactory
from tests.roxy.salon import CALLER, CHICAGO, NOW, SATURDAY, build_salon
from tests.roxy.test_tools import error, result, slot_ids

pytestmark = pytest.mark.django_db

EVENTS = "https://www.googleapis.com/calendar/v3/calendars/maria%40example.com/events"


class FakeGoogleCalendar:
    """One calendar: events.list (full), insert, patch, delete and freeBusy."""

    def __init__(self, respx_mock):
        self.events: dict[str, dict] = {}
        respx_mock.get(EVENTS).mock(side_effect=self.list)
        respx_mock.post(EVENTS).mock(side_effect=self.insert)
        respx_mock.patch(url__regex=rf"{EVENTS}/(?P<event_id>[^/?]+)").mock(
            side_effect=self.patch
        )
        respx_mock.delete(url__regex=rf"{EVENTS}/(?P<event_id>[^/?]+)").mock(
            side_effect=self.delete
        )
        respx_mock.post("https://www.googleapis.com/calendar/v3/freeBusy").mock(
            side_effect=self.free_busy
        )

    def add(self, event_id, start, end, **extra):
        self.events[event_id] = {
            "id": event_id,
            "status": "confirmed",
            "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": end.isoformat()},
            **extra,
        }

    def live(self):
        return [e for e in self.events.values() if e["status"] != "cancelled"]

    def list(self, request):
        return httpx.Response(200, json={"items": self.live(), "nextSyncToken": "t"})

    def insert(self, request):
        body = json.loads(request.content)
        if body["id"] in self.events:
            return httpx.Response(409, json={"error": {"code": 409}})
        self.events[body["id"]] = {**body, "status": "confirmed", "etag": '"1"'}
        return httpx.Response(200, json=self.events[body["id"]])

    def patch(self, request, event_id):
        if event_id not in self.events:
            return httpx.Response(404, json={"error": {"code": 404}})
        self.events[event_id].update(json.loads(request.content))
        return httpx.Response(200, json=self.events[event_id])

    def delete(self, request, event_id):
        if self.events.get(event_id, {}).get("status", "cancelled") == "cancelled":
            return httpx.Response(410, json={"error": {"code": 410}})
        self.events[event_id]["status"] = "cancelled"
        return httpx.Response(204)

    def free_busy(self, request):
        busy = [
            {"start": e["start"]["dateTime"], "end": e["end"]["dateTime"]}
            for e in self.live()
        ]
        return httpx.Response(
            200, json={"calendars": {"maria@example.com": {"busy": busy}}}
        )


@pytest.fixture(autouse=True)
def at_the_example_call(time_machine, settings):
    settings.SCHEDULING_SLOT_MINUTES = 30
    settings.SCHEDULING_MIN_NOTICE_MINUTES = 60
    settings.ROXY_SLOTS_OFFERED = 4
    settings.SITE_URL = ""  # no push here: test_push covers channels
    settings.GOOGLE_OAUTH_CLIENT_ID = "client"
    settings.GOOGLE_OAUTH_CLIENT_SECRET = "secret"
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def salon():
    return build_salon()


@pytest.fixture
def google(respx_mock):
    return FakeGoogleCalendar(respx_mock)


@pytest.fixture
def maria(salon, google):
    connection = CalendarConnection.objects.create(
        business=salon.business,
        provider=salon.maria,
        kind="google",
        account="maria@example.com",
        status=CalendarConnection.Status.ACTIVE,
    )
    connection.store_credentials(
        {"access_token": "at", "refresh_token": "rt", "expires_at": time.time() + 3600}
    )
    ConnectedCalendar.objects.create(
        connection=connection,
        remote_id="maria@example.com",
        name="Maria",
        is_primary=True,
        blocks_time=True,
        receives_bookings=True,
    )
    assert sync.sync_connection(connection.pk) == "ok"
    return connection


def at(hour, minute=0):
    return dt.datetime.combine(SATURDAY, dt.time(hour, minute), CHICAGO)


def maria_starts(salon):
    slots = availability.find_free_slots(
        salon.haircut, start_date=SATURDAY, end_date=SATURDAY, provider=salon.maria
    )
    return {s.start_at.astimezone(CHICAGO).hour for s in slots}


def deliver_all():
    for write_id in CalendarWrite.objects.pending().values_list("id", flat=True):
        outbox.deliver_write(write_id)


def test_a_google_event_stops_roxy_offering_that_time(salon, google, maria):
    assert 11 in maria_starts(salon)
    google.add("dentist", at(11), at(12))
    google.add("gym", at(13), at(14), transparency="transparent")

    sync.sync_connection(maria.pk)

    assert 11 not in maria_starts(salon)
    assert 13 in maria_starts(salon)  # marked "free" in Google


def test_roxys_booking_move_and_cancel_appear_in_google(salon, google, maria):
    call = CallFactory(business=salon.business, caller_number=CALLER, lead=None)
    args = {"service": "haircut", "date": "2025-03-15", "provider": "Maria"}
    offers = result(salon, call, "check_availability", args)
    booked = result(
        salon,
        call,
        "book_appointment",
        {"slot_id": slot_ids(offers)[0], "name": "Ana Ruiz"},
        ids=["book"],
    )
    assert booked.startswith("Booked")
    appointment = Appointment.objects.get()

    deliver_all()
    outbox.deliver_write(CalendarWrite.objects.get().pk)  # a repeat writes nothing new
    (event,) = google.live()
    ref = f"voicehive-appointment-{appointment.pk}"
    assert event["extendedProperties"]["private"]["voicehiveRef"] == ref
    assert event["start"]["dateTime"] == appointment.start_at.astimezone(
        dt.UTC
    ).strftime("%Y-%m-%dT%H:%M:%SZ")

    appointment_services.reschedule_appointment(appointment, start_at=at(15))
    deliver_all()
    (event,) = google.live()
    assert event["start"]["dateTime"] == at(15).astimezone(dt.UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )

    sync.sync_connection(maria.pk)  # our own event does not block its own time
    assert BusyBlock.objects.get().is_ours
    assert CalendarWrite.objects.get().state == CalendarWrite.State.DONE

    appointment_services.cancel_appointment(appointment, by_staff=True)
    deliver_all()
    assert google.live() == []
    assert CalendarWrite.objects.get().is_deleted


def test_an_event_moved_in_google_is_a_conflict_not_a_move(salon, google, maria):
    appointment = appointment_services.book_appointment(
        salon.haircut, provider=salon.maria, start_at=at(11)
    )
    deliver_all()
    (event,) = google.live()
    event["start"]["dateTime"] = at(14).isoformat()
    event["end"]["dateTime"] = at(15).isoformat()

    sync.sync_connection(maria.pk)

    appointment.refresh_from_db()
    assert appointment.start_at == at(11)  # never moved by the outside edit
    write = CalendarWrite.objects.get()
    assert write.state == CalendarWrite.State.CONFLICT
    assert write.conflict == CalendarWrite.Conflict.MOVED
    assert {11, 14} & maria_starts(salon) == set()  # both times stay blocked


def test_roxy_checks_the_calendar_just_in_time(salon, google, maria):
    call = CallFactory(business=salon.business, caller_number=CALLER, lead=None)
    args = {"service": "haircut", "date": "2025-03-15", "provider": "Maria"}
    slot = slot_ids(result(salon, call, "check_availability", args))[0]
    first = min(maria_starts(salon))
    google.add("race", at(first), at(first + 1))  # seconds ago, not synced yet

    refusal = error(
        salon, call, "book_appointment", {"slot_id": slot, "name": "Ana"}, ids=["b"]
    )

    assert "slot id" in refusal  # alternatives offered instead
    assert not Appointment.objects.exists()


def test_a_rate_limited_check_fails_open(salon, google, maria, respx_mock):
    limited = respx_mock.post(
        "https://www.googleapis.com/calendar/v3/freeBusy"
    ).respond(429, headers={"Retry-After": "5"})
    call = CallFactory(business=salon.business, caller_number=CALLER, lead=None)
    args = {"service": "haircut", "date": "2025-03-15", "provider": "Maria"}
    slot = slot_ids(result(salon, call, "check_availability", args))[0]

    booked = result(
        salon, call, "book_appointment", {"slot_id": slot, "name": "Ana"}, ids=["b"]
    )

    assert booked.startswith("Booked")
    assert limited.called  # the check ran, was refused, and failed open
