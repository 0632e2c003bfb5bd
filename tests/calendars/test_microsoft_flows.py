"""Roxy, staff and the outbox against a stylist's Outlook calendar (an in-memory
fake speaking Microsoft Graph's REST shapes through respx)."""

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

GRAPH = "https://graph.microsoft.com/v1.0"
EVENTS = f"{GRAPH}/me/calendars/AAMkMaria%3D/events"
DELTA = f"{GRAPH}/me/calendars/AAMkMaria%3D/calendarView/delta"


class FakeOutlookCalendar:
    """One calendar: calendarView delta (full), create with transactionId, patch,
    delete and getSchedule."""

    def __init__(self, respx_mock):
        self.events: dict[str, dict] = {}
        respx_mock.get(url__startswith=DELTA).mock(side_effect=self.delta)
        respx_mock.post(EVENTS).mock(side_effect=self.create)
        respx_mock.patch(url__regex=rf"{GRAPH}/me/events/(?P<event_id>[^/?]+)").mock(
            side_effect=self.patch
        )
        respx_mock.delete(url__regex=rf"{GRAPH}/me/events/(?P<event_id>[^/?]+)").mock(
            side_effect=self.delete
        )
        respx_mock.post(f"{GRAPH}/me/calendar/getSchedule").mock(
            side_effect=self.schedule
        )

    def add(self, event_id, start, end, **extra):
        self.events[event_id] = {
            "id": event_id,
            "start": _graph_time(start),
            "end": _graph_time(end),
            "showAs": "busy",
            "isAllDay": False,
            **extra,
        }

    def live(self):
        return list(self.events.values())

    def delta(self, request):
        return httpx.Response(
            200,
            json={"value": self.live(), "@odata.deltaLink": f"{DELTA}?$deltatoken=t"},
        )

    def create(self, request):
        body = json.loads(request.content)
        if any(e.get("transactionId") == body["transactionId"] for e in self.live()):
            return httpx.Response(
                409, json={"error": {"code": "ErrorDuplicateTransactionId"}}
            )
        event_id = f"AAMk{len(self.events) + 1}"
        self.events[event_id] = {**body, "id": event_id, "isAllDay": False}
        return httpx.Response(201, json=self.events[event_id])

    def patch(self, request, event_id):
        if event_id not in self.events:
            return httpx.Response(404, json={"error": {"code": "ErrorItemNotFound"}})
        self.events[event_id].update(json.loads(request.content))
        return httpx.Response(200, json=self.events[event_id])

    def delete(self, request, event_id):
        if self.events.pop(event_id, None) is None:
            return httpx.Response(404, json={"error": {"code": "ErrorItemNotFound"}})
        return httpx.Response(204)

    def schedule(self, request):
        items = [
            {"status": e["showAs"], "start": e["start"], "end": e["end"]}
            for e in self.live()
        ]
        return httpx.Response(
            200,
            json={
                "value": [{"scheduleId": "maria@contoso.com", "scheduleItems": items}]
            },
        )


def _naive(moment):
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _graph_time(moment):
    utc = moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return {"dateTime": f"{utc}.0000000", "timeZone": "UTC"}


@pytest.fixture(autouse=True)
def at_the_example_call(time_machine, settings):
    settings.SCHEDULING_SLOT_MINUTES = 30
    settings.SCHEDULING_MIN_NOTICE_MINUTES = 60
    settings.ROXY_SLOTS_OFFERED = 4
    settings.SITE_URL = ""  # no push here: test_push covers channels
    settings.MICROSOFT_CLIENT_ID = "client"
    settings.MICROSOFT_CLIENT_SECRET = "secret"
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def salon():
    return build_salon()


@pytest.fixture
def outlook(respx_mock):
    return FakeOutlookCalendar(respx_mock)


@pytest.fixture
def maria(salon, outlook):
    connection = CalendarConnection.objects.create(
        business=salon.business,
        provider=salon.maria,
        kind="microsoft",
        account="maria@contoso.com",
        status=CalendarConnection.Status.ACTIVE,
    )
    connection.store_credentials(
        {"access_token": "at", "refresh_token": "rt", "expires_at": time.time() + 3600}
    )
    ConnectedCalendar.objects.create(
        connection=connection,
        remote_id="AAMkMaria=",
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


def test_an_outlook_event_stops_roxy_offering_that_time(salon, outlook, maria):
    assert 11 in maria_starts(salon)
    outlook.add("dentist", at(11), at(12))
    outlook.add("gym", at(13), at(14), showAs="free")

    sync.sync_connection(maria.pk)

    assert 11 not in maria_starts(salon)
    assert 13 in maria_starts(salon)  # shown as "free" in Outlook


def test_roxys_booking_move_and_cancel_appear_in_outlook(salon, outlook, maria):
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
    (event,) = outlook.live()
    assert event["transactionId"] == f"voicehive-appointment-{appointment.pk}"
    assert event["start"] == {
        "dateTime": _naive(appointment.start_at),
        "timeZone": "UTC",
    }

    appointment_services.reschedule_appointment(appointment, start_at=at(15))
    deliver_all()
    (event,) = outlook.live()
    assert event["start"]["dateTime"] == _naive(at(15))

    sync.sync_connection(maria.pk)  # our own event does not block its own time
    assert BusyBlock.objects.get().is_ours
    assert CalendarWrite.objects.get().state == CalendarWrite.State.DONE

    appointment_services.cancel_appointment(appointment, by_staff=True)
    deliver_all()
    assert outlook.live() == []
    assert CalendarWrite.objects.get().is_deleted


def test_an_event_moved_in_outlook_is_a_conflict_not_a_move(salon, outlook, maria):
    appointment = appointment_services.book_appointment(
        salon.haircut, provider=salon.maria, start_at=at(11)
    )
    deliver_all()
    (event,) = outlook.live()
    event["start"], event["end"] = _graph_time(at(14)), _graph_time(at(15))

    sync.sync_connection(maria.pk)

    appointment.refresh_from_db()
    assert appointment.start_at == at(11)  # never moved by the outside edit
    write = CalendarWrite.objects.get()
    assert write.state == CalendarWrite.State.CONFLICT
    assert write.conflict == CalendarWrite.Conflict.MOVED
    assert {11, 14} & maria_starts(salon) == set()  # both times stay blocked


def test_roxy_checks_the_calendar_just_in_time(salon, outlook, maria):
    call = CallFactory(business=salon.business, caller_number=CALLER, lead=None)
    args = {"service": "haircut", "date": "2025-03-15", "provider": "Maria"}
    slot = slot_ids(result(salon, call, "check_availability", args))[0]
    first = min(maria_starts(salon))
    outlook.add("race", at(first), at(first + 1))  # seconds ago, not synced yet

    refusal = error(
        salon, call, "book_appointment", {"slot_id": slot, "name": "Ana"}, ids=["b"]
    )

    assert "slot id" in refusal  # alternatives offered instead
    assert not Appointment.objects.exists()


def test_a_rate_limited_check_fails_open(salon, outlook, maria, respx_mock):
    limited = respx_mock.post(f"{GRAPH}/me/calendar/getSchedule").respond(
        429, headers={"Retry-After": "5"}
    )
    call = CallFactory(business=salon.business, caller_number=CALLER, lead=None)
    args = {"service": "haircut", "date": "2025-03-15", "provider": "Maria"}
    slot = slot_ids(result(salon, call, "check_availability", args))[0]

    booked = result(
        salon, call, "book_appointment", {"slot_id": slot, "name": "Ana"}, ids=["b"]
    )

    assert booked.startswith("Booked")
    assert limited.called  # the check ran, was refused, and failed open
