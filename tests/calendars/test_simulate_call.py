"""Done when: a booking made through `simulate_call` appears in the CalDAV calendar."""

import datetime as dt
import io
import zoneinfo

import pytest
from django.core.management import call_command

from apps.appointments.models import Appointment
from apps.calendars import outbox, sync
from apps.calendars.models import CalendarWrite
from apps.demo import services as demo_services
from tests.calendars.conftest import connect_caldav
from tests.calendars.radicale import vevent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_settings")]

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
OPEN_HOURS = dt.datetime(2026, 3, 17, 11, 0, tzinfo=CHICAGO)


def test_a_simulated_call_books_around_the_calendar_and_into_it(
    time_machine, radicale, caldav_calendar_url
):
    time_machine.move_to(OPEN_HOURS, tick=False)
    business = demo_services.seed_demo_business(password="demo-pass").business
    connection, _ = connect_caldav(
        None, caldav_calendar_url, radicale, business=business
    )
    # The whole studio is busy all of Tuesday and Wednesday in its shared calendar.
    radicale.put_event(caldav_calendar_url, vevent("offsite", "20260317", "20260319"))
    sync.sync_connection(connection.pk)

    call_command(
        "simulate_call", "--caller", "+15125550177", "--scenario", "booking",
        stdout=io.StringIO(),
    )  # fmt: skip

    appointment = Appointment.objects.exclude(source_call=None).get()
    assert appointment.start_at.astimezone(CHICAGO).date() >= dt.date(2026, 3, 19)
    for write in CalendarWrite.objects.filter(appointment=appointment):
        outbox.deliver_write(write.pk)
    ours = [
        text
        for text in radicale.list_events(caldav_calendar_url).values()
        if f"voicehive-appointment-{appointment.pk}" in text
    ]
    assert len(ours) == 1
    start = appointment.start_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    assert f"DTSTART:{start}" in ours[0]
